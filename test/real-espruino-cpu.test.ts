// The device path (UART bytes -> decoder -> publisher -> MQTT client) in the real Espruino interpreter, through
// the CPU bench (scripts/real-espruino/bench-cpu.ts): every maker's lists, and an encrypted, an M-Bus and a P1
// meter (plain and Smarty) configured as such, must give the readings the Node decoder
// gives, to the last bit, and reach the socket. Where the interpreter is absent this skips, saying why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { benchCpu, CASES, FRAMING_CASES } from "../scripts/real-espruino/bench-cpu";
import { locateInterpreter } from "../scripts/real-espruino/locate";

test("the real interpreter reads every maker's lists as Node does and publishes them", { timeout: 900000 }, async (t) => {
  const located = locateInterpreter();
  if (!located.found) {
    console.log("real-espruino-cpu: skipped: " + located.why);
    t.skip(located.why);
    return;
  }
  const figures = await benchCpu({ rounds: 1, keepGoing: true });
  assert.ok(!("skipped" in figures));
  if ("skipped" in figures) return;
  assert.deepEqual(figures.mismatches, []);
  assert.deepEqual(figures.rows.map((r) => r.name), [...CASES, ...FRAMING_CASES].map((c) => c.name));
  for (const row of figures.rows) {
    assert.ok(row.socketBytes > 0, `${row.name}: nothing reached the socket`);
    assert.ok(row.ratio > 0 && row.ms > 0, `${row.name}: no time measured`);
  }
});
