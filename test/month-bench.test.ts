// The simulated month's core (scripts/bench-month.ts, npm run bench:month) over two days on a Kamstrup meter, with
// the faults that fit in them: Wi-Fi gone for 10 min and 6 h, broker restarts with and without persistence,
// and reboots (one in an hour's first second, one while the hourly list is on the line). Judged against the
// simulated meter's record of the hourly lists it sent: each arrives once, under its own hour, and the register
// never goes back. aedes, in-process, answers within the emulated instant, so the run is the same every time; half
// a day on mosquitto, in another process, shows the emulated clock waiting for a real broker's answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mosquittoMissing, startAedes, startMosquitto } from "./support/brokers";
import { runMonth } from "../scripts/bench-month";

test("two days of faults on a Kamstrup meter: every hourly value the meter sent arrives once, under its hour",
  { timeout: 240000 }, async function (t) {
    const broker = await startAedes();
    const faults: string[] = [];
    try {
      const f = await runMonth({ maker: "kamstrup", days: 2, seed: 2026, startMs: Date.UTC(2026, 9, 10), broker: broker,
        faults: ["wifi", "broker", "reboot"], log: function (line) { faults.push(line.trim()); } });
      t.diagnostic(f.expected + " expected, " + f.received + " received, " + f.resets + " resets, " +
        f.realSeconds.toFixed(0) + " s real; faults: " + faults.join("; "));
      // Two days of hourly lists, less those that met the device mid-reboot: the run means something.
      assert.ok(f.expected >= 45, "only " + f.expected + " hourly values expected");
      assert.ok(faults.some(function (l) { return l.indexOf("Wi-Fi gone for 6 h") >= 0; }), faults.join("\n"));
      assert.ok(faults.some(function (l) { return l.indexOf("with nothing kept") >= 0; }), faults.join("\n"));
      assert.ok(f.resets >= 3, "reboots: " + f.resets);
      assert.deepEqual({ missing: f.missing, duplicated: f.duplicated, wrong: f.wrong, decreases: f.decreases },
        { missing: [], duplicated: [], wrong: [], decreases: 0 }, f.console.slice(-3000));
      assert.deepEqual(f.uncaught, []);
    } finally {
      await broker.dispose();
    }
  });

test("a restart during a Wi-Fi outage, before SNTP is back: the hourly values after it keep every register",
  { timeout: 240000 }, async function () {
    const broker = await startAedes();
    try {
      // The storage cut at 13:00:05 falls inside the 6-hour Wi-Fi outage: the device restarts with its clock unset
      // and labels hours by the meter's clock, which the energy guard must judge rises by too.
      const f = await runMonth({ maker: "kamstrup", days: 2, seed: 2026, startMs: Date.UTC(2026, 9, 10), broker: broker,
        faults: ["wifi", "storage-cut"], log: function () { /* the counts say it */ } });
      assert.ok(f.expected >= 45, "only " + f.expected + " hourly values expected");
      assert.ok(f.resets >= 1, "resets: " + f.resets);
      assert.deepEqual({ missing: f.missing, duplicated: f.duplicated, wrong: f.wrong, decreases: f.decreases },
        { missing: [], duplicated: [], wrong: [], decreases: 0 }, f.console.slice(-3000));
    } finally {
      await broker.dispose();
    }
  });

test("half a day on mosquitto, a broker that answers in real time: the fast emulated clock waits for its answers, so " +
  "the device never reconnects, and each hourly value arrives once", { timeout: 240000 }, async function (t) {
  const missing = mosquittoMissing();
  if (missing) {
    console.log("month-bench.test.ts: the mosquitto run is skipped: " + missing);
    t.skip("SKIPPED: " + missing);
    return;
  }
  const broker = await startMosquitto();
  try {
    const f = await runMonth({ maker: "kaifa", days: 0.5, seed: 2026, startMs: Date.UTC(2026, 9, 10), broker: broker,
      faults: [] });
    t.diagnostic(f.expected + " expected, " + f.realSeconds.toFixed(0) + " s real, MQTT reconnects " +
      f.mqttReconnects);
    assert.ok(f.expected >= 11, "only " + f.expected + " hourly values expected");
    // A PINGRESP or PUBACK many virtual seconds late tripped the keep-alive some 20 times an hour.
    assert.equal(f.mqttReconnects, 0);
    assert.deepEqual({ missing: f.missing, duplicated: f.duplicated, wrong: f.wrong, decreases: f.decreases },
      { missing: [], duplicated: [], wrong: [], decreases: 0 }, f.console.slice(-3000));
  } finally {
    await broker.dispose();
  }
});
