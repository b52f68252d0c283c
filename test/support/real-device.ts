// The firmware on the real Espruino interpreter, as the test/real-espruino*.test.ts files use it: the bundle the
// emulator tests run (built once per process) booted on a board, a meter feeding the board at its own pace, and
// the Node decoder set up as the device sets up its own, for what a frame must give.
import mqtt from "mqtt";
import { bootFirmware, type FirmwareBoot, type RealBoard } from "../../scripts/real-espruino/device";
import { MeterSimulator, type MeterOptions } from "../../scripts/sim/meter";
import { HanDecoder } from "../../lib/han-decoder";
import { validateConfig, type Config } from "../../lib/config/validate";
import type { Reading } from "../../lib/reading";
import { PASSWORD, USERNAME } from "./brokers";
import { firmwareBundle, type Received, type Recorder } from "./emulated-device";

/** What the recorder got on `topic` after its first `from` messages. */
export function since(recorder: Recorder, from: number, topic: string): Received[] {
  return recorder.messages.slice(from).filter((m) => m.topic === topic);
}

/** Whether the device under `base` has said "online" since the recorder's first `from` messages. */
export function cameOnline(recorder: Recorder, from: number, base: string): () => boolean {
  return () => since(recorder, from, base + "/status").some((m) => m.payload === "online");
}

/** Publishes `payload` (a binary string: one char per byte) with QoS 1, as a command tool would. */
export async function publishTo(url: string, topic: string, payload: string): Promise<void> {
  const client = await mqtt.connectAsync(url, { username: USERNAME, password: PASSWORD });
  await client.publishAsync(topic, Buffer.from(payload, "latin1"), { qos: 1 });
  await client.endAsync();
}

/** Sends the diag command to the device under `base` and resolves with the diag payload that answers it. */
export async function askDiag(recorder: Recorder, url: string, base: string): Promise<{ [key: string]: unknown }> {
  const from = recorder.messages.length;
  await publishTo(url, base + "/cmd", JSON.stringify({ cmd: "diag" }));
  await recorder.waitFor(() => since(recorder, from, base + "/diag").length > 0, "diag from " + base, 10000);
  return JSON.parse(since(recorder, from, base + "/diag")[0].payload);
}

export function bootReal(config: object | string | null): Promise<FirmwareBoot> {
  return bootFirmware({ bundle: firmwareBundle(), config: config });
}

/** The decoder startDevice() makes from `config`, in Node; its readings go to `onReading`. */
export function nodeDecoder(config: object, onReading: (reading: Reading) => void): HanDecoder {
  const checked = validateConfig(config);
  if (!checked.config) throw new Error("not a valid configuration: " + checked.errors.join("; "));
  const c: Config = checked.config;
  return new HanDecoder({ maxFrameSize: c.han.maxFrameSize, layout: c.meter.layout,
    scaling: { country: c.meter.country, ct: c.meter.ct, ctRatio: c.meter.ctRatio }, onReading: onReading });
}

/** Feeds `board` what a simulated meter sends over the next `ms`, each frame when the meter sends it. Resolves with
 *  the frames sent. */
export async function runMeter(board: RealBoard, meter: Omit<MeterOptions, "startMs">, ms: number): Promise<number> {
  const startMs = Date.now();
  const sim = new MeterSimulator(Object.assign({ startMs: startMs }, meter));
  let sent = 0;
  for (;;) {
    for (const frame of sim.advanceTo(Math.min(Date.now(), startMs + ms))) {
      await board.sendSerial(frame.bytes);
      sent++;
    }
    if (Date.now() - startMs >= ms) return sent;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
