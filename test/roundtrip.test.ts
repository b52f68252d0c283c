// Property: random readings -> the project's encoder (CRCs and all) -> the decoder -> the same readings, for every
// layout the encoder supports; and the same through segmented frames and through any chunking of a stream.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HanDecoder } from "../lib/han-decoder";
import type { Reading } from "../lib/reading";
import { supportedSpecs, encodeFrame, encodeSegments, encodeLlc, expectedReading, ListInput } from "../scripts/sim/layouts";
import { randomReading } from "../scripts/sim/random-reading";
import { createRng } from "../scripts/sim/random";
import { rng as testRng } from "./support/prng";

const ROUNDS = 40;

function decoderFor(input: ListInput, out: Reading[]): HanDecoder {
  const ct = input.maker === "kamstrup" && (input.meterType || "").indexOf("685") === 0;
  return new HanDecoder({ onReading: (r) => out.push(r), scaling: { country: input.country, ct } });
}

function check(input: ListInput, r: Reading | undefined, label: string): void {
  const e = expectedReading(input);
  assert.ok(r, label + ": decoded");
  assert.deepEqual(r.values, e.values, label + " values");
  assert.equal(r.list, e.list, label + " list");
  assert.equal(r.meter.id, e.meter.id, label + " id");
  assert.equal(r.meter.type, e.meter.type, label + " type");
  assert.equal(r.meter.list_version, e.meter.list_version, label + " list version");
  assert.equal(r.clock ? r.clock.raw : null, e.clockRaw, label + " clock");
}

test(`every layout: ${ROUNDS} random readings each survive encode -> decode exactly`, () => {
  const specs = supportedSpecs();
  assert.ok(specs.length >= 40);
  const rng = createRng(42);
  let count = 0;
  for (const spec of specs) {
    for (let i = 0; i < ROUNDS; i++) {
      const input = randomReading(rng, spec);
      const out: Reading[] = [];
      const decoder = decoderFor(input, out);
      decoder.push(encodeFrame(input));
      const label = `${spec.maker}/${spec.country}/list ${spec.list}/${spec.phases}p${spec.wires}w #${i}`;
      check(input, out[0], label);
      assert.equal(decoder.counters.frames_ok, 1, label);
      count++;
    }
  }
  assert.equal(count, specs.length * ROUNDS);
});

test("bare LLC payloads and segmented frames decode to the same readings", () => {
  const rng = createRng(7);
  for (const spec of supportedSpecs()) {
    const input = randomReading(rng, spec);
    const out: Reading[] = [];
    const decoder = decoderFor(input, out);
    decoder.decodeMessage(encodeLlc(input));
    for (const frame of encodeSegments(input, 37)) decoder.push(frame);
    assert.equal(out.length, 2, spec.maker);
    check(input, out[0], "llc");
    check(input, out[1], "segmented");
  }
});

test("a stream of random frames from every layout decodes alike whole and in random chunks down to one byte", () => {
  const rng = createRng(99);
  const r = testRng(5);
  const specs = supportedSpecs().filter((s) => s.country === "NO");
  const inputs = specs.map((s) => randomReading(rng, s));
  const frames = inputs.map(encodeFrame);
  const stream = Buffer.concat(frames.map((f) => Buffer.from(f)));
  for (const maxChunk of [1, 2, 7, 64, 1000]) {
    const out: Reading[] = [];
    const decoder = new HanDecoder({ onReading: (x) => out.push(x) });
    for (let at = 0; at < stream.length;) {
      const n = 1 + r.int(maxChunk);
      const piece = stream.subarray(at, at + n);
      decoder.push(r.int(2) ? new Uint8Array(piece) : piece.toString("latin1"));
      at += n;
    }
    assert.equal(out.length, inputs.length, `chunks up to ${maxChunk}`);
    out.forEach((reading, i) => assert.deepEqual(reading.values, expectedReading(inputs[i]).values));
    assert.equal(decoder.counters.bytes_dropped, 0);
  }
});
