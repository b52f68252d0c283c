// Firmware updates on the real Espruino interpreter, against mosquitto (the embedded broker where it is not
// installed): the update loader boots the firmware from its Storage slot, costing the variables .bootcde costs; an
// update of today's bundle goes end to end (its time and the device's variables while it runs are printed); and a
// firmware that crashes while it boots, sent next into the other slot, is rolled back by the loader. Skips, saying
// why, without the interpreter.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type mqtt from "mqtt";
import { bootFirmware, type RealBoard, type StorageFile } from "../scripts/real-espruino/device";
import { buildLoader, slotLayout } from "../scripts/build";
import { pollUntil, sendUpdate, type UpdateResult } from "../scripts/update";
import { deviceConfig, firmwareBundle, Recorder } from "./support/emulated-device";
import { END, RESULT, espruinoMissing, resultOf, runOnEspruino } from "./support/espruino-run";
import { INSTALLED, SECRET, firmwareImage, hostClient, updateBroker } from "./support/update-device";
import type { Broker } from "./support/brokers";

const missing = espruinoMissing("update-real.test.ts");
const skip = missing ? "SKIPPED: " + missing : false;

/** Samples the variables in use (after a garbage collection) every 100 ms into __peak, from a boot file that runs
 *  before .bootcde, for the update's memory peak; what it costs itself goes into the stand-in's share. */
const PEAK_SAMPLER: StorageFile = { name: ".boot1",
  data: "global.__peak=0;setInterval(function(){var u=process.memory().usage;if(u>__peak)__peak=u;},100);" +
    "__shimVars=process.memory().usage;" };

let broker: Broker;
let client: mqtt.MqttClient;
const recorder = new Recorder();

async function boot(id: string, extra?: StorageFile[]): Promise<RealBoard> {
  const config = JSON.parse(deviceConfig(broker.port, id, { remote: { secret: SECRET } }));
  const installed: StorageFile[] = slotLayout(buildLoader().code, firmwareBundle(), INSTALLED);
  const board = (await bootFirmware({ bundle: firmwareBundle(), config, installed: installed.concat(extra || []) })).board;
  await recorder.waitFor(() => recorder.on("han/" + id + "/status").some((m) => m.payload === "online"),
    id + " online", 30000);
  return board;
}

function update(id: string, image: Buffer, progress?: (at: number, length: number) => void): Promise<UpdateResult> {
  return sendUpdate({
    client, base: "han/" + id, deviceId: id, secret: SECRET, image,
    waitFor: pollUntil,
    now: () => Date.now() / 1000,
    say: () => undefined,
    progress,
  });
}

