// The HDLC layer on its own: length-delimited frames, segmentation, and resynchronisation after every kind of
// damage, with each loss under its own counter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FrameReader } from "../lib/hdlc/frame-reader";
import { hdlcFrame, hdlcSegments, llcPayload, HdlcAddressing } from "../scripts/sim/hdlc-writer";
import { toHex } from "../lib/bytes";

const AIDON: HdlcAddressing = { destination: [0x20], source: [4, 65], control: 0x13 };

function collect(maxFrameSize?: number) {
  const messages: string[] = [];
  const frames: string[] = [];
  const reader = new FrameReader({ maxFrameSize, onMessage: (m) => messages.push(toHex(m)),
    onFrame: (f) => frames.push(toHex(f)) });
  return { reader, messages, frames };
}

function payload(n: number, seed: number): Uint8Array {
  // Flags and escape bytes on purpose: HAN frames carry them unescaped.
  return Uint8Array.from({ length: n }, (_, i) => [0x7e, 0x7d, (i * 31 + seed) & 255][i % 3]);
}

test("a frame is cut by its length field, 0x7E and 0x7D inside it are data", () => {
  const info = payload(100, 1);
  const frame = hdlcFrame(info, 0, info.length, AIDON, false);
  const { reader, messages, frames } = collect();
  reader.push(frame);
  assert.deepEqual(messages, [toHex(info)]);
  assert.deepEqual(frames, [toHex(frame)]);
  assert.equal(reader.counters.frames_ok, 1);
});

test("segmented frames (S bit) are reassembled; the LLC header appears once", () => {
  const info = llcPayload(payload(700, 2));
  const segments = hdlcSegments(info, AIDON, 200);
  assert.ok(segments.length === 4 && (segments[0][1] & 0x08) !== 0 && (segments[3][1] & 0x08) === 0);
  const { reader, messages } = collect();
  for (const s of segments) reader.push(s);
  assert.deepEqual(messages, [toHex(info)]);
  assert.equal(reader.counters.frames_ok, 4);
});

test("the reassembly buffer is made at the first segmented frame, at its bound, and then kept", () => {
  const { reader, messages } = collect(300);
  const seg = () => (reader as unknown as { seg: Uint8Array | null }).seg;
  const single = payload(100, 7);
  reader.push(hdlcFrame(single, 0, single.length, AIDON, false));
  assert.equal(seg(), null, "a meter that never segments never pays for it");
  const info = llcPayload(payload(500, 8));
  for (const s of hdlcSegments(info, AIDON, 200)) reader.push(s);
  assert.deepEqual(messages, [toHex(single), toHex(info)]);
  const made = seg();
  assert.equal(made && made.length, 4 * 300, "four frames' worth by default");
  for (const s of hdlcSegments(info, AIDON, 200)) reader.push(s);
  assert.equal(seg(), made, "the buffer is reused");
  assert.equal(messages.length, 3);
});

test("a segmented message larger than its bound is dropped and counted, and the next message is whole", () => {
  const big = hdlcSegments(payload(5000, 3), AIDON, 500);
  const small = hdlcFrame(payload(10, 4), 0, 10, AIDON, false);
  const { reader, messages } = collect(600);
  for (const s of big) reader.push(s);
  reader.push(small);
  assert.ok(reader.counters.oversize_frames >= 1);
  assert.deepEqual(messages.slice(-1), [toHex(payload(10, 4))]);
});

test("a frame longer than the maximum frame size is skipped without waiting for it", () => {
  const long = hdlcFrame(payload(1500, 5), 0, 1500, AIDON, false);
  const next = hdlcFrame(payload(20, 6), 0, 20, AIDON, false);
  const { reader, messages } = collect(1024);
  const stream = new Uint8Array(long.length + next.length);
  stream.set(long);
  stream.set(next, long.length);
  reader.push(stream);
  assert.equal(reader.counters.oversize_frames, 1);
  assert.deepEqual(messages, [toHex(payload(20, 6))]);
});

test("garbage, a bad HCS, a bad FCS, a missing closing flag and a truncated frame each cost only themselves", () => {
  const good = (n: number) => hdlcFrame(payload(40, n), 0, 40, AIDON, false);
  const badHcs = good(1); badHcs[7] ^= 1;
  const badFcs = good(2); badFcs[badFcs.length - 2] ^= 0x80;
  const noFlag = good(3); noFlag[noFlag.length - 1] = 0x00;
  const truncated = good(4).subarray(0, 30);
  const parts = [Uint8Array.of(1, 2, 3, 0x7e, 0x55), good(10), badHcs, good(11), badFcs, good(12), noFlag, good(13),
    truncated, good(14), Uint8Array.of(0x7e, 0xa0, 0x03, 0x7e), good(15)];
  const { reader, messages } = collect();
  for (const p of parts) reader.push(p);
  reader.flush();
  assert.deepEqual(messages, [10, 11, 12, 13, 14, 15].map((n) => toHex(payload(40, n))));
  const c = reader.counters;
  assert.equal(c.hcs_errors, 1);
  assert.ok(c.fcs_errors >= 1);
  // A truncated frame runs into the next one; where a 0x7E happens to sit at its supposed end, the FCS rather than
  // the closing flag catches it. Either way each damaged piece is counted.
  assert.ok(c.fcs_errors + c.length_errors >= 4, "bad FCS, missing flag, truncation, impossible length");
  assert.ok(c.bytes_dropped > 0);
});

test("an address longer than four bytes is refused", () => {
  // Format, five address bytes without the end bit, then filler up to the length.
  const f = Uint8Array.from([0x7e, 0xa0, 0x0c, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0x7e]);
  const { reader, messages } = collect();
  reader.push(f);
  reader.flush();
  assert.equal(messages.length, 0);
  assert.ok(reader.counters.length_errors >= 1);
});
