// A simulated week on the emulated ESP32, fast-forwarded: the firmware's variables and its MQTT queue stay flat,
// and every hourly energy message reaches the broker. Kamstrup's single 10-s list (plus its hourly list) is the
// lightest load per hour; the UART is polled once a second instead of every 5 ms (each frame then arrives in one
// or two chunks rather than byte by byte), which keeps the week within seconds of real time without changing
// what is received.
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokerForFile, deviceConfig, emulate } from "./support/emulated-device";
import { meterSource } from "../scripts/emulator/index";

const HOUR = 3600000;
const DAY = 24 * HOUR;
/** A minute before a Monday begins: the first hourly list comes once the device is up. */
const START = Date.UTC(2024, 0, 14, 23, 59, 0);
const FIRST_HOUR = Date.UTC(2024, 0, 15, 0, 0, 0);

const { broker, recorder } = brokerForFile(["han/week/energy", "han/week/diag"]);

function max(values: number[]): number {
  return values.reduce(function (a, b) { return Math.max(a, b); }, -Infinity);
}

test("a week: memory and the MQTT queue stay flat, and all 168 hourly energy messages arrive", { timeout: 180000 },
  async function (t) {
    const emu = emulate({
      startMs: START,
      files: { "han.json": deviceConfig(broker().port, "week"), "han.serial": JSON.stringify({ baud: 2400, parity: "none" }) },
      source: meterSource({ maker: "kamstrup", phases: 1, wires: 4, country: "NO", seed: 77, startMs: START }),
      serialPollMs: 1000,
      // The firmware reads process.memory() for every diag message; hourly estimates are plenty for it here.
      memoryRefreshMs: HOUR,
    }, recorder);
    const real = Date.now();
    try {
      const usage: number[] = [];
      const queued: number[] = [];
      await emu.advance(FIRST_HOUR - START);
      for (let hour = 0; hour < 168; hour++) {
        // Slices of 5 s while the network is quiet: the timeline still stops at every exchange with the broker.
        await emu.advance(HOUR, 5000);
        usage.push(emu.memory().usage);
        const diag = recorder.json("han/week/diag");
        assert.ok(diag.length > 0, "no diag by hour " + hour);
        queued.push(diag[diag.length - 1].mqtt_queued as number);
      }
      // The hourly list of the last hour comes at xx:00:05.
      await emu.advance(60000);

      const missing = function (): string[] {
        const ends = new Set(recorder.json("han/week/energy").map(function (p) { return p.hour_end; }));
        const out: string[] = [];
        for (let h = 0; h < 168; h++) {
          const end = new Date(FIRST_HOUR + h * HOUR).toISOString().replace(".000Z", "Z");
          if (!ends.has(end)) out.push(end);
        }
        return out;
      };
      await recorder.waitFor(function () { return missing().length === 0; }, "168 hourly energy messages")
        .catch(function () { /* reported below */ });
      assert.deepEqual(missing(), [], "hourly energy messages missing");

      const firstDay = usage.slice(0, 24);
      const lastDay = usage.slice(-24);
      t.diagnostic("variables: first day max " + max(firstDay) + ", last day max " + max(lastDay) + " of " +
        emu.memory().total + "; queue max " + max(queued) + "; " + ((Date.now() - real) / 1000).toFixed(1) +
        " s real for " + ((emu.clock.now) / DAY).toFixed(2) + " days");
      assert.ok(max(lastDay) <= max(firstDay) + 30, "variables grew: " + usage.join(","));
      assert.ok(max(queued.slice(-24)) <= max(queued.slice(0, 24)) + 1, "the MQTT queue grew: " + queued.join(","));
      assert.ok(max(queued) <= 2, "messages pile up in the queue: " + queued.join(","));
      assert.deepEqual(emu.console.uncaught, []);
      assert.deepEqual(emu.resets, []);
    } finally {
      emu.close();
    }
  });
