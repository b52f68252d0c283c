// The firmware bundle on the real Espruino interpreter against mosquitto: the last will when the device dies, a
// broker outage it rides out (decoding all the while), and MQTT over TLS with the configuration's CA. Skips, saying
// why, without the interpreter, mosquitto or openssl.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RealBoard } from "../scripts/real-espruino/device";
import { mosquittoMissing, startMosquitto, type Broker } from "./support/brokers";
import { deviceConfig, Recorder } from "./support/emulated-device";
import { espruinoMissing } from "./support/espruino-run";
import { listSpec, sampleFrame } from "./support/layout-frames";
import { askDiag, bootReal, cameOnline, since } from "./support/real-device";
import { makeTestCa, opensslMissing, type TestCa } from "./support/test-ca";

const noInterpreter = espruinoMissing("real-espruino-mqtt.test.ts");
const noTools = mosquittoMissing() || opensslMissing();
if (!noInterpreter && noTools) console.warn("real-espruino-mqtt.test.ts: SKIPPED: " + noTools);
const missing = noInterpreter || noTools;

let dir = "";
let ca: TestCa;
let broker: Broker;
const recorder = new Recorder();

function online(from: number, base: string): () => boolean {
  return cameOnline(recorder, from, base);
}

/** A frame on the HAN line; resolves once the device has published its reading. */
async function reading(board: RealBoard, base: string, seed: number): Promise<void> {
  const from = recorder.messages.length;
  await board.sendSerial(sampleFrame(listSpec("aidon", 3, 4, 2, "NO"), seed).frame);
  await recorder.waitFor(() => since(recorder, from, base + "/instant").length > 0, "a reading on " + base, 20000);
}

/** Each test skips, saying why, without what it needs. */
const skip = missing ? "SKIPPED: " + missing : false;

describe("the firmware on the real interpreter with mosquitto", () => {
  before(async () => {
    if (missing) return;
    dir = mkdtempSync(join(tmpdir(), "han-real-tls-"));
    ca = makeTestCa(dir);
    broker = await startMosquitto({ certFile: ca.certFile, keyFile: ca.keyFile });
    await recorder.start(broker.port, ["han/#"]);
  });

  after(async () => {
    if (missing) return;
    await recorder.stop();
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test("killed at once: the broker publishes the last will, status offline", { skip: skip }, async () => {
    const base = "han/real-will";
    const board = (await bootReal(JSON.parse(deviceConfig(broker.port, "real-will")))).board;
    try {
      await recorder.waitFor(online(0, base), "status online", 20000);
      const from = recorder.messages.length;
      await board.kill();
      await recorder.waitFor(() => since(recorder, from, base + "/status").some((m) => m.payload === "offline"),
        "status offline", 10000);
      const will = since(recorder, from, base + "/status")[0];
      assert.equal(will.payload, "offline");
    } finally {
      await board.stop();
    }
  });

  test("a broker outage: frames are decoded meanwhile, and the device reconnects and publishes again",
    { skip: skip }, async () => {
    const base = "han/real-outage";
    const board = (await bootReal(JSON.parse(deviceConfig(broker.port, "real-outage")))).board;
    try {
      await recorder.waitFor(online(0, base), "status online", 20000);
      await reading(board, base, 1);
      await broker.stop();
      // Frames while the broker is away: the decoder counts them, the diag after the outage says so.
      const during = [2, 3, 4].map((seed) => sampleFrame(listSpec("aidon", 3, 4, 2, "NO"), seed).frame);
      // Apart, as a meter sends its lists (every 10 s): back to back they would only test the Linux port's FIFO.
      for (const frame of during) {
        await board.sendSerial(frame);
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
      const from = recorder.messages.length;
      await broker.start();
      await recorder.connected();
      await recorder.waitFor(online(from, base), "status online after the outage", 90000);
      await reading(board, base, 5);
      const diag = await askDiag(recorder, broker.url, base);
      assert.equal(diag.frames_ok, 2 + during.length, "frames decoded: " + JSON.stringify(diag));
      assert.equal(diag.readings, 2 + during.length);
      assert.ok((diag.mqtt_reconnects as number) >= 1, "reconnects: " + diag.mqtt_reconnects);
    } finally {
      await board.stop();
    }
  });

  test("mqtts:// with the CA in mqtt.ca: the device connects over TLS and publishes", { skip: skip }, async () => {
    const base = "han/real-tls";
    const config = JSON.parse(deviceConfig(broker.port, "real-tls",
      { mqtt: { url: broker.tlsUrl as string, ca: ca.ca } }));
    const board = (await bootReal(config)).board;
    try {
      await recorder.waitFor(online(0, base), "status online over TLS", 60000);
      await reading(board, base, 6);
      assert.deepEqual(board.linesSince(0).filter((l) => /cannot connect|Uncaught|mbedtls/.test(l)), []);
    } finally {
      await board.stop();
    }
  });
});
