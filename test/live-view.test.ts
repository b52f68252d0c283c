// The live view as a person sees it: on an 80x24 terminal every line fits and the header (firmware, broker) stays
// through the redraws, with how to stop it and what the empty energy line waits for; piped, it prints plain lines
// with no screen control codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createLiveView } from "../scripts/live-view";

const BASE = "han/esp32-a1b2c3d4e5f6";

/** A stream that records what is written, as a terminal (isTTY) or a pipe. */
function stream(tty: boolean): { out: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const out = { isTTY: tty, columns: tty ? 80 : undefined, rows: tty ? 24 : undefined,
    write: (text: string) => { written.push(text); return true; } };
  return { out: out as unknown as NodeJS.WriteStream, written };
}

/** The screen after the last redraw, as plain text. */
function lastScreen(written: string[]): string[] {
  const frames = written.join("").split("\x1b[H\x1b[2J");
  return frames[frames.length - 1].replace(/\x1b\[[0-9;]*m/g, "").replace(/\n$/, "").split("\n");
}

// The widest values the device sends: a 3-phase meter at full load, a long uptime, every diag counter large.
const FULL: [string, object][] = [
  ["meter", { id: "7359992890000001234", type: "6841131BN243101040", list_version: "AIDON_V0001", manufacturer: "Aidon" }],
  ["power", { ts: "2024-01-15T10:00:02.123Z", active_power_import: 43999, active_power_export: 12345 }],
  ["instant", { ts: "2024-01-15T10:00:02.123Z", current_l1: 63.125, current_l2: 62.5, current_l3: 61.875,
    voltage_l1: 239.9, voltage_l2: 240.1, voltage_l3: 241.2, reactive_power_import: 12345, reactive_power_export: 9876 }],
  ["diag", { uptime: 31536000, free_memory: 10123, rssi: -87, frames_ok: 9999999, crc_errors: 123456,
    bytes_dropped: 1234567, serial: "115200 8N1", last_error: "mqtt: connection closed" }],
];

test("on an 80x24 terminal: every line fits, the header stays, Ctrl-C is named, empty energy says when it comes",
  (t) => {
    t.mock.timers.enable({ apis: ["setInterval"] });
    const { out, written } = stream(true);
    const header = ["firmware: 50146 bytes (49 KB of the 64 KB cap)",
      "broker: mqtt://127.0.0.1:1883 (embedded; connect your own tools to it)",
      "meter: simulated aidon meter, 3 phase(s)"];
    const view = createLiveView(BASE, { header, footer: "Ctrl-C to stop", out });
    view.update(BASE + "/status", "online");
    for (const [kind, payload] of FULL) view.update(BASE + "/" + kind, JSON.stringify(payload));
    for (let i = 0; i < 6; i++) view.update(BASE + "/log", "energy register active_energy_import not published: " + i);
    t.mock.timers.tick(250);
    let screen = lastScreen(written);
    assert.deepEqual(screen.slice(0, 3), header);
    assert.equal(screen[screen.length - 1], "Ctrl-C to stop");
    assert.ok(screen.length <= 23, `${screen.length} lines: the first scroll off a 24-line terminal`);
    for (const line of screen) assert.ok(line.length <= 80, `${line.length} characters: ${line}`);
    const energy = screen.find((l) => l.startsWith("energy"));
    assert.match(energy!, /^energy +- +\(the meter sends it at the top of each hour\)$/);
    assert.ok(screen.some((l) => /^frames ok 9999999 +crc errors 123456 +bytes dropped 1234567 +serial 115200 8N1$/.test(l)));
    assert.ok(screen.some((l) => /^uptime 31536000 s +free 10123 vars +rssi -87$/.test(l)));

    view.update(BASE + "/energy", JSON.stringify({ hour_start: "2024-01-15T09:00:00Z", hour_end: "2024-01-15T10:00:00Z",
      active_energy_import: 123456789, active_energy_export: 2345 }));
    t.mock.timers.tick(250);
    screen = lastScreen(written);
    assert.deepEqual(screen.slice(0, 3), header, "the redraw kept the header");
    assert.match(screen.find((l) => l.startsWith("energy"))!, /^energy import +123456\.789 kWh +export 2\.345 kWh +hour 09:00-10:00 UTC$/);
    for (const line of screen) assert.ok(line.length <= 80, `${line.length} characters: ${line}`);
    view.close();
  });

test("piped: one plain line per message, and nothing of the screen, not even when it closes", () => {
  const { out, written } = stream(false);
  const view = createLiveView(BASE, { header: ["broker: mqtt://127.0.0.1:1883"], footer: "Ctrl-C to stop", out });
  view.update(BASE + "/status", "online");
  view.update(BASE + "/power", JSON.stringify(FULL[1][1]));
  view.update("han/another/power", "{}");
  view.close();
  const text = written.join("");
  assert.ok(!text.includes("\x1b"), JSON.stringify(text));
  assert.deepEqual(text.split("\n").map((l) => l.replace(/^\S+ /, "")), [BASE + "/status online",
    BASE + "/power " + JSON.stringify(FULL[1][1]), ""]);
});
