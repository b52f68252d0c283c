// Firmware updates end to end in the emulator, against mosquitto (the embedded broker where it is not installed):
// a device installed as npm run flash installs it runs on the update loader; the host's session
// (scripts/update.ts) sends it the next firmware while a simulated Aidon meter keeps sending. The update takes, and
// the subscriber misses no reading and no hourly energy through it; forged, other-device, replayed and cut-short
// images are refused and counted; a firmware that crashes while it boots, and one that never reaches the broker,
// are rolled back and reported; and 20 cuts at random points, of the connection and of the power (in the middle
// of a flash write or not), always leave the device on a working slot.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type mqtt from "mqtt";
import { Recorder, deviceConfig, emulate } from "./support/emulated-device";
import { meterSource, type Emulator } from "../scripts/emulator/index";
import { expectedReading } from "../scripts/sim/layouts";
import type { SentFrame } from "../scripts/sim/meter";
import { INSTALLED, SECRET, firmwareImage, hostClient, installedFiles, updateBroker, updateEmulated } from "./support/update-device";
import { beginMessage, chunkMessage } from "../scripts/update";
import { readRecord, slotName } from "../lib/update/record";
import type { Broker } from "./support/brokers";
import { rng } from "./support/prng";

let broker: Broker;
let client: mqtt.MqttClient;
const recorder = new Recorder();

before(async () => {
  broker = await updateBroker("update-emulator.test.ts");
  await recorder.start(broker.port, ["han/#"]);
  client = await hostClient(broker);
});

after(async () => {
  await client.endAsync(true);
  await recorder.stop();
  await broker.dispose();
});

interface Device {
  emu: Emulator;
  id: string;
  frames: { at: number; frame: SentFrame }[];
}

/** A device `id` as npm run flash installs it, with an Aidon meter, running and publishing from `startMs`. */
async function device(id: string, startMs: number): Promise<Device> {
  const frames: { at: number; frame: SentFrame }[] = [];
  const files = installedFiles(deviceConfig(broker.port, id, { remote: { secret: SECRET } }));
  const emu = emulate({ code: files[".bootcde"], files, startMs,
    source: meterSource({ maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 11, startMs,
      onFrame: (frame, at) => { frames.push({ at, frame }); } }) }, recorder);
  const from = recorder.messages.length;
  assert.ok(await emu.advanceUntil(() => recorder.messages.slice(from).some((m) => m.topic === "han/" + id + "/power"), 60000),
    emu.console.text());
  return { emu, id, frames };
}

/** Runs the device until `done()` holds, waiting on the real clock (up to 20 s) for what travels through the
 *  broker, which the emulator's timeline cannot see coming. */
