// The USB console lock on the emulated ESP32 running the firmware bundle: with console.password set, nothing typed
// reaches the REPL until the password is; three wrong passwords cost nothing, each one after that makes the next
// attempt wait (twice as long each time, 15 minutes at most), even when the next one is right, and even when SNTP
// sets the clock in the middle of the wait. The count of wrong passwords is in Storage: a reset between guesses
// (a USB serial adapter's DTR/RTS) gains nothing. A han.json that is there but cannot say what the password is
// keeps the console locked. Without a password the REPL answers at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emulate } from "./support/emulated-device";
import type { Emulator } from "../scripts/emulator/index";

const PASSWORD = "correct horse 42";

function config(password: string): string {
  return JSON.stringify({ wifi: { ssid: "han-test", password: "han-test-wifi" }, mqtt: { url: "mqtt://127.0.0.1:1" },
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

/** Types `guess` at the prompt as soon as the console takes an attempt: while it says to wait, waits as long as it
 *  says. What it answered to the attempt. */
async function guessWhenLet(emu: Emulator, guess: string): Promise<string> {
  for (;;) {
    const got = await answer(emu, guess + "\r");
    const wait = /^\r\nWait (\d+) s before trying again\./.exec(got);
    if (!wait) return got;
    await emu.advance(Number(wait[1]) * 1000 - 1000);
  }
}

test("a reset between guesses gains nothing: the count is in Storage, and each boot starts with the wait it owes",
  async () => {
  const GUESSES = 8;
  const refusals = (from: number) => Array.from({ length: GUESSES - from }, (_, i) => i + from + 1 < 3 ?
    "\r\nWrong password.\r\nConsole locked. Password: " :
    "\r\nWrong password. Next attempt in " + 5 * Math.pow(2, i + from + 1 - 3) + " s.\r\nConsole locked. Password: ");
  // Without resets: every guess as soon as the console takes one.
  const steady = emulate({ files: { "han.json": config(PASSWORD) } });
  const told: string[] = [];
  try {
    for (let i = 0; i < GUESSES; i++) told.push(await guessWhenLet(steady, "guess " + i));
    assert.deepEqual(told, refusals(0));
  } finally {
    steady.close();
  }
  const steadyMs = steady.clock.now;
  // With a reset after each guess, as a USB serial adapter does with DTR/RTS: a fresh interpreter and clock, the
  // same flash.
  const dir = mkdtempSync(join(tmpdir(), "han-console-lock-"));
  const flash = join(dir, "flash.json");
  let resetMs = 0;
  try {
    const told2: string[] = [];
    for (let i = 0; i < GUESSES; i++) {
      const emu = emulate(i === 0 ? { storage: flash, files: { "han.json": config(PASSWORD) } } : { storage: flash });
      try {
        assert.match(emu.consoles.usbOutput, /Console locked\. Password: $/);
        told2.push(await guessWhenLet(emu, "guess " + i));
        resetMs += emu.clock.now;
      } finally {
        emu.close();
      }
    }
    assert.deepEqual(told2, refusals(0), "the waits did not double across resets");
    console.log("console-lock: " + GUESSES + " guesses take " + steadyMs / 1000 + " s without resets, " + resetMs / 1000 +
      " s with a reset after each");
    assert.ok(resetMs >= steadyMs, GUESSES + " guesses took " + resetMs / 1000 + " s with resets between them, " +
      steadyMs / 1000 + " s without");
    // One byte programmed per attempt, in a file that is not rewritten.
    const emu = emulate({ storage: flash });
    try {
      assert.equal(emu.storage.read("han.tries"), "\0".repeat(GUESSES) + "\xff".repeat(16 - GUESSES));
      // The owner's password, once the wait is over, opens the console and clears the count.
      assert.equal(await guessWhenLet(emu, PASSWORD), "\r\nUnlocked.\r\n");
      assert.equal(emu.storage.read("han.tries"), undefined);
    } finally {
      emu.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(steadyMs >= (5 + 10 + 20 + 40 + 80) * 1000, "the waits were shorter than they say");
});

test("the longest wait is 15 minutes: a count at its ceiling after a reset makes the owner wait that, no more",
  async () => {
  const emu = emulate({ files: { "han.json": config(PASSWORD), "han.tries": "\0".repeat(16) } });
  try {
    assert.equal(await answer(emu, PASSWORD + "\r"), "\r\nWait 900 s before trying again.\r\nConsole locked. Password: ");
    await emu.advance(898000);
    assert.match(await answer(emu, PASSWORD + "\r"), /^\r\nWait 1 s before trying again\./);
    assert.equal(await answer(emu, PASSWORD + "\r"), "\r\nUnlocked.\r\n");
    assert.equal(emu.storage.read("han.tries"), undefined);
  } finally {
    emu.close();
  }
});

test("Enter on an empty line is no attempt: a passer-by pressing it does not make the owner wait", async () => {
  const emu = emulate({ files: { "han.json": config(PASSWORD) } });
  try {
    for (let i = 0; i < 20; i++) assert.equal(await answer(emu, "\r"), "\r\nConsole locked. Password: ");
    assert.equal(emu.storage.read("han.tries"), undefined, "an empty line was counted");
    assert.equal(await answer(emu, PASSWORD + "\r"), "\r\nUnlocked.\r\n");
  } finally {
    emu.close();
  }
});

test("a han.json that is there but cannot say what the password is keeps the console locked: no JSON, a password " +
  "that is not text; a number is its digits", async () => {
  const valid = JSON.parse(config(PASSWORD));
  const broken: [string, string][] = [
    ["cut short by an interrupted write", config(PASSWORD).slice(0, 60) + "\xff".repeat(40)],
    ["empty", ""],
    ["not an object", "[1,2]"],
    ["a password that is true", JSON.stringify(Object.assign({}, valid, { console: { password: true } }))],
    ["a console that is text", JSON.stringify(Object.assign({}, valid, { console: PASSWORD }))],
  ];
  for (const [what, text] of broken) {
    const emu = emulate({ files: { "han.json": text } });
    try {
      assert.match(emu.consoles.usbOutput, /Console locked\. Password: $/, what + ": the console is open");
      assert.ok(emu.console.has("config error: console.password unreadable: no password opens the console; install " +
        "Espruino again (README, section 3)"), what + ": the boot does not say why");
      for (const typed of [PASSWORD, "", "true", "\n", "\r\n"]) await answer(emu, typed + "\r");
      assert.equal(emu.consoles.current, "LoopbackA", what + ": something typed opened it");
      assert.equal(emu.consoles.usbOutput.indexOf("Unlocked"), -1, what);
    } finally {
      emu.close();
    }
  }
  const numeric = emulate({ files: { "han.json": JSON.stringify(Object.assign({}, valid, { console: { password: 4711 } })) } });
  try {
    assert.ok(numeric.console.has("console locked"));
    assert.match(await answer(numeric, "4712\r"), /^\r\nWrong password\./);
    assert.equal(await answer(numeric, "4711\r"), "\r\nUnlocked.\r\n");
  } finally {
    numeric.close();
  }
});
