// Hourly energy kept in flash on the real Espruino interpreter (Storage in its memory-mapped flash file, as on the
// ESP32): the device gets the hourly list while the broker is away, the power goes (the process killed), it
// powers up on the same flash, and once the broker is back the value arrives, once. Skips, saying why, without
// the interpreter.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MeterSimulator } from "../scripts/sim/meter";
import { startAedes } from "./support/brokers";
import { deviceConfig, Recorder } from "./support/emulated-device";
import { espruinoMissing } from "./support/espruino-run";
import { bootReal, cameOnline, since } from "./support/real-device";

const missing = espruinoMissing("real-espruino-kept.test.ts");
const skip = missing ? "SKIPPED: " + missing : false;

describe("kept energy on the real interpreter", () => {
  test("the hourly value kept while the broker is away survives a power cut and arrives once", { skip: skip,
    timeout: 180000 }, async () => {
    const base = "han/real-kept";
    const broker = await startAedes();
    const recorder = new Recorder();
    await recorder.start(broker.port, [base + "/#"]);
    await broker.stop();
    const board = (await bootReal(JSON.parse(deviceConfig(broker.port, "real-kept")))).board;
    try {
      // A Kamstrup meter at the top of an hour: its hourly list at xx:00:05 by its own clock.
      const hour = Math.floor(Date.now() / 3600000) * 3600000;
      const meter = new MeterSimulator({ maker: "kamstrup", phases: 3, wires: 4, country: "NO", seed: 5,
        startMs: hour });
      const frames = meter.advanceTo(hour + 12000);
      assert.ok(frames.some((f) => f.list === 3), "no hourly list");
      for (const f of frames) await board.sendSerial(f.bytes);
      const kept = await board.poll('require("Storage").list(/^han\\.kept/)', (v) => (v as string[]).length > 0,
        30000) as string[];
      const usage = (await board.memory()).usage;

      // Power off and on, flash as it was.
      const from = board.consoleText.length;
      await board.restart(readFileSync(join(board.dir, "espruino.flash")));
      await board.waitForText(/han-reader \S+/, 60000, "the boot line after the power cut", from);
      const heard = recorder.messages.length;
      await broker.start();
      await recorder.connected();
      await recorder.waitFor(cameOnline(recorder, heard, base), "status online", 60000);
      await recorder.waitFor(() => since(recorder, heard, base + "/energy").length > 0, "the kept value", 60000);
      // Long enough for a second copy, were one coming: the device sends what it keeps as soon as it connects.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      const energy = recorder.json(base + "/energy");
      assert.equal(energy.length, 1, JSON.stringify(energy));
      assert.equal(typeof energy[0].hour_end, "string");
      console.log("real-espruino-kept: " + kept.join(",") + " kept the value across the power cut; " + usage +
        " variables in use (with the stand-in hardware) while it was kept");
    } finally {
      await board.stop();
      await recorder.stop();
      await broker.dispose();
    }
  });
});
