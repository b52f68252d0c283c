// The firmware bundle on the real Espruino interpreter (scripts/real-espruino/), with the ESP32's 12,000
// variables: how it boots with a valid configuration, an invalid one and none; what it publishes for frames of
// every maker, against the Node decoder; the commands on <base>/cmd; and the console lock. The broker is the
// embedded one, so these run wherever the interpreter is; where it is not, they skip, saying why.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { RealBoard } from "../scripts/real-espruino/device";
import { commandPayload } from "../scripts/command";
import { FIRMWARE_VERSION } from "../lib/device";
import { instantPayload, powerPayload } from "../lib/publish/payloads";
import type { Reading } from "../lib/reading";
import { brokerForFile, deviceConfig, type Received } from "./support/emulated-device";
import { espruinoMissing } from "./support/espruino-run";
import { listSpec, sampleFrame } from "./support/layout-frames";
import { askDiag, bootReal, cameOnline, nodeDecoder, publishTo, since as sinceOn } from "./support/real-device";

const missing = espruinoMissing("real-espruino-boot.test.ts");
/** One broker and one recorder for the file (hooks that also run, harmlessly, when the tests skip). */
const shared = brokerForFile(["han/#"]);
const recorder = shared.recorder;
const SECRET = "real-interpreter-secret-42";


function since(from: number, topic: string): Received[] {
  return sinceOn(recorder, from, topic);
}

function online(from: number, base: string): () => boolean {
  return cameOnline(recorder, from, base);
}

function publish(topic: string, payload: string): Promise<void> {
  return publishTo(shared.broker().url, topic, payload);
}

function config(id: string, extra?: { [group: string]: object }): object {
  return JSON.parse(deviceConfig(shared.broker().port, id, extra));
}

