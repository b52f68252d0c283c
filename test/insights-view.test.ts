// The insights in `npm start`'s live view: worked out from the device's power, instant and energy messages while
// the device does not publish them, on four lines that keep the view within 80x24; replaced by the device's own
// once it does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createLiveView } from "../scripts/live-view";

const BASE = "han/esp32-a1b2c3d4e5f6";
const HOUR = 3600000;

function terminal(): { out: NodeJS.WriteStream; screen: () => string[] } {
  const written: string[] = [];
  const out = { isTTY: true, columns: 80, rows: 24, write: (text: string) => { written.push(text); return true; } };
  return { out: out as unknown as NodeJS.WriteStream, screen: () => {
    const frames = written.join("").split("\x1b[H\x1b[2J");
    return frames[frames.length - 1].replace(/\x1b\[[0-9;]*m/g, "").replace(/\n$/, "").split("\n");
  } };
}

const iso = (t: number) => new Date(t).toISOString();

test("each insight has its line, from the device's own messages, within 80x24; the device's figures replace them",
  (t) => {
    t.mock.timers.enable({ apis: ["setInterval"] });
    const { out, screen } = terminal();
    const header = ["firmware: 50146 bytes", "broker: mqtt://127.0.0.1:1883", "meter: simulated aidon meter"];
    const view = createLiveView(BASE, { header, footer: "Ctrl-C to stop", out });
    view.update(BASE + "/status", "online");
    for (let i = 0; i < 6; i++) view.update(BASE + "/log", "line " + i);
    // Two hours at 3 kW, then 20 minutes at 9 kW; export 0. 2 kWh more register each hour than the power's 3 kWh.
    const from = Date.UTC(2026, 5, 10, 10);
    let register = 1e6;
    for (let at = from; at <= from + 2 * HOUR + 20 * 60000; at += 10000) {
      const p = at < from + 2 * HOUR ? 3000 : 9000;
      view.update(BASE + "/power", JSON.stringify({ ts: iso(at), active_power_import: p, active_power_export: 0,
        active_power_net: p }));
      view.update(BASE + "/instant", JSON.stringify({ ts: iso(at + 200), active_power_import: p, active_power_export: 0,
        voltage_l1: at >= from + 5 * 60000 && at < from + 8 * 60000 ? 201 : 231, voltage_l2: 229, voltage_l3: 230 }));
      if (at % HOUR === 0) {
        view.update(BASE + "/energy", JSON.stringify({ ts: iso(at + 10000), hour_end: iso(at),
          active_energy_import: register, active_energy_export: 500 }));
        register += 5000;
      }
    }
    t.mock.timers.tick(250);
    let lines = screen();
    assert.ok(lines.length <= 23, lines.length + " lines");
    for (const line of lines) assert.ok(line.length <= 80, line);
    const line = (start: string) => lines.find((l) => l.startsWith(start)) || "(no line " + start + ")";
    // The month's one day, at 5 kWh/h, makes step 3 (5-10 kW). The 9 kW hour under way has taken 3 kWh by 12:20 and
    // projects 9 kWh, 1 kWh short of the 10 that would lift the step: 1500 W more for the 40 minutes left.
    assert.match(line("capacity"), /^capacity  step 3 \(5-10 kW\) avg 5 +hour 3 > 9 kWh  room 1500 W$/);
    assert.match(line("quality"), /^quality   day: 3 min low, 0 high, 1 events  201-231 V  last: l1 201 V 10:05$/);
    assert.match(line("net"), /^net       9000 W  last hour 5000 Wh  export hours 0 today, 0 month$/);
    // 5 kWh registered, 3 kWh sampled: flagged. Steady power 10 s apart: 10 Wh of register resolution and 3 kW at
    // either edge for 5 s + 1 s.
    assert.match(line("check"), /^check     hour -2000 Wh -40 % \(bound 20 Wh\), 100 % sampled FLAGGED; 30 d -40 %$/);
    assert.ok(lines.some((l) => l === "log: line 5") && !lines.some((l) => l === "log: line 3"), "half the log");

    view.update(BASE + "/insights/capacity", JSON.stringify({ step: 4, step_from_kw: 10, step_to_kw: 15, average_kw: 12,
      hour_kwh: 1, projection_kwh: 2, headroom_w: 100, alert: true }));
    view.update(BASE + "/power", JSON.stringify({ ts: iso(from + 2 * HOUR + 21 * 60000), active_power_import: 100 }));
    t.mock.timers.tick(250);
    lines = screen();
    assert.match(line("capacity"), /^capacity  step 4 \(10-15 kW\) avg 12 +hour 1 > 2 kWh  room 100 W  ALERT$/);
    view.close();
  });
