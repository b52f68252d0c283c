// Serial autodetection judged by what the frame reader makes of the bytes: valid frames keep a setting, bytes
// without frames (or damaged frames) condemn it, silence changes nothing, and a frame that may be luck proves nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialAutodetect, CANDIDATES, LineCounters } from "../lib/serial-autodetect";

function counters(): LineCounters {
  return { bytes_in: 0, frames_ok: 0, hcs_errors: 0, fcs_errors: 0, length_errors: 0 };
}

test("starts at 2400 8E1, moves on only with evidence, locks on valid frames", () => {
  const d = new SerialAutodetect(null, null);
  const c = counters();
  assert.deepEqual(d.current, { baud: 2400, parity: "even" });
  assert.equal(d.judge(c), null, "silence");
  c.bytes_in += 300;
  assert.equal(d.judge(c), null, "too few bytes to judge: the window goes on");
  c.bytes_in += 400;
  assert.deepEqual(d.judge(c), { baud: 2400, parity: "none" }, "enough bytes and no frame");
  c.bytes_in += 100;
  assert.equal(d.judge(c), null);
  c.bytes_in += 100;
  assert.deepEqual(d.judge(c), { baud: 9600, parity: "even" }, "two windows of bytes without a frame, however few");
  d.judge(c);
  c.bytes_in += 250;
  c.frames_ok += 2;
  assert.equal(d.judge(c), null);
  assert.equal(d.locked, true);
  const report = d.report();
  assert.deepEqual(report.slice(0, 3).map((r) => [r.verdict, r.bytes, r.frames_ok]),
    [["no frames", 700, 0], ["no frames", 200, 0], ["working", 250, 2]]);
  assert.ok(report.slice(3).every((r) => r.verdict === "untried"));
});

test("damaged frames condemn a setting before many bytes have arrived", () => {
  const d = new SerialAutodetect(null, null);
  const c = counters();
  c.bytes_in += 200;
  c.fcs_errors += 2;
  c.length_errors += 1;
  assert.deepEqual(d.judge(c), { baud: 2400, parity: "none" });
});

test("a setting that worked survives a burst of noise, and is given up after three bad windows", () => {
  const d = new SerialAutodetect(null, { baud: 2400, parity: "none" });
  const c = counters();
  assert.deepEqual(d.current, { baud: 2400, parity: "none" }, "starts from the stored setting");
  c.bytes_in += 300; c.frames_ok += 2;
  d.judge(c);
  for (let i = 0; i < 2; i++) {
    c.bytes_in += 700;
    assert.equal(d.judge(c), null, "grace");
  }
  c.bytes_in += 700;
  assert.deepEqual(d.judge(c), { baud: 9600, parity: "even" });
  assert.equal(d.locked, false);
});

test("a configured setting is never changed, and the candidates wrap around", () => {
  const fixed = new SerialAutodetect({ baud: 115200, parity: "none" }, null);
  const c = counters();
  c.bytes_in += 5000;
  assert.equal(fixed.judge(c), null);
  const d = new SerialAutodetect(null, CANDIDATES[CANDIDATES.length - 1]);
  c.bytes_in += 5000;
  assert.deepEqual(d.judge(c), CANDIDATES[0]);
});

test("a valid frame among damaged ones is luck, not a setting: the window goes on, then the setting is given up", () => {
  const d = new SerialAutodetect(null, null);
  const c = counters();
  c.bytes_in += 5000; c.frames_ok += 1; c.fcs_errors += 6; c.length_errors += 2;
  assert.equal(d.judge(c), null);
  assert.equal(d.locked, false, "locked on one frame among eight damaged");
  c.bytes_in += 5000; c.fcs_errors += 7;
  assert.deepEqual(d.judge(c), { baud: 2400, parity: "none" });
  assert.deepEqual([d.report()[0].verdict, d.report()[0].frames_ok, d.report()[0].bytes], ["too few frames", 1, 10000]);
});

test("a lone valid frame with little else waits for the next frames to confirm it; two that outnumber the damaged " +
  "lock at once", () => {
  const d = new SerialAutodetect(null, null);
  const c = counters();
  c.bytes_in += 150; c.frames_ok += 1;
  for (let i = 0; i < 3; i++) {
    assert.equal(d.judge(c), null);
    assert.equal(d.locked, false, "locked on a single frame");
    c.bytes_in += 100;
  }
  c.frames_ok += 2;
  assert.equal(d.judge(c), null);
  assert.equal(d.locked, true);
  assert.deepEqual([d.report()[0].verdict, d.report()[0].frames_ok], ["working", 3]);

  const e = new SerialAutodetect(null, { baud: 2400, parity: "none" });
  const k = counters();
  k.bytes_in += 450; k.frames_ok += 2; k.hcs_errors += 1;
  assert.equal(e.judge(k), null);
  assert.equal(e.locked, true, "two valid frames and one damaged (a window that began mid-frame)");
});