describe("firmware updates on the real interpreter", () => {
  before(async () => {
    if (missing) return;
    broker = await updateBroker("update-real.test.ts");
    await recorder.start(broker.port, ["han/#"]);
    client = await hostClient(broker);
  });

  after(async () => {
    if (missing) return;
    await client.endAsync(true);
    await recorder.stop();
    await broker.dispose();
  });

  test("the loader boots the firmware from slot 0 at the variables .bootcde costs, an update of today's bundle goes " +
    "end to end, and a firmware that crashes while it boots is rolled back", { skip, timeout: 180000 }, async () => {
    const direct = (await bootFirmware({ bundle: firmwareBundle(), config: null })).board;
    let directCode: number;
    try {
      directCode = (await direct.evaluate("HAN_CODE_VARS-__shimVars")) as number;
    } finally {
      await direct.stop();
    }
    const board = await boot("real-upd", [PEAK_SAMPLER]);
    try {
      const [slot, code, steady] = await board.evaluate("[HAN_SLOT,HAN_CODE_VARS-__shimVars,__peak-__shimVars]") as number[];
      assert.equal(slot, 0);
      // The loader's own few variables, not the +814 of a firmware evaluated inside a function.
      assert.ok(code - directCode <= 40, "through the loader " + code + " variables, from .bootcde " + directCode);
      const loop = await board.evaluate("(function(){var t=getTime();for(var i=0;i<10000;i++){}return getTime()-t;})()") as number;
      const image = firmwareImage("0.1.1");
      const started = Date.now();
      let transferred = 0;
      const peak: Promise<unknown>[] = [];
      const result = await update("real-upd", image, (at, length) => {
        if (at === length && peak.length === 0) {
          transferred = Date.now();
          peak.push(board.evaluate("__peak-__shimVars"));
        }
      });
      const ended = Date.now();
      assert.ok(result.ok, result.text + "\n" + board.consoleText.slice(-2000));
      assert.match(result.text, /^real-upd runs han-reader 0\.1\.1 \(update \d+\); it proved itself$/);
      assert.deepEqual(await board.evaluate("[HAN_FIRMWARE,HAN_SLOT]"), ["0.1.1", 1]);
      const transferPeak = await peak[0] as number;
      // Per 10,000-iteration loop here against ~330-550 ms on a 240 MHz ESP32 (../shared/docs/espruino.md B).
      const scale = 440 / (loop * 1000);
      console.log("update-real: code " + directCode + " variables from .bootcde, " + code + " through the loader; steady " +
        "before the update " + steady + ", peak while receiving " + transferPeak + " (sampled every 100 ms); " +
        image.length + " bytes in " + ((transferred - started) / 1000).toFixed(1) + " s, verified, restarted and proved after " +
        ((ended - started) / 1000).toFixed(1) + " s here; the 10,000-iteration loop took " + (loop * 1000).toFixed(0) +
        " ms here, so about " + ((transferred - started) / 1000 * scale).toFixed(0) + " s of transfer at an ESP32's speed");
      assert.ok(transferPeak < 8000, "peak " + transferPeak);

      // Into the other slot now: slot 0, whose firmware throws at once. The loader goes back to slot 1.
      const crashed = await update("real-upd", Buffer.from("throw new Error(\"boom at boot\");", "latin1"));
      const why = "update " + crashed.update + " crashed while it booted: Error: boom at boot; back to update " + result.update;
      assert.equal(crashed.text, "real-upd went back to han-reader 0.1.1 (update " + result.update + "): " + why);
      assert.match(board.consoleText, /Uncaught Error: boom at boot/);
      assert.deepEqual(await board.evaluate("[HAN_FIRMWARE,HAN_SLOT]"), ["0.1.1", 1]);
      await recorder.waitFor(() => recorder.on("han/real-upd/log").some((m) => m.payload === "update failed: " + why),
        "the failure on the log", 20000);
    } finally {
      await board.stop();
    }
  });

  test("what an asymmetric signature would cost instead: a field multiplication of Ed25519 in JavaScript, timed",
    { skip, timeout: 60000 }, async () => {
      // 16 limbs of 16 bits in Float64Arrays; the product reduced with 2^256 = 38 (mod 2^255 - 19) and carried.
      const code = "var T=new Float64Array(31);function mul(o,a,b){var i,j,c;for(i=0;i<31;i++)T[i]=0;" +
        "for(i=0;i<16;i++)for(j=0;j<16;j++)T[i+j]+=a[i]*b[j];for(i=0;i<15;i++)T[i]+=38*T[i+16];" +
        "for(j=0;j<2;j++){c=0;for(i=0;i<16;i++){T[i]+=c;c=Math.floor(T[i]/65536);T[i]-=c*65536;}T[0]+=38*c;}" +
        "for(i=0;i<16;i++)o[i]=T[i];}" +
        "var a=new Float64Array(16),b=new Float64Array(16),o=new Float64Array(16);" +
        "for(var i=0;i<16;i++){a[i]=(i*7919+3)&65535;b[i]=(i*104729+5)&65535;}" +
        "var t=getTime();for(var k=0;k<20;k++)mul(o,a,b);var m=(getTime()-t)/20;" +
        "t=getTime();for(var i=0;i<10000;i++){}var l=getTime()-t;" +
        "var r=[];for(i=0;i<16;i++)r.push(o[i]);print(" + JSON.stringify(RESULT) + "+JSON.stringify({mul:m,loop:l,o:r}));" +
        "print(" + JSON.stringify(END) + ");";
      const r = resultOf(await runOnEspruino(code)) as { mul: number; loop: number; o: number[] };
      const p = 2n ** 255n - 19n;
      const value = (limbs: number[]) => limbs.reduce((v, l, i) => v + BigInt(l) * 2n ** BigInt(16 * i), 0n);
      const limbs = (f: (i: number) => number) => Array.from({ length: 16 }, (_, i) => f(i));
      const a = limbs((i) => (i * 7919 + 3) & 65535);
      const b = limbs((i) => (i * 104729 + 5) & 65535);
      assert.equal(value(r.o) % p, value(a) * value(b) % p, "the multiplication timed is a right one");
      // A verification: decompressing the key (~260 multiplications), [s]B - [k]A with one shared doubling chain
      // (253 doublings of 8, ~190 additions of 9), the inversion to encode the result (~265): at least 4,200.
      const ratio = r.mul / r.loop;
      const esp32 = (ms: number) => (4200 * ratio * ms / 1000).toFixed(0);
      console.log("update-real: one field multiplication takes " + ratio.toFixed(3) + " times the 10,000-iteration loop; " +
        "an Ed25519 verification (>= 4,200 of them) would take " + esp32(330) + "-" + esp32(550) + " s on a 240 MHz ESP32 " +
        "(loop 330-550 ms), against milliseconds for the HMAC-SHA256 of the native SHA-256");
      assert.ok(ratio > 0.01, "ratio " + ratio);
    });
});
