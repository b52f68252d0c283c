// What the firmware takes of the ESP32's 12,000 variables on the real Espruino interpreter: its code alone (at the
// start of boot) and in steady work after a minute of an Aidon meter's frames at the meter's pace, connected to a
// broker, less what the stand-in hardware of `.boot0` takes. The figures are printed; the budgets are not held
// here yet. Skips, saying why, without the interpreter.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ESP32_JSVARS } from "../scripts/real-espruino/locate";
import { brokerForFile, deviceConfig } from "./support/emulated-device";
import { espruinoMissing } from "./support/espruino-run";
import { askDiag, bootReal, cameOnline, runMeter } from "./support/real-device";

const missing = espruinoMissing("real-espruino-memory.test.ts");
/** One broker and one recorder for the file (hooks that also run, harmlessly, when the tests skip). */
const shared = brokerForFile(["han/#"]);
const recorder = shared.recorder;
const MINUTE = 60000;


/** Each test skips, saying why, without what it needs. */
const skip = missing ? "SKIPPED: " + missing : false;

describe("the firmware's variables on the real interpreter", () => {

  test("the code alone, and steady after a minute of frames at the meter's pace", { skip: skip }, async () => {
    const base = "han/real-memory";
    const board = (await bootReal(JSON.parse(deviceConfig(shared.broker().port, "real-memory")))).board;
    try {
      await recorder.waitFor(cameOnline(recorder, 0, base), "status online", 20000);
      const [shim, code] = await board.inspect("[__shimVars,HAN_CODE_VARS]") as [number, number];
      const sent = await runMeter(board, { maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 8 }, MINUTE);
      const steady = (await board.memory()).usage - shim;
      console.log("real-espruino-memory: code " + (code - shim) + " variables, steady " + steady + " variables " +
        "(after " + sent + " Aidon frames in a minute; the stand-in hardware's " + shim + " left out)");
      for (const figure of [code - shim, steady]) assert.ok(figure > 0 && figure < ESP32_JSVARS, "figure " + figure);
      // The minute was spent decoding and publishing, not waiting on a stalled device.
      // The last frame may still wait in the UART's buffer when the command comes; diag answers once per 2 s.
      let diag = await askDiag(recorder, shared.broker().url, base);
      for (let again = 0; again < 3 && (diag.readings as number) < sent; again++) {
        await new Promise((resolve) => setTimeout(resolve, 2500));
        diag = await askDiag(recorder, shared.broker().url, base);
      }
      assert.equal(diag.readings, sent, JSON.stringify(diag));
    } finally {
      await board.stop();
    }
  });
});