async function until(d: Device, done: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20000;
  while (!done()) {
    assert.ok(Date.now() < end, "waited in vain for " + what + "; console:\n" + d.emu.console.text().slice(-1500));
    await d.emu.advance(25);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function diagOf(d: Device): Promise<{ [key: string]: unknown }> {
  const topic = "han/" + d.id + "/diag";
  const from = recorder.on(topic).length;
  client.publish("han/" + d.id + "/cmd", JSON.stringify({ cmd: "diag" }), { qos: 1 });
  await until(d, () => recorder.on(topic).length > from, "diag from " + d.id);
  return JSON.parse(recorder.on(topic)[from].payload);
}

function logsOf(d: Device): string[] {
  return recorder.on("han/" + d.id + "/log").map((m) => m.payload);
}

/** The update starts seconds before a full hour: the meter's hourly list comes while it is under way. */
const E2E_START = Date.UTC(2024, 0, 15, 12, 59, 55);

test("an update end to end: the device runs the new firmware, and no reading or hourly energy is missed", { timeout: 120000 }, async () => {
  const d = await device("u-e2e", E2E_START);
  const start = d.emu.clock.now;
  const result = await updateEmulated(d.emu, client, d.id, firmwareImage("0.1.1"));
  const end = d.emu.clock.now;
  assert.ok(result.ok, result.text + "\n" + d.emu.console.text());
  assert.match(result.text, new RegExp("^u-e2e runs han-reader 0\\.1\\.1 \\(update " + result.update + "\\); it proved itself$"));
  const diag = await diagOf(d);
  assert.deepEqual([diag.firmware, diag.update, diag.update_failed, diag.updates_refused], ["0.1.1", result.update, null, 0]);
  assert.deepEqual(d.emu.resets.map((r) => r.reason), ["load"], "one restart, into the new firmware");
  assert.deepEqual(logsOf(d).filter((l) => /^update /.test(l)), ["update " + result.update + " verified: restarting into it, on trial",
    "update " + result.update + " proved itself: han-reader 0.1.1"]);

  // Every frame the meter sent from the update's start to its end gave its power reading, stamped by the device's
  // clock within seconds of the frame: none was lost, also while the device restarted into the new firmware.
  await d.emu.advance(10000);
  const sent = d.frames.filter((f) => f.at >= start && f.at <= end);
  /** The first frame sent whose reading the subscriber has not got, as a sentence; null when none. */
  const missing = (): string | null => {
    const published = recorder.on("han/u-e2e/power").map((m) => JSON.parse(m.payload));
    const used = new Set<number>();
    for (const f of sent) {
      const value = expectedReading(f.frame.input).values.active_power_import;
      const i = published.findIndex((p, k) => !used.has(k) && p.active_power_import === value &&
        Date.parse(p.ts) >= E2E_START + f.at && Date.parse(p.ts) <= E2E_START + f.at + 3000);
      if (i < 0) return "no reading for the frame of list " + f.frame.list + " sent at " + new Date(E2E_START + f.at).toISOString();
      used.add(i);
    }
    return null;
  };
  // The device has sent them; the broker, in real time, may still be passing the last ones on.
  await recorder.waitFor(() => missing() === null, "every reading at the subscriber", 5000).catch(() => undefined);
  assert.equal(missing(), null);
  assert.ok(sent.length >= (end - start) / 2500 - 1, sent.length + " frames in " + (end - start) + " ms");
  // The hour closed while the update was under way.
  const hourly = d.frames.filter((f) => f.frame.list === 3 && f.at >= start && f.at <= end);
  assert.equal(hourly.length, 1, "an hourly list during the update");
  const energy = recorder.on("han/u-e2e/energy").map((m) => JSON.parse(m.payload));
  assert.ok(energy.some((e) => e.hour_end === "2024-01-15T13:00:00Z" &&
    e.active_energy_import === expectedReading(hourly[0].frame.input).values.active_energy_import), JSON.stringify(energy));

  // The same messages again, word for word, and images a stranger could make: refused and counted, nothing changes.
  const topic = "han/u-e2e/update";
  const replay = recorder.on(topic).map((m) => Buffer.from(m.payload, "latin1"));
  const refusedBefore = refusals(d).length;
  // Chunks without a transfer under way are answered once a second at most: only the begin and commit wait here.
  for (const message of replay) {
    if (message[0] === 0x7b) await answered(d, message);
    else client.publish(topic, message, { qos: 1 });
  }
  const newer = (result.update as number) + 10;
  const image = firmwareImage("6.6.6");
  await answered(d, beginMessage(d.id, "not-the-secret-0123456", newer, image));
  await answered(d, beginMessage("u-other", SECRET, newer, image));
  await answered(d, beginMessage(d.id, SECRET, newer, image));
  let sentHalf = 0;
  for (; sentHalf < image.length / 2; sentHalf += 2048) await answered(d, chunkMessage(image, sentHalf, 2048));
  await answered(d, JSON.stringify({ op: "commit" }));
  const forged = Buffer.from(image);
  forged.write("/* evil */", 100, "latin1");
  await answered(d, beginMessage(d.id, SECRET, newer + 1, image));
  for (let at = 0; at < forged.length; at += 2048) await answered(d, chunkMessage(forged, at, 2048));
  await answered(d, JSON.stringify({ op: "commit" }));
  const why = refusals(d).slice(refusedBefore).map((r) => r.why);
  assert.deepEqual(why, [
    "update " + result.update + " is not newer than " + result.update + " (a replay?)",
    "no update under way",
    "wrong signature",
    "signed for another device, not u-e2e",
    "cut short: " + sentHalf + " of " + image.length + " bytes arrived",
    "the image does not match its signed SHA-256 (forged or damaged)",
  ]);
  const after = await diagOf(d);
  assert.deepEqual([after.firmware, after.update, after.updates_refused], ["0.1.1", result.update, why.length]);
  assert.deepEqual(d.emu.resets.map((r) => r.reason), ["load"], "nothing restarted it");
  d.emu.close();
});

function refusals(d: Device): { why: string }[] {
  return recorder.on("han/" + d.id + "/update/state").map((m) => JSON.parse(m.payload)).filter((s) => s.state === "refused");
}

/** Publishes a message to the device's update topic, as anyone on the broker can, and waits for its answer. */
async function answered(d: Device, message: string | Buffer): Promise<void> {
  const topic = "han/" + d.id + "/update/state";
  const from = recorder.on(topic).length;
  client.publish("han/" + d.id + "/update", message, { qos: 1 });
  await until(d, () => recorder.on(topic).length > from, "the answer to " + message.toString().slice(0, 40));
}

test("a firmware that crashes while it boots is rolled back at once, and the failure is reported", { timeout: 120000 }, async () => {
  const d = await device("u-crash", Date.UTC(2024, 0, 15, 12, 0, 0));
  const result = await updateEmulated(d.emu, client, d.id,
    firmwareImage("0.2.0", (code) => "throw new Error(\"boom at boot\");" + code));
  const why = "update " + result.update + " crashed while it booted: Error: boom at boot; back to update " + INSTALLED;
  assert.equal(result.ok, false);
  assert.equal(result.text, "u-crash went back to han-reader 0.1.0 (update " + INSTALLED + "): " + why);
  assert.deepEqual(d.emu.resets.map((r) => r.reason), ["load", "load"], "into the new firmware, and back");
  const diag = await diagOf(d);
  assert.deepEqual([diag.firmware, diag.update, diag.update_failed], ["0.1.0", INSTALLED, why]);
  assert.ok(logsOf(d).includes("update failed: " + why), logsOf(d).join("\n"));
  assert.ok(d.emu.console.text().includes("Uncaught Error: boom at boot"));
  d.emu.close();
});

test("a firmware that never reaches the broker is rolled back after the trial time, and the failure is reported",
  { timeout: 120000 }, async () => {
    const d = await device("u-offline", Date.UTC(2024, 0, 15, 12, 0, 0));
    // It reads the meter, but from a configuration file that is not there: it never goes online.
    const result = await updateEmulated(d.emu, client, d.id,
      firmwareImage("0.3.0", (code) => code.split("\"han.json\"").join("\"han.none\"")));
    const why = "update " + result.update + " did not prove itself within 300 s; back to update " + INSTALLED;
    assert.equal(result.text, "u-offline went back to han-reader 0.1.0 (update " + INSTALLED + "): " + why);
    const restarts = d.emu.resets.filter((r) => r.reason === "load");
    assert.equal(restarts.length, 2);
    assert.ok(restarts[1].at - restarts[0].at >= 300000, "gone back before the trial time");
    assert.ok(d.emu.console.text().includes("reading the meter without network"), "the new firmware ran");
    const diag = await diagOf(d);
    assert.deepEqual([diag.firmware, diag.update, diag.update_failed], ["0.1.0", INSTALLED, why]);
    assert.ok(logsOf(d).includes("update failed: " + why));
    d.emu.close();
  });

/** A cut during the transfer, once the device has `bytes` of the image (or in the `nth` chunk's flash write), or
 *  after it: in the `nth` write of the boot record (1: the switch at commit, 2: the loader counting the trial's
 *  start, 3: the trial's confirmation or the loader going back), or `afterMs` into the trial (which proves itself
 *  2 s after its boot at the earliest). */
interface Cut {
  kind: "link-device" | "link-host" | "power" | "power-in-chunk-write" | "power-in-record-write" | "power-on-trial" |
    "link-on-trial";
  bytes: number;
  nth: number;
  afterMs: number;
}

function cut(kind: Cut["kind"], o: Partial<Cut>): Cut {
  return Object.assign({ kind, bytes: 0, nth: 0, afterMs: 0 }, o);
}

test("20 cuts at random points, of the connection and of the power, always leave the device on a working slot",
  { timeout: 300000 }, async () => {
    const r = rng(14);
    const d = await device("u-cuts", Date.UTC(2024, 0, 15, 12, 0, 0));
    const stateTopic = "han/u-cuts/update/state";
    const images: { [version: string]: string } = { "0.1.0": firmwareImage("0.1.0").toString("latin1") };
    let running = "0.1.0";
    const fell: string[] = [];
    for (let run = 0; fell.length < 20; run++) {
      const version = "0.4." + run;
      const image = firmwareImage(version);
      images[version] = image.toString("latin1");
      const during = (): Cut => [cut("link-device", { bytes: r.int(image.length) }),
        cut("link-host", { bytes: r.int(image.length) }), cut("power", { bytes: r.int(image.length) }),
        cut("power-in-chunk-write", { nth: 1 + r.int(Math.ceil(image.length / 2048)), bytes: r.int(2049) })][r.int(4)];
      // Two in the transfer (the second in the one the first may have restarted), one after it.
      const plan = [during(), during(),
        [cut("power-in-record-write", { nth: 1 + r.int(3), bytes: r.int(220) }), cut("power-on-trial", { afterMs: r.int(2000) }),
          cut("link-on-trial", { afterMs: r.int(2000) })][r.int(3)]];
      const what = "run " + run + " " + JSON.stringify(plan);
      const resetsBefore = d.emu.resets.length;
      const resets = (reason: string): number => d.emu.resets.slice(resetsBefore).filter((x) => x.reason === reason).length;
      let seen = recorder.on(stateTopic).length;
      let acked = 0;
      /** Cuts fallen, and power cuts before the one armed in the flash; when the trial began. */
      let done = 0;
      let powerBefore = 0;
      let trialAt = -1;
      const arm = (c: Cut): void => {
        powerBefore = resets("power");
        // A cut at a number of bytes falls at the next answer that reaches it.
        acked = -1;
        if (c.kind === "power-in-chunk-write") d.emu.cutPowerAtStorageWrite(c.nth, c.bytes, "han.fw");
        if (c.kind === "power-in-record-write") d.emu.cutPowerAtStorageWrite(c.nth, c.bytes, "han.boot.");
      };
      arm(plan[0]);
      const tick = (): void => {
        const states = recorder.on(stateTopic);
        for (; seen < states.length; seen++) {
          const s = JSON.parse(states[seen].payload);
          if (s.state === "receiving") acked = s.at;
        }
        if (done >= plan.length) return;
        const c = plan[done];
        if (trialAt < 0 && done === 2 && resets("load") > 0) trialAt = d.emu.clock.now;
        let falls = false;
        if (c.kind === "power-in-chunk-write" || c.kind === "power-in-record-write") falls = resets("power") > powerBefore;
        else if (done < 2) falls = acked >= c.bytes;
        else falls = trialAt >= 0 && d.emu.clock.now >= trialAt + c.afterMs;
        if (!falls) return;
        if (c.kind === "link-device" || c.kind === "link-on-trial") d.emu.net.killAll();
        if (c.kind === "link-host") (client as unknown as { stream: { destroy(): void } }).stream.destroy();
        if (c.kind === "power" || c.kind === "power-on-trial") d.emu.powerCut("the test's cut: " + c.kind);
        fell.push(c.kind);
        if (++done < plan.length) arm(plan[done]);
      };
      const result = await updateEmulated(d.emu, client, d.id, image, tick);
      assert.equal(done, plan.length, what + ": not every cut fell; " + result.text);
      assert.ok(result.ok || /^u-cuts went back to han-reader /.test(result.text), what + ": " + result.text);
      if (result.ok) running = version;
      // On a working slot: the record names it, it holds the firmware that runs, which reads and publishes.
      const record = readRecord({ readStore: (n) => d.emu.storage.read(n), writeStore: () => undefined });
      assert.ok(record && record.t === -1, what + ": the record " + JSON.stringify(record));
      assert.equal(d.emu.storage.read(slotName(record.g)), images[running], what + ": the slot that works");
      const from = recorder.on("han/u-cuts/power").length;
      await until(d, () => recorder.on("han/u-cuts/power").length > from + 1, "readings after " + what);
      assert.equal((await diagOf(d)).firmware, running, what);
    }
    console.log("update-emulator: " + fell.length + " cuts (" + fell.join(", ") + "): a working slot after each");
    d.emu.close();
  });
