// The USB console lock: the right password unlocks; three wrong ones are free, then each further attempt waits
// twice as long, up to 15 minutes; input typed during a wait is refused, and nothing grows without bound. Each
// attempt is counted (for Storage) before it is judged, a count kept from before a reset owes its wait at once,
// an empty Enter is no attempt, and the longest password the schema takes is one the prompt can take.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConsoleGuard, delayAfter } from "../lib/console-guard";
import { validateConfig } from "../lib/config/validate";
import { FakeClock } from "./support/fake-clock";

function setup(password?: string, kept?: number) {
  const clock = new FakeClock();
  clock.advance(1000);
  let out = "";
  let unlocked = 0;
  /** What reached the console and what was counted, in order. */
  const events: string[] = [];
  const guard = new ConsoleGuard(password || "open-sesame", kept || 0, clock, {
    write: (t) => { out += t; events.push("write " + t.trim().split("\r\n")[0]); },
    unlock: () => { unlocked++; },
    count: (n) => { events.push("count " + n); },
  });
  return { clock, guard, out: () => out, unlocked: () => unlocked, events };
}

test("the right password unlocks, in any chunking", () => {
  const s = setup();
  for (const c of "open-") s.guard.input(c);
  s.guard.input("sesame\r");
  assert.equal(s.guard.locked, false);
  assert.equal(s.unlocked(), 1);
});

test("three wrong attempts are free, then waits double up to 15 minutes; attempts during a wait are refused even " +
  "when right", () => {
  const s = setup();
  for (let i = 0; i < 3; i++) s.guard.input("guess" + i + "\r");
  assert.equal(s.guard.failures, 3);
  assert.match(s.out(), /Next attempt in 5 s/);
  s.guard.input("open-sesame\r");
  assert.equal(s.guard.locked, true, "right password during the wait is not even tried");
  assert.match(s.out(), /Wait 5 s/);
  s.clock.advance(5000);
  s.guard.input("guess3\r");
  assert.match(s.out(), /Next attempt in 10 s/);
  s.clock.advance(9999);
  s.guard.input("open-sesame\r");
  assert.equal(s.guard.locked, true);
  s.clock.advance(1);
  s.guard.input("open-sesame\r");
  assert.equal(s.guard.locked, false);
  assert.deepEqual([3, 4, 5, 6, 10, 11, 16, 1000].map(delayAfter), [5000, 10000, 20000, 40000, 640000, 900000, 900000,
    900000]);
  assert.deepEqual([0, 1, 2].map(delayAfter), [0, 0, 0]);
});

test("each attempt is counted before it is judged, and the right one sets the count back to 0", () => {
  const s = setup();
  s.guard.input("guess\r");
  s.guard.input("open-sesame\r");
  assert.deepEqual(s.events, ["count 1", "write Wrong password.", "write Console locked. Password:",
    "count 2", "count 0", "write Unlocked."]);
});

test("a count kept from before a reset owes its wait from the start, right password or not", () => {
  for (const kept of [4, 11, 16]) {
    const s = setup(undefined, kept);
    const wait = delayAfter(kept);
    s.guard.input("open-sesame\r");
    assert.equal(s.guard.locked, true, kept + " kept: tried during the wait it owes");
    assert.match(s.out(), new RegExp("Wait " + wait / 1000 + " s before trying again"));
    assert.deepEqual(s.events.filter((e) => e.startsWith("count")), [], "a refused attempt was counted");
    s.clock.advance(wait - 1);
    s.guard.input("open-sesame\r");
    assert.equal(s.guard.locked, true);
    s.clock.advance(1);
    s.guard.input("wrong\r");
    assert.match(s.out(), new RegExp("Next attempt in " + delayAfter(kept + 1) / 1000 + " s"));
    assert.deepEqual(s.events.filter((e) => e.startsWith("count")), ["count " + (kept + 1)]);
  }
  const fresh = setup(undefined, 2);
  fresh.guard.input("open-sesame\r");
  assert.equal(fresh.guard.locked, false, "two kept wrong attempts owe no wait");
});

test("Enter on an empty line is no attempt: it shows the prompt again, and costs the owner nothing", () => {
  const s = setup();
  for (let i = 0; i < 50; i++) s.guard.input(i % 2 ? "\r" : "\r\n");
  assert.equal(s.guard.failures, 0);
  assert.deepEqual(s.events.filter((e) => e.startsWith("count")), []);
  assert.equal(s.out(), "\r\nConsole locked. Password: ".repeat(50));
  s.guard.input("open-sesame\r");
  assert.equal(s.guard.locked, false);
});

test("a flood of input without a newline is cut off, and the password never appears in the output", () => {
  const s = setup();
  s.guard.input("x".repeat(100000));
  s.guard.input("\r");
  assert.equal(s.guard.failures, 1);
  s.guard.input("open-sesame\r");
  assert.equal(s.guard.locked, false);
  assert.ok(!s.out().includes("open-sesame"));
  s.guard.lock();
  assert.equal(s.guard.locked, true);
});

test("the longest console.password the schema accepts can be typed; a longer one is refused, naming the field " +
  "and the length", () => {
  const base = { wifi: { ssid: "home" }, mqtt: { url: "mqtt://broker" } };
  const withPassword = (p: string) => validateConfig(Object.assign({ console: { password: p } }, base));
  let longest = 0;
  while (withPassword("p".repeat(longest + 1)).config !== null && longest < 10000) longest++;
  assert.equal(longest, 64, "the schema's maximum");
  assert.deepEqual(withPassword("p".repeat(longest + 1)).errors, ["console.password: must be text of at most 64 " +
    "characters; got a value that is not accepted"]);
  const password = Array.from({ length: longest }, (_, i) => String.fromCharCode(33 + i % 90)).join("");
  const s = setup(password);
  s.guard.input(password + "\r");
  assert.equal(s.guard.locked, false, "a password of the schema's longest cannot be typed");
});

test("Ctrl-C clears the line and brings the prompt back, costing no attempt: the host tools learn it is locked", () => {
  const s = setup();
  s.guard.input("half a passw");
  const before = s.out().length;
  s.guard.input("\x03\n");
  assert.equal(s.out().slice(before), "\r\nConsole locked. Password: ");
  assert.equal(s.guard.failures, 0);
  s.guard.input("open-sesame\r");
  assert.equal(s.guard.locked, false, "what came before Ctrl-C was not kept");
});
