// The emulated ESP32's flash as Espruino's Storage keeps it (src/jsflash.c jsfWriteFile), held to the real
// interpreter where it is present, and power cuts: at once between callbacks, or during a chosen Storage write,
// which then ends cut short (a prefix of its bytes, the next half-programmed), and nothing the dying boot writes
// after it reaches the flash (test/kept-energy.test.ts shows that nothing reaches the broker either).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createEmulator } from "../scripts/emulator/index";
import { END, RESULT, espruinoMissing, resultOf, runOnEspruino } from "./support/espruino-run";

const missing = espruinoMissing("emulator-power.test.ts");

/** Writes the way the ring and the tools use them, and the ones Espruino refuses; each result or error message. */
const WRITES = `
var S = require("Storage"), out = [];
function t(f) { try { out.push(JSON.stringify(f())); } catch (e) { out.push("error: " + e.message); } }
t(function () { return S.write("a", "Hello", 0, 16); });
t(function () { return S.read("a"); });
t(function () { return S.write("a", " ", 5); });
t(function () { return S.write("a", "World!!!", 6); });
t(function () { return S.read("a"); });
t(function () { return S.write("a", "X", 6); });
t(function () { return S.write("a", "\\x00", 14); });
t(function () { return S.write("a", "YZ", 15); });
t(function () { return S.write("b", "Z", 3); });
t(function () { return S.read("a"); });
t(function () { return S.write("a", " ", 0); });
t(function () { return S.read("a"); });
t(function () { return S.write("c", "abc"); });
t(function () { return S.write("c", "abc"); });
t(function () { return S.write("d", "", 0, 4); });
t(function () { return S.write("d", "q", 0, 4); });
t(function () { return S.write("d", "r", 1, 4); });
t(function () { return S.read("d"); });
t(function () { return S.write("d", "s", 0, 4); });
t(function () { return S.read("d"); });
`;

test("Storage writes as Espruino makes them: only into erased bytes, a file made anew at offset 0, its refusals",
  { skip: missing ? "SKIPPED: " + missing : false }, async () => {
    const real = resultOf(await runOnEspruino(WRITES + "print(" + JSON.stringify(RESULT) +
      "+JSON.stringify(out));print(" + JSON.stringify(END) + ");"));
    const emu = createEmulator({ code: WRITES });
    const emulated = structuredClone(emu.global().out);
    emu.close();
    assert.deepEqual(emulated, real);
  });

test("Storage refusals in the emulator, whatever the interpreter: the messages Espruino throws", () => {
  const emu = createEmulator({ code: WRITES });
  const got = structuredClone(emu.global().out) as string[];
  emu.close();
  assert.deepEqual([got[5], got[7], got[8]], ["error: File already written with different data",
    "error: Too much data for file size", "error: Unable to find or create file"]);
  assert.equal(JSON.parse(got[9]), "Hello World!!!\x00\xff", "a byte written into the erased end");
  assert.equal(JSON.parse(got[11]), " ", "offset 0 makes the file anew");
  assert.equal(JSON.parse(got[17]), "qr\xff\xff", "an erased file of that size is written into, not made anew");
});

test("a power cut during a chosen Storage write: a prefix of it is in flash, the next byte half-programmed, " +
  "nothing the dying callback writes after it reaches the flash, and the device boots again", async () => {
  const emu = createEmulator({ code: `
    var S = require("Storage");
    var boots = (S.read("boots") || "").length + 1;
    S.write("boots", "x".repeat(boots));
    if (boots === 1) setTimeout(function () {
      S.write("log", "abcdef", 0, 10);
      S.write("other", "written");
      S.write("log", "0123", 6);
    }, 100);
  ` });
  // Only writes to "log" count: the second of them is cut 1 byte in. "other" is no write to "log".
  emu.cutPowerAtStorageWrite(2, 1, "log");
  await emu.advance(200);
  assert.equal(emu.storage.read("log"), "abcdef" + "0" + String.fromCharCode("1".charCodeAt(0) | 0x0f) + "\xff\xff");
  assert.equal(emu.storage.read("other"), "written");
  assert.equal(emu.storage.read("boots"), "xx", "booted again after the cut");
  assert.deepEqual(emu.resets.map((r) => r.reason), ["power"]);
  emu.close();

  // After the cut, what the same callback goes on to write never happens.
  const dying = createEmulator({ code: `
    var S = require("Storage");
    if (!S.read("first")) setTimeout(function () {
      S.write("first", "1");
      S.write("after", "never");
    }, 100);
  ` });
  dying.cutPowerAtStorageWrite(1, 1e9);
  await dying.advance(200);
  assert.equal(dying.storage.read("first"), "1");
  assert.equal(dying.storage.read("after"), undefined);
  dying.powerCut();
  assert.deepEqual(dying.resets.map((r) => r.reason), ["power", "power"]);
  dying.close();
});
