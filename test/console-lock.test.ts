// The USB console lock on the emulated ESP32 running the firmware bundle: with console.password set, nothing typed
// reaches the REPL until the password is; three wrong passwords cost nothing, each one after that makes the next
// attempt wait (twice as long each time), even when the next one is right, and even when SNTP sets the clock in
// the middle of the wait. Without a password the REPL answers at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { emulate } from "./support/emulated-device";
import type { Emulator } from "../scripts/emulator/index";

const PASSWORD = "correct horse 42";

function config(password: string): string {
  return JSON.stringify({ wifi: { ssid: "han-test", password: "secret" }, mqtt: { url: "mqtt://127.0.0.1:1" },
    console: { password: password } });
}

/** What the USB console sends back after `typed`, a virtual second later. */
async function answer(emu: Emulator, typed: string): Promise<string> {
  const before = emu.consoles.usbOutput.length;
  emu.consoles.type(typed);
  await emu.advance(1000);
  return emu.consoles.usbOutput.slice(before);
}

test("a locked console: the REPL only after the password; three wrong ones are free, the fourth waits", async () => {
  const emu = emulate({ files: { "han.json": config(PASSWORD) } });
  try {
    assert.match(emu.consoles.usbOutput, /Console locked\. Password: $/);
    // Code typed at the prompt is a wrong password, not a command.
    let got = await answer(emu, "print(\"REPL\" + \" REACHED\")\r");
    assert.equal(got, "\r\nWrong password.\r\nConsole locked. Password: ");
    assert.ok(!emu.console.has("REPL REACHED") && emu.consoles.usbOutput.indexOf("REPL REACHED") < 0);
    assert.equal(emu.consoles.current, "LoopbackA", "the REPL came back to the USB console");

    assert.equal(await answer(emu, "guess two\r"), "\r\nWrong password.\r\nConsole locked. Password: ");
    assert.equal(await answer(emu, "guess three\r"), "\r\nWrong password. Next attempt in 5 s.\r\nConsole locked. Password: ");
    // SNTP has set the wall clock meanwhile, decades forward: the wait must not end with that jump.
    assert.ok(emu.wallMs() > Date.UTC(2020, 0, 1), "the clock was not set: this test no longer covers the jump");
    // The fourth attempt within the wait is refused unheard, even with the right password.
    assert.match(await answer(emu, PASSWORD + "\r"), /^\r\nWait [1-5] s before trying again\.\r\nConsole locked\. Password: $/);
    assert.equal(emu.consoles.current, "LoopbackA");
    await emu.advance(4000);
    assert.equal(await answer(emu, "guess four\r"), "\r\nWrong password. Next attempt in 10 s.\r\nConsole locked. Password: ");
    await emu.advance(9000);

    got = await answer(emu, PASSWORD + "\r");
    assert.equal(got, "\r\nUnlocked.\r\n");
    assert.equal(emu.consoles.current, "Serial1");
    assert.equal(await answer(emu, "print(\"REPL\" + \" REACHED\")\r"), "print(\"REPL\" + \" REACHED\")\r\nREPL REACHED\r\n" +
      "=undefined\r\n>");
    assert.ok(emu.consoles.usbOutput.indexOf(PASSWORD) < 0, "the console showed the password");
  } finally {
    emu.close();
  }
});

test("Ctrl-C clears a half-typed password and shows the prompt again; neither it nor Enter on an empty line is an " +
  "attempt", async () => {
  const emu = emulate({ files: { "han.json": config(PASSWORD) } });
  try {
    assert.equal(await answer(emu, "left half-typed\x03"), "\r\nConsole locked. Password: ");
    assert.equal(await answer(emu, "\n"), "");
    assert.equal(await answer(emu, "\x10" + PASSWORD + "\r"), "\r\nUnlocked.\r\n");
    assert.equal(emu.consoles.usbOutput.indexOf("Wrong password"), -1);
  } finally {
    emu.close();
  }
});

test("without console.password the REPL answers at once", async () => {
  const emu = emulate({ files: { "han.json": config("") } });
  try {
    assert.equal(emu.consoles.usbOutput.indexOf("Console locked"), -1);
    assert.equal(await answer(emu, "6*7\r"), "6*7\r\n=42\r\n>");
  } finally {
    emu.close();
  }
});
