// 100,000+ seeded hostile inputs: mutated frames of every layout through the HDLC path, mutated and synthetic APDUs
// straight into the DLMS parser (past the CRCs that would otherwise shield it). Nothing may throw, every input
// that yields no reading must show in a counter, and the buffers keep their size.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HanDecoder, DecoderCounters } from "../lib/han-decoder";
import { crc16x25 } from "../lib/crc16";
import { framesOfEveryLayout } from "./support/layout-frames";
import { rng, Rng } from "./support/prng";

const frames = framesOfEveryLayout(7).map((f) => f.frame);
/** The APDUs inside the frames: the information field after the LLC header. */
const apdus = frames.map((f) => {
  const hcsEnd = f.indexOf(0xe6, 5);
  return f.subarray(hcsEnd, f.length - 3);
});

const REJECTION_COUNTERS: (keyof DecoderCounters)[] = ["hcs_errors", "fcs_errors", "length_errors", "bytes_dropped",
  "oversize_frames", "unknown_layouts", "decode_errors", "unsupported"];

function rejections(c: DecoderCounters): number {
  return REJECTION_COUNTERS.reduce((n, k) => n + c[k], 0);
}

function mutate(r: Rng, input: Uint8Array): Uint8Array {
  const out = Uint8Array.from(input);
  switch (r.int(5)) {
    case 0: { // bit flips
      const flips = 1 + r.int(4);
      for (let i = 0; i < flips; i++) out[r.int(out.length)] ^= 1 << r.int(8);
      return out;
    }
    case 1: return out.subarray(0, r.int(out.length)); // truncation
    case 2: { // a wrong length or count byte somewhere
      out[r.int(out.length)] = [0x00, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff][r.int(7)];
      return out;
    }
    case 3: { // a random run of bytes
      const at = r.int(out.length);
      for (let i = at; i < Math.min(out.length, at + 1 + r.int(16)); i++) out[i] = r.int(256);
      return out;
    }
    default: return Uint8Array.from({ length: r.int(600) }, () => r.int(256));
  }
}

/** A frame around any information field, with valid CRCs, so that the fuzzed content reaches the parser. */
function frameAround(info: Uint8Array): Uint8Array {
  const length = 2 + 1 + 2 + 1 + 2 + info.length + 2;
  const f = new Uint8Array(length + 2);
  f.set([0x7e, 0xa0 | (length >> 8), length & 255, 0x41, 0x08, 0x83, 0x13]);
  let hcs = crc16x25(f, 1, 7);
  f[7] = hcs & 255; f[8] = hcs >> 8;
  f.set(info, 9);
  hcs = crc16x25(f, 1, length - 1);
  f[length - 1] = hcs & 255; f[length] = hcs >> 8;
  f[length + 1] = 0x7e;
  return f;
}

/** APDUs built to attack the parser: nesting beyond the limit, element counts beyond the bytes left. */
function hostileApdu(r: Rng): Uint8Array {
  const head = [0xe6, 0xe7, 0x00, 0x0f, 0x40, 0x00, 0x00, 0x00, 0x00];
  if (r.int(2) === 0) {
    const depth = 1 + r.int(40);
    const body: number[] = [];
    for (let i = 0; i < depth; i++) body.push(r.int(2) === 0 ? 0x01 : 0x02, 1);
    body.push(0x06, 0, 0, 0, 1);
    return Uint8Array.from(head.concat(body));
  }
  const count = [0x7f, 0x81, 0xff, 0x82, 0xff, 0xff, 0x84, 0x7f, 0xff, 0xff, 0xff][r.int(11)];
  return Uint8Array.from(head.concat([0x02, count, 0x06, 0, 0, 0, 1]));
}

test("100,000 seeded hostile inputs: no exception, every rejection counted, buffers bounded", () => {
  const r = rng(7);
  let readings = 0;
  const decoder = new HanDecoder({ onReading: () => { readings++; }, maxFrameSize: 1024 });
  const internals = decoder as unknown as { reader: { buf: Uint8Array; seg: Uint8Array | null; segMax: number;
    len: number } };
  // The reassembly buffer is made at the first segmented frame, at its bound.
  const segSize = () => { const seg = internals.reader.seg; return seg ? seg.length : internals.reader.segMax; };
  const sizes = [internals.reader.buf.length, segSize()];
  const kinds = { stream: 0, framed: 0, message: 0, hostile: 0 };
  for (let i = 0; i < 100000; i++) {
    const before = rejections(decoder.counters);
    const readingsBefore = readings;
    const kind = r.int(4);
    let empty = false;
    if (kind === 0) {
      kinds.stream++;
      const input = mutate(r, frames[r.int(frames.length)]);
      // Nothing but flags carries nothing to reject.
      empty = input.every((b) => b === 0x7e);
      decoder.push(input);
      decoder.flush();
    } else if (kind === 1) {
      kinds.framed++;
      const apdu = mutate(r, apdus[r.int(apdus.length)]);
      decoder.push(frameAround(Uint8Array.from([0xe6, 0xe7, 0x00, ...apdu])));
      decoder.flush();
    } else if (kind === 2) {
      kinds.message++;
      decoder.decodeMessage(mutate(r, apdus[r.int(apdus.length)]));
    } else {
      kinds.hostile++;
      decoder.decodeMessage(hostileApdu(r));
    }
    const rejected = rejections(decoder.counters) > before;
    const accepted = readings > readingsBefore;
    assert.ok(rejected || accepted || empty, `input ${i} vanished without a count`);
    assert.ok(internals.reader.len <= sizes[0]);
  }
  assert.deepEqual([internals.reader.buf.length, segSize()], sizes, "no buffer grew");
  const c = decoder.counters;
  // Each kind of damage was actually met, so the loop above tested what it claims.
  for (const k of ["hcs_errors", "fcs_errors", "length_errors", "bytes_dropped", "decode_errors"] as const) {
    assert.ok(c[k] > 0, k + " exercised");
  }
  assert.ok(readings > 0 && readings < 100000);
  assert.ok(Object.values(kinds).every((n) => n > 20000));
});
