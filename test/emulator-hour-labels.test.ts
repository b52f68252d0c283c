// Hour labels on the emulated ESP32 with the firmware bundle: SNTP out of reach for the first 40 minutes, a
// Norwegian meter whose clock runs 5 minutes ahead. The hour closed before SNTP answers is labelled by the
// meter's clock, the next by SNTP's, each once; diag reports the meter clock's offset.
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokerForFile, deviceConfig, emulate } from "./support/emulated-device";
import { meterSource } from "../scripts/emulator/index";

const MINUTE = 60000;
/** What SNTP sets the clock to when it answers: the emulator's virtual time 0. */
const START = Date.UTC(2026, 0, 21, 0, 30, 0);
const AHEAD = 5 * MINUTE;

const { broker, recorder } = brokerForFile(["han/#"]);

test("SNTP unreachable, then set: hours labelled by the meter's clock, then by SNTP's, none twice; the meter " +
  "clock's offset on diag", async function () {
  const base = "han/hour-labels";
  const emu = emulate({
    startMs: START,
    wifi: { sntpMs: 40 * MINUTE },
    files: { "han.json": deviceConfig(broker().port, "hour-labels") },
    source: meterSource({ maker: "kaifa", phases: 3, wires: 4, country: "NO", seed: 61, startMs: START + AHEAD }),
  }, recorder);
  try {
    // The meter's 02:00 list goes out at 01:55 by SNTP's clock, 85 minutes in; a diag follows within a minute.
    await emu.advance(87 * MINUTE);
    await recorder.waitFor(function () { return recorder.on(base + "/energy").length >= 2; }, "two hourly lists");
    const energy = recorder.json(base + "/energy");
    assert.deepEqual(energy.map(function (e) { return e.hour_end; }), ["2026-01-21T01:00:00Z", "2026-01-21T02:00:00Z"]);
    assert.equal(energy[0].ts, undefined, "the first hour closed before SNTP set the clock");
    assert.equal(energy[0].meter_time, "2026-01-21T02:00:10", "Norwegian winter time on the meter");
    assert.equal(typeof energy[1].ts, "string");
    const diag = recorder.json(base + "/diag");
    const last = diag[diag.length - 1];
    assert.ok(typeof last.meter_clock_offset_s === "number" && last.meter_clock_offset_s <= 300 &&
      last.meter_clock_offset_s >= 296, "offset " + last.meter_clock_offset_s);
    assert.equal(last.meter_clock_mismatches, 1);
    assert.equal(diag[0].meter_clock_offset_s, null, "no offset before SNTP");
    assert.deepEqual(emu.console.uncaught, [], emu.console.text());
  } finally {
    emu.close();
  }
});

test("a noisy line spoils every 10-s list for eight minutes before the hour: the device keeps its serial setting and " +
  "publishes the hourly list that comes through intact", async function () {
  const base = "han/noisy-line";
  const start = Date.UTC(2026, 9, 11, 9, 40);
  const inner = meterSource({ maker: "kamstrup", phases: 3, wires: 4, country: "NO", seed: 62, startMs: start });
  const spoilFrom = 12 * MINUTE;
  const hourly = 20 * MINUTE + 5000;
  const emu = emulate({
    startMs: start,
    files: { "han.json": deviceConfig(broker().port, "noisy-line"),
      "han.serial": JSON.stringify({ baud: 2400, parity: "none" }) },
    // One byte in the body of each 10-s list flipped, its header left whole: what 1 % of bytes spoilt does to most.
    source: Object.assign({}, inner, { take: function (untilMs: number) {
      return inner.take(untilMs).map(function (t) {
        if (t.at < spoilFrom || t.at >= hourly) return t;
        const bytes = t.bytes.slice();
        bytes[bytes.length >> 1] ^= 0x10;
        return { at: t.at, bytes: bytes };
      });
    } }),
    serialPollMs: 1000,
  }, recorder);
  try {
    await emu.advance(22 * MINUTE, 5000);
    await recorder.waitFor(function () {
      return recorder.json(base + "/energy").some(function (e) { return e.hour_end === "2026-10-11T10:00:00Z"; });
    }, "the 10:00 hourly list").catch(function () { /* asserted below */ });
    const diag = recorder.json(base + "/diag");
    const last = diag[diag.length - 1];
    assert.deepEqual(recorder.json(base + "/energy").map(function (e) { return e.hour_end; }), ["2026-10-11T10:00:00Z"],
      JSON.stringify(last.serial_tried));
    // Every 10-s list of the eight minutes reached the frame reader, and failed its check there.
    assert.ok(last.fcs_errors as number >= 45, "fcs_errors " + last.fcs_errors);
    assert.equal(last.serial, "2400 8N1");
  } finally {
    emu.close();
  }
});
