// Any split of a byte stream, with noise between frames, gives the same readings as the whole stream at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HanDecoder } from "../lib/han-decoder";
import type { Reading } from "../lib/reading";
import { framesOfEveryLayout } from "./support/layout-frames";
import { rng } from "./support/prng";

const frames = framesOfEveryLayout(20261128).map((f) => f.frame);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Noise that real lines produce: random bytes, stray flags, and the start of a frame that never finishes. */
function noise(r: ReturnType<typeof rng>): Uint8Array {
  const kind = r.int(3);
  if (kind === 0) return Uint8Array.from({ length: 1 + r.int(40) }, () => r.int(256));
  if (kind === 1) return Uint8Array.from([0x7e, 0x7e, 0x7e]);
  const f = frames[r.int(frames.length)];
  return f.subarray(0, 1 + r.int(f.length - 2));
}

function decode(stream: Uint8Array, chunks: (s: Uint8Array) => (string | Uint8Array)[]): { readings: Reading[]; d: HanDecoder } {
  const readings: Reading[] = [];
  const d = new HanDecoder({ onReading: (r) => readings.push(r) });
  for (const c of chunks(stream)) d.push(c);
  d.flush();
  return { readings, d };
}

const whole = (s: Uint8Array) => [s];
const binaryString = (u: Uint8Array) => String.fromCharCode(...u);

test("frames back to back, sharing no flags, decode one by one and whole alike", () => {
  const stream = concat(frames);
  const one = decode(stream, whole);
  assert.equal(one.readings.length, frames.length);
  const bytewise = decode(stream, (s) => Array.from(s, (b) => Uint8Array.of(b)));
  assert.deepEqual(bytewise.readings, one.readings);
  assert.equal(bytewise.d.counters.bytes_dropped, 0);
});

test("random splits, Espruino binary strings and Uint8Array alike, with noise between frames", () => {
  const r = rng(20261128);
  for (let round = 0; round < 40; round++) {
    const parts: Uint8Array[] = [];
    const order: number[] = [];
    for (let i = 0; i < 12; i++) {
      if (r.int(2) === 0) parts.push(noise(r));
      const k = r.int(frames.length);
      order.push(k);
      parts.push(frames[k]);
    }
    const stream = concat(parts);
    const reference = decode(stream, whole);
    // A truncated frame in the noise may swallow the frame behind it only if its length reaches that far and
    // every check still passes, which the CRCs make negligible: all 12 frames must come out.
    assert.equal(reference.readings.length, order.length, "every frame survives the noise");
    const splits = (s: Uint8Array) => {
      const out: (string | Uint8Array)[] = [];
      for (let at = 0; at < s.length;) {
        const n = 1 + r.int(r.int(2) === 0 ? 3 : 300);
        const piece = s.subarray(at, at + n);
        out.push(r.int(2) === 0 ? binaryString(piece) : piece);
        at += n;
      }
      return out;
    };
    const split = decode(stream, splits);
    assert.deepEqual(split.readings, reference.readings);
    assert.deepEqual(split.d.counters, reference.d.counters);
  }
});

test("a closing flag that doubles as the next opening flag is accepted", () => {
  const a = frames[0], b = frames[1];
  const shared = concat([a, b.subarray(1)]);
  const { readings, d } = decode(shared, whole);
  assert.equal(readings.length, 2);
  assert.equal(d.counters.bytes_dropped, 0);
});