/** Frames on the HAN line, about two seconds apart (the meter's list 1 pace), until `done` resolves. */
async function framesUntil(board: RealBoard, done: Promise<unknown>): Promise<void> {
  let finished = false;
  done.then(() => { finished = true; }, () => { finished = true; });
  const frame = sampleFrame(listSpec("aidon", 3, 4, 2, "NO"), 3).frame;
  while (!finished) {
    await board.sendSerial(frame);
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
}

/** Each test skips, saying why, without what it needs. */
const skip = missing ? "SKIPPED: " + missing : false;

describe("the firmware on the real interpreter", () => {

  test("a valid configuration: the boot line, Wi-Fi associates, the broker hears it; diag at once on command, " +
    "signed commands only with the secret", { skip: skip }, async () => {
    const base = "han/real-ok";
    const boot = await bootReal(config("real-ok", { remote: { secret: SECRET } }));
    const board = boot.board;
    try {
      assert.equal(boot.bootLine, "han-reader " + FIRMWARE_VERSION);
      await recorder.waitFor(online(0, base), "status online", 20000);
      await board.poll("__W.joins", (joins) => joins === 1, 10000);
      assert.equal(await board.evaluate("__W.up"), true);
      assert.deepEqual(board.linesSince(0).filter((l) => /config error|cannot connect|Uncaught/.test(l)), []);

      // The periodic diag comes a minute after boot: one within seconds of the command answers it.
      const asked = Date.now();
      const diag = await askDiag(recorder, shared.broker().url, base);
      console.log("real-espruino-boot: diag " + (Date.now() - asked) + " ms after the command");
      assert.equal(diag.rssi, -61, "the stand-in Wi-Fi's RSSI");
      assert.equal(diag.firmware, FIRMWARE_VERSION);

      let from = recorder.messages.length;
      await publish(base + "/cmd", JSON.stringify({ cmd: "reboot" }));
      await recorder.waitFor(() => since(from, base + "/log").length > 0, "the refusal on log", 10000);
      assert.match(since(from, base + "/log")[0].payload, /^command refused: reboot unsigned: no hmac member/);
      // The device runs diag at most once every 2 s.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const counted = await askDiag(recorder, shared.broker().url, base);
      assert.deepEqual([counted.commands_accepted, counted.commands_refused], [1, 1]);

      const beforeReboot = board.consoleText.length;
      // Its counter is this host's clock in ms, which the interpreter shares.
      const signed = commandPayload("reboot", undefined, SECRET, Date.now(), base);
      await publish(base + "/cmd", signed);
      assert.equal(await board.waitForLine(/han-reader \S+/, 20000, beforeReboot),
        "han-reader " + FIRMWARE_VERSION);
      // After the reboot the counter is still in flash: the same signed command is a replay.
      from = recorder.messages.length;
      await recorder.waitFor(online(from, base), "online again", 20000);
      await publish(base + "/cmd", signed);
      await recorder.waitFor(() => since(from, base + "/log").length > 0, "the replay's refusal", 10000);
      assert.equal(since(from, base + "/log")[0].payload, "command refused: reboot: counter " + JSON.parse(signed).counter +
        " already used (replay)");
    } finally {
      await board.stop();
    }
  });

  test("frames of every maker in small chunks: each published value is the Node decoder's",
    { skip: skip }, async () => {
    const base = "han/real-frames";
    const cfg = config("real-frames", { output: { perValueTopics: true } });
    const frames = [
      listSpec("aidon", 3, 4, 1, "NO"), listSpec("aidon", 3, 4, 2, "NO"), listSpec("aidon", 1, 4, 2, "NO"),
      listSpec("aidon", 3, 3, 3, "NO"), listSpec("kaifa", 3, 4, 1, "NO"), listSpec("kaifa", 3, 4, 2, "NO"),
      listSpec("kaifa", 1, 4, 3, "NO"), listSpec("kamstrup", 3, 4, 2, "NO"), listSpec("kamstrup", 3, 4, 3, "NO"),
    ].map((spec, i) => ({ spec: spec, frame: sampleFrame(spec, 100 + i).frame }));
    const readings: Reading[] = [];
    const meters: string[] = [];
    const decoder = nodeDecoder(cfg, (r) => { readings.push(r); });
    const boot = await bootReal(cfg);
    const board = boot.board;
    try {
      await recorder.waitFor(online(0, base), "status online", 20000);
      for (const f of frames) {
        const what = f.spec.maker + " list " + f.spec.list + " " + f.spec.phases + "-phase";
        const from = recorder.messages.length;
        decoder.push(f.frame);
        const reading = readings.shift() as Reading;
        assert.ok(reading, what + ": the Node decoder made no reading");
        const keys = Object.keys(reading.values);
        const expected: [string, { [key: string]: unknown } | null][] =
          [["power", powerPayload(reading, 0)], ["instant", instantPayload(reading, 0)]];
        // The per-value topics go out before the power and instant messages: wait for all of them.
        const topics = keys.concat(expected.filter(([, payload]) => payload !== null).map(([topic]) => topic));
        await board.sendSerial(f.frame);
        await recorder.waitFor(() => topics.every((k) => since(from, base + "/" + k).length > 0),
          what + ": a message on every value's topic, power and instant", 20000);
        for (const k of keys) {
          assert.equal(Number(since(from, base + "/" + k)[0].payload), reading.values[k], what + ": " + k);
        }
        for (const [topic, payload] of expected) {
          const got = since(from, base + "/" + topic).map((m) => JSON.parse(m.payload));
          assert.equal(got.length, payload ? 1 : 0, what + ": messages on " + topic);
          // The device's clock is set (ts); the Node payload is made for a clock that is not.
          if (payload) {
            assert.deepEqual(Object.assign({}, got[0], { ts: undefined }), Object.assign({}, payload, { ts: undefined }),
              what + ": " + topic);
          }
        }
        for (const energy of since(from, base + "/energy").map((m) => JSON.parse(m.payload))) {
          for (const k of Object.keys(energy).filter((key) => reading.values[key] !== undefined)) {
            assert.equal(energy[k], reading.values[k], what + ": energy " + k);
          }
        }
        // A new meter id is taken after three readings in a row, and each frame here is another meter: the
        // identity published is one the Node decoder read, not necessarily this frame's.
        meters.push(JSON.stringify(reading.meter));
        for (const meter of since(from, base + "/meter").map((m) => JSON.parse(m.payload))) {
          assert.ok(meters.indexOf(JSON.stringify(meter)) >= 0, what + ": meter " + JSON.stringify(meter));
        }
      }
      assert.ok(since(0, base + "/meter").length >= 1, "an identity");
    } finally {
      await board.stop();
    }
  });

  /** The device without a usable configuration: the console says why, and frames still go through the decoder:
   *  the autodetection locks the serial setting only on frames the decoder counted valid. */
  async function offline(stored: object | string | null, expected: RegExp[]): Promise<void> {
    const boot = await bootReal(stored);
    const board = boot.board;
    try {
      await board.waitForLine(/reading the meter without network/, 10000);
      const lines = board.linesSince(0);
      for (const line of expected) {
        assert.ok(lines.some((l) => line.test(l)), "no line " + line + " in:\n" + lines.join("\n"));
      }
      const locked = board.waitForLine(/HAN: 2400 baud, parity even works/, 45000);
      await framesUntil(board, locked);
      await locked;
      assert.deepEqual(await board.evaluate("[__W.joins,__W.up]"), [0, false], "Wi-Fi stays off");
      assert.deepEqual(board.linesSince(0).filter((l) => /Uncaught|cannot connect/.test(l)), []);
    } finally {
      await board.stop();
    }
  }

  test("an invalid configuration and none at all: the console says why, and the meter is still decoded",
    { skip: skip }, async () => {
    await Promise.all([
      offline({ deviceId: "no spaces", wifi: { ssid: "home" }, mqtt: { url: "http://broker" } },
        [/^config error: deviceId: /, /^config error: mqtt\.url: /]),
      offline(null, [/^config error: no configuration: Storage file han\.json is missing/]),
    ]);
  });

  /** A board whose console is locked with `password`, at its prompt. */
  async function lockedBoard(id: string, password: string): Promise<RealBoard> {
    const boot = await bootReal(config(id, { console: { password: password } }));
    // The boot line comes first, so that the person at the console sees it; then the prompt.
    assert.match(String(boot.bootLine), /han-reader \S+, console locked/);
    await boot.board.waitForText(/Console locked\. Password: $/, 10000, "the password prompt");
    return boot.board;
  }

  test("the console lock: what is typed at the prompt does not run, the password opens the REPL",
    { skip: skip }, async () => {
    const board = await lockedBoard("real-locked", "open sesame");
    try {
      board.type("print('RAN'+(6*7))\r");
      // A second apart, as a person types: the console takes each line in its own delivery.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const from = board.consoleText.length;
      board.type("open sesame\r");
      await board.waitForText(/Unlocked\./, 10000, "Unlocked.", from);
      assert.equal(await board.evaluate("HAN_FIRMWARE"), FIRMWARE_VERSION);
      assert.equal(board.consoleText.indexOf("RAN42"), -1, "the line typed while locked ran");
    } finally {
      await board.stop();
    }
  });

  test("the console lock: a wrong password is refused, and after the third the next must wait; a reset does not " +
    "end the wait, and the password after it opens the console", {
    skip: skip,
  }, async () => {
    const board = await lockedBoard("real-guessed", "open sesame");
    try {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const from = board.consoleText.length;
        board.type("guess" + attempt + "\r");
        const refusal = attempt < 3 ? /Wrong password\.\r\n/ : /Wrong password\. Next attempt in 5 s\./;
        await board.waitForText(refusal, 5000, "the refusal of guess " + attempt, from);
      }
      let from = board.consoleText.length;
      board.type("open sesame\r");
      await board.waitForText(/Wait \d s before trying again\./, 10000, "the wait", from);
      assert.equal(board.consoleText.indexOf("Unlocked."), -1, "unlocked during the wait");

      // Power off and on with the flash as it is, as a USB serial adapter's DTR/RTS resets the board.
      from = board.consoleText.length;
      await board.restart(readFileSync(join(board.dir, "espruino.flash")));
      await board.waitForText(/Console locked\. Password: $/, 60000, "the prompt after the reset", from);
      from = board.consoleText.length;
      board.type("open sesame\r");
      await board.waitForText(/Wait [1-5] s before trying again\./, 10000, "the wait owed after the reset", from);
      // As soon as the console takes an attempt again, the password opens it.
      let answered: RegExpMatchArray;
      do {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        from = board.consoleText.length;
        board.type("open sesame\r");
        answered = await board.waitForText(/Unlocked\.|Wait \d s/, 10000, "an answer", from);
      } while (answered[0] !== "Unlocked.");
      assert.equal(await board.evaluate("typeof require('Storage').read('han.tries')"), "undefined",
        "the count outlived the password");
    } finally {
      await board.stop();
    }
  });
});
