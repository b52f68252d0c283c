// The emulator's REPL on the USB console, as the `espruino` tool and a person at a terminal use it: echo and
// "=value", lines continued while brackets are open, DLE lines without echo, Ctrl-C, the escape sequences the
// tool sends, reset() and load(), and the Espruino APIs the host tools query (process.env, Storage, E.CRC32).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, Emulator } from "../scripts/emulator/index";
import { openBrackets } from "../scripts/emulator/repl";
import { crc32 } from "../scripts/crc32";

/** What the USB console sends back after `typed`. */
async function answer(emu: Emulator, typed: string): Promise<string> {
  const before = emu.consoles.usbOutput.length;
  emu.consoles.type(typed);
  await emu.advance(10);
  return emu.consoles.usbOutput.slice(before);
}

test("typed lines are echoed, run when their brackets close, and answered with =value and a prompt", async () => {
  const emu = createEmulator({ code: "" });
  try {
    assert.equal(await answer(emu, "1+2\r"), "1+2\r\n=3\r\n>");
    assert.equal(await answer(emu, "var f = function (x) {\r"), "var f = function (x) {\r\n:");
    assert.equal(await answer(emu, "return x * 2; }\r\n"), "return x * 2; }\r\n=undefined\r\n>");
    assert.equal(await answer(emu, "f(21)\n"), "f(21)\r\n=42\r\n>");
    assert.equal(await answer(emu, "\"a\" + \"b\"\r"), "\"a\" + \"b\"\r\n=\"ab\"\r\n>");
    // Alt-Enter (ESC LF) continues the line even with its brackets closed.
    assert.equal(await answer(emu, "1\x1b\n+1\r"), "1\r\n:+1\r\n=2\r\n>");
    // An error instead of =value, then the prompt.
    assert.match(await answer(emu, "nope()\r"), /^nope\(\)\r\nUncaught ReferenceError: nope is not defined\r\n[^=]*>$/);
    assert.deepEqual(emu.console.uncaught, ["ReferenceError: nope is not defined"]);
  } finally {
    emu.close();
  }
});

test("a DLE line runs without echo or =value; what it prints comes back with a prompt", async () => {
  const emu = createEmulator({ code: "" });
  try {
    assert.equal(await answer(emu, "\x10var quiet = 5\n"), "");
    assert.equal(await answer(emu, "\x10print(\"<\", \"<<\", JSON.stringify({ q: quiet }), \">>\", \">\")\n"),
      "< << {\"q\":5} >> >\r\n>");
    // The tool's line numbers and cursor keys are swallowed; backspace deletes; Ctrl-C drops the line.
    assert.equal(await answer(emu, "\x10\x1b[12dprint(quiet)\n"), "5\r\n>");
    assert.equal(await answer(emu, "12\x08\x7f3\r"), "12\x08 \x08\x08 \x083\r\n=3\r\n>");
    assert.equal(await answer(emu, "never(\x03"), "never(\r\n>");
    assert.equal(await answer(emu, "\n"), "\r\n=undefined\r\n>");
  } finally {
    emu.close();
  }
});

test("what the firmware prints while the prompt shows takes its place, and the prompt follows", async () => {
  const emu = createEmulator({ code: "setTimeout(function () { print(\"tick\"); }, 100);" });
  try {
    assert.equal(await answer(emu, "2*2\r"), "2*2\r\n=4\r\n>");
    await emu.advance(200);
    assert.ok(emu.consoles.usbOutput.endsWith(">\rtick\r\n>"), JSON.stringify(emu.consoles.usbOutput));
  } finally {
    emu.close();
  }
});

test("the host tools' queries: process.env, Storage writes with offsets, E.CRC32, reset() and load()", async () => {
  const emu = createEmulator({ code: "" });
  try {
    const env = await answer(emu, "\x10print(\"<\",\"<<\",JSON.stringify(process.env),\">>\",\">\")\n");
    const json = JSON.parse(/< << (.*) >> >/.exec(env)![1]);
    assert.deepEqual([json.BOARD, json.VERSION], ["ESP32", "2v29"]);
    assert.ok(json.MODULES.split(",").indexOf("Storage") >= 0);

    const code = "print(\"booted \" + (1 + 1));";
    const half = code.length >> 1;
    await answer(emu, "\x10require(\"Storage\").write(\".bootcde\",atob(\"" + btoa(code.slice(0, half)) + "\"),0," +
      code.length + ")\n\x10require(\"Storage\").write(\".bootcde\",atob(\"" + btoa(code.slice(half)) + "\")," + half + ")\n");
    assert.equal(emu.storage.read(".bootcde"), code);
    const crc = await answer(emu, "\x10print(E.CRC32(require(\"Storage\").read(\".bootcde\")))\n");
    assert.equal(crc, crc32(code) + "\r\n>");
    assert.equal(crc32("123456789"), 0xcbf43926);

    await answer(emu, "\x10globalThis.mark = 1; load()\n");
    assert.ok(emu.console.has("booted 2"));
    assert.equal(await answer(emu, "typeof mark\r"), "typeof mark\r\n=\"undefined\"\r\n>");
    assert.equal(await answer(emu, "\x10reset()\n"), "\r\n>");
    assert.deepEqual(emu.resets.map(function (r) { return r.reason; }), ["load", "reset"]);
  } finally {
    emu.close();
  }
});

test("bracket counting ignores brackets in strings and comments", () => {
  assert.equal(openBrackets("f(\"(\", ')', `{`) // (((\n"), 0);
  assert.equal(openBrackets("if (a) { /* } */"), 1);
  assert.equal(openBrackets("x = `a\n"), 1);
  assert.equal(openBrackets("/* open"), 1);
  assert.equal(openBrackets("a[1]]"), -1);
});
