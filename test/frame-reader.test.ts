// The HDLC layer on its own: length-delimited frames, segmentation, and resynchronisation after every kind of
// damage, with each loss under its own counter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { FrameReader } from "../lib/hdlc/frame-reader";
import { crc16x25 } from "../lib/crc16";
import { hdlcFrame, hdlcSegments, llcPayload, HdlcAddressing } from "../scripts/sim/hdlc-writer";
import { toHex } from "../lib/bytes";
import { rng } from "./support/prng";

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

/** The frame reader bundled with a crc16x25 that counts the bytes it is given: the work, whatever the reader's
 *  code does to save it. */
async function countingReader(): Promise<{ Reader: typeof FrameReader; work: { bytes: number } }> {
  const lib = fileURLToPath(new URL("../lib/", import.meta.url));
  const out = await build({
    stdin: { contents: "export { FrameReader } from \"./hdlc/frame-reader\"; export { work } from \"counted-crc\";",
      resolveDir: lib, loader: "ts" },
    bundle: true, write: false, format: "esm", platform: "neutral", logLevel: "silent",
    plugins: [{ name: "counted-crc", setup(b) {
      b.onResolve({ filter: /^counted-crc$|\/crc16$/ }, () => ({ path: "counted-crc", namespace: "counted" }));
      b.onLoad({ filter: /.*/, namespace: "counted" }, () => ({ resolveDir: lib, loader: "ts", contents:
        "import { crc16x25 as crc } from \"./crc16.ts\"; export const work = { bytes: 0 };\n" +
        "export function crc16x25(b: Uint8Array, s: number, e: number): number { work.bytes += e - s; " +
        "return crc(b, s, e); }" }));
    } }],
  });
  const bundle = await import("data:text/javascript;base64," + Buffer.from(out.outputFiles[0].text).toString("base64"));
  return { Reader: bundle.FrameReader, work: bundle.work };
}

/** Every `period` bytes a header with a valid HCS announcing a frame of `length` (whose closing flag falls on a
 *  later header's flag), then filler: each header opens a candidate frame that fails only at its FCS. */
function overlappingFrames(period: number, length: number, bytes: number): Uint8Array {
  assert.equal((length + 1) % period, 0);
  const one = new Uint8Array(period).fill(0x55);
  one.set([0x7e, 0xa0 | length >> 8, length & 255, 0x03, 0x21, 0x13]);
  const hcs = crc16x25(one, 1, 6);
  one[6] = hcs & 255;
  one[7] = hcs >> 8;
  const out = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += period) out.set(one.subarray(0, Math.min(period, bytes - at)), at);
  return out;
}

test("resynchronising costs a bounded number of CRC bytes per byte received, however frames overlap", async () => {
  const { Reader, work } = await countingReader();
  // A meter's frames (313 bytes each, with the byte values of real data) to follow the attack.
  const r = rng(9);
  const infos = Array.from({ length: 8 }, () => Uint8Array.from({ length: 300 }, () => r.int(256)));
  const good = infos.map((info) => hdlcFrame(info, 0, info.length, AIDON, false));
  for (const [period, length] of [[9, 1016], [12, 1019], [16, 1007]]) {
    const attack = overlappingFrames(period, length, 60000);
    const messages: string[] = [];
    const reader = new Reader({ maxFrameSize: 1024, onMessage: (m) => messages.push(toHex(m)) });
    work.bytes = 0;
    for (let at = 0; at < attack.length; at += 64) reader.push(attack.subarray(at, at + 64));
    const perByte = work.bytes / attack.length;
    // Before the allowance: 111, 84 and 62 CRC bytes per byte. Now 2 for the FCS, plus each header's HCS.
    assert.ok(perByte < 2 + 11 / period + 0.1, period + "-byte headers: " + perByte.toFixed(1) + " CRC bytes per byte");
    assert.equal(reader.counters.frames_ok, 0);
    // The attack's last candidates reach a kilobyte into what follows, and may have spent the allowance that the
    // frames there would need; from there on, every frame of the meter is checked and delivered.
    for (const frame of good) reader.push(frame);
    assert.deepEqual(messages.slice(-4), infos.slice(4).map((info) => toHex(info)));
    assert.ok(messages.every((m) => infos.some((info) => toHex(info) === m)));
  }
});

test("a line's own frames fit the allowance: one CRC byte per byte, every frame checked", async () => {
  const { Reader, work } = await countingReader();
  work.bytes = 0;
  const frames = Array.from({ length: 200 }, (_, n) => hdlcFrame(payload(20 + n * 5, n), 0, 20 + n * 5, AIDON, false));
  const messages: string[] = [];
  const reader = new Reader({ maxFrameSize: 1100, onMessage: (m) => messages.push(toHex(m)) });
  let bytes = 0;
  for (const frame of frames) {
    reader.push(frame);
    bytes += frame.length;
  }
  assert.equal(messages.length, 200);
  assert.equal(reader.counters.fcs_errors, 0);
  assert.ok(work.bytes / bytes < 1.05, (work.bytes / bytes).toFixed(2) + " CRC bytes per byte");
});

