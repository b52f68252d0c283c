// The USB console lock: the right password unlocks; three wrong ones are free, then each further attempt waits
// twice as long; input typed during a wait is refused, and nothing grows without bound.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConsoleGuard, delayAfter } from "../lib/console-guard";
import { FakeClock } from "./support/fake-clock";

function setup() {
  const clock = new FakeClock();
  clock.advance(1000);
  let out = "";
  let unlocked = 0;
  const guard = new ConsoleGuard("open-sesame", clock, { write: (t) => { out += t; }, unlock: () => { unlocked++; } });
  return { clock, guard, out: () => out, unlocked: () => unlocked };
}

test("the right password unlocks, in any chunking", () => {
  const s = setup();
  for (const c of "open-") s.guard.input(c);
  s.guard.input("sesame\r");
  assert.equal(s.guard.locked, false);
  assert.equal(s.unlocked(), 1);
});

test("three wrong attempts are free, then waits double; attempts during a wait are refused even when right", () => {
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
  assert.deepEqual([3, 4, 5, 6, 20].map(delayAfter), [5000, 10000, 20000, 40000, 3600000]);
  assert.deepEqual([0, 1, 2].map(delayAfter), [0, 0, 0]);
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
