// Hourly energy kept in flash (lib/mqtt/kept-ring.ts) on the emulated ESP32 with the firmware bundle: through a
// broker outage with a restart in it, and through power cuts at the moments that matter (right after the hourly
// value is kept, while it is marked received, in the middle of keeping it, in the first second of the hour),
// every hourly value the meter sent reaches the subscriber exactly once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startAedes } from "./support/brokers";
import { deviceConfig, emulate, Recorder } from "./support/emulated-device";
import { meterSource } from "../scripts/emulator/index";
import { recorderBack, recorderQos } from "../scripts/bench-month";
import type { Emulator } from "../scripts/emulator/index";

const MINUTE = 60000;
const RING = "han.kept";

function at(hour: number, minute: number, second?: number): number {
  return Date.UTC(2024, 0, 15, hour, minute, second || 0);
}

/** Kamstrup (a 10-s list, and the hourly list at xx:00:05), read once a second: the lightest load per hour. */
function device(start: number, port: number, id: string, recorder: Recorder): Emulator {
  return emulate({
    startMs: start,
    files: { "han.json": deviceConfig(port, id), "han.serial": JSON.stringify({ baud: 2400, parity: "none" }) },
    source: meterSource({ maker: "kamstrup", phases: 3, wires: 4, country: "NO", seed: 11, startMs: start }),
    serialPollMs: 1000,
  }, recorder);
}

/** How many energy messages the subscriber got for each hour label. */
function labels(recorder: Recorder, base: string): { [hourEnd: string]: number } {
  const out: { [hourEnd: string]: number } = {};
  for (const p of recorder.json(base + "/energy")) out[p.hour_end as string] = (out[p.hour_end as string] || 0) + 1;
  return out;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** A broker, a recorder of everything on it, and the device `id` started at `start`. */
async function rig(start: number, id: string): Promise<{ broker: Awaited<ReturnType<typeof startAedes>>;
  recorder: Recorder; base: string; emu: Emulator; }> {
  const broker = await startAedes();
  const recorder = new Recorder();
  await recorder.start(broker.port, ["han/#"], recorderQos(broker));
  return { broker, recorder, base: "han/" + id, emu: device(start, broker.port, id, recorder) };
}

/** No uncaught error on the device, and no kept value dropped from its ring (the last diag). */
function assertNothingDropped(emu: Emulator, recorder: Recorder, base: string): void {
  assert.deepEqual(emu.console.uncaught, []);
  const diag = recorder.json(base + "/diag");
  assert.equal(diag[diag.length - 1].energy_dropped, 0);
}

async function closeRig(broker: Awaited<ReturnType<typeof startAedes>>, recorder: Recorder, emu: Emulator): Promise<void> {
  emu.close();
  await recorder.stop();
  await broker.dispose();
}

async function until(emu: Emulator, ms: number): Promise<void> {
  await emu.advance(ms - emu.startMs - emu.clock.now, 5000);
}

test("broker down 12:50-14:30 and the device restarted at 14:05: the 13:00 and 14:00 values arrive once each",
  { timeout: 120000 }, async function () {
    const { broker, recorder, base, emu } = await rig(at(12, 40), "kept-outage");
    try {
      await until(emu, at(12, 50));
      assert.ok(recorder.on(base + "/status").some(function (m) { return m.payload === "online"; }), "never online");
      await broker.stop();
      await until(emu, at(14, 5));
      assert.ok(emu.storage.list().some(function (n) { return n.indexOf(RING) === 0; }), "nothing kept in flash");
      emu.powerCut();
      await until(emu, at(14, 30));
      await broker.start();
      await recorderBack(broker.port, recorder, "han/probe");
      const want = [iso(at(13, 0)), iso(at(14, 0))];
      assert.ok(await emu.advanceUntil(function () {
        const got = labels(recorder, base);
        return want.every(function (l) { return got[l] >= 1; });
      }, 10 * MINUTE, 5000), "hourly values missing: " + JSON.stringify(labels(recorder, base)) + "\n" +
        emu.console.text());
      // Time for a duplicate to show, if one were coming.
      await emu.advance(5 * MINUTE, 5000);
      await recorder.waitFor(function () { return false; }, "nothing", 500).catch(function () { /* settled */ });
      assert.deepEqual(labels(recorder, base), { [want[0]]: 1, [want[1]]: 1 });
      const energy = recorder.on(base + "/energy");
      assert.equal(JSON.parse(energy[energy.length - 1].payload).hour_end, want[1], "the newest last (retained)");
      assert.deepEqual(emu.resets.map(function (r) { return r.reason; }), ["power"]);
      assertNothingDropped(emu, recorder, base);
    } finally {
      await closeRig(broker, recorder, emu);
    }
  });

test("power cuts at the hour: after the value is kept, while marking it received, halfway through keeping it, and " +
  "in the hour's first second: every hourly value arrives once, the one cut while being kept too",
  { timeout: 180000 }, async function () {
    const { broker, recorder, base, emu } = await rig(at(12, 58), "kept-cuts");
    try {
      const reasons: string[] = [];
      // 14:00: the power goes right after the hourly value is in flash, before it is sent.
      await until(emu, at(13, 59));
      emu.cutPowerAtStorageWrite(1, 1e9, RING);
      // 15:00: it goes while the mark is written that the broker has it, after its PUBREC.
      await until(emu, at(14, 59));
      reasons.push(...emu.resets.map(function (r) { return r.reason; }));
      emu.cutPowerAtStorageWrite(2, 0, RING);
      // 16:00: it goes 100 bytes into writing the hourly value to the ring: han.energy, written just before, has it.
      await until(emu, at(15, 59));
      emu.cutPowerAtStorageWrite(1, 100, RING);
      // 17:00: the power goes half a second into the hour, before the hourly list (xx:00:05).
      await until(emu, at(17, 0, 0.5));
      emu.powerCut();
      await until(emu, at(18, 2));
      await recorder.waitFor(function () { return (labels(recorder, base)[iso(at(18, 0))] || 0) >= 1; },
        "the 18:00 value", 5000).catch(function () { /* reported below */ });
      assert.equal(reasons.length, 1, "the power cut after the 14:00 value was kept did not happen");
      // Each cut in the first seconds of its hour, when the hourly list comes (xx:00:05) and is kept.
      assert.deepEqual(emu.resets.map(function (r) {
        return r.reason + " " + iso(Math.floor((emu.startMs + r.at) / 10000) * 10000);
      }), [14, 15, 16, 17].map(function (h) { return "power " + iso(at(h, 0)); }), JSON.stringify(emu.resets));
      const got = labels(recorder, base);
      assert.deepEqual(got, { [iso(at(13, 0))]: 1, [iso(at(14, 0))]: 1, [iso(at(15, 0))]: 1, [iso(at(16, 0))]: 1,
        [iso(at(17, 0))]: 1, [iso(at(18, 0))]: 1 }, emu.console.text());
      assertNothingDropped(emu, recorder, base);
    } finally {
      await closeRig(broker, recorder, emu);
    }
  });
