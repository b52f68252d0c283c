// The short way through a list (lib/meters/list-reader.ts) against the general way (the A-XDR tree and the layouts),
// which a decoder takes when it is asked for the tree: on every layout, and on hostile variants of their APDUs,
// both must give the same readings, the same errors and the same counters.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HanDecoder } from "../lib/han-decoder";
import { LAYOUT_NAMES } from "../lib/meters/layouts";
import type { Reading } from "../lib/reading";
import type { ScalingProfile } from "../lib/scaling";
import { framesOfEveryLayout } from "./support/layout-frames";
import { rng } from "./support/prng";

interface Outcome { readings: unknown[]; errors: string[]; counters: unknown; notified: number }

function decode(apdu: Uint8Array, general: boolean, scaling?: Partial<ScalingProfile>): Outcome {
  const out: Outcome = { readings: [], errors: [], counters: null, notified: 0 };
  const decoder = new HanDecoder({
    scaling,
    onReading: (r) => { out.readings.push(r); },
    onError: (e) => { out.errors.push(e); },
    // Asking for the tree sends every message the general way.
    onNotification: general ? () => { out.notified++; } : undefined,
  });
  decoder.decodeMessage(apdu);
  out.counters = decoder.counters;
  return out;
}

function same(apdu: Uint8Array, what: string, scaling?: Partial<ScalingProfile>): void {
  const general = decode(apdu, true, scaling);
  const short = decode(apdu, false, scaling);
  assert.deepEqual({ readings: short.readings, errors: short.errors, counters: short.counters },
    { readings: general.readings, errors: general.errors, counters: general.counters }, what);
}

const layouts = framesOfEveryLayout(11);
const apdus = layouts.map((l) => {
  const f = l.frame;
  return f.subarray(f.indexOf(0xe6, 5) + 3, f.length - 3);
});

test("every layout reads the same both ways, under every scaling profile", () => {
  const profiles: Partial<ScalingProfile>[] = [{}, { country: "SE" }, { ct: true, ctRatio: 40 }];
  apdus.forEach((apdu, i) => {
    for (const p of profiles) same(apdu, JSON.stringify(layouts[i].input) + JSON.stringify(p), p);
    assert.equal(decode(apdu, false).readings.length, 1, "every layout decodes");
  });
});

test("mutated APDUs give the same reading or the same error both ways", () => {
  const r = rng(5);
  const tags = [0x00, 0x01, 0x02, 0x03, 0x06, 0x09, 0x0a, 0x0f, 0x10, 0x12, 0x15, 0x16, 0x17, 0x7f, 0x80, 0x81];
  let differed = 0;
  for (let n = 0; n < 6000; n++) {
    const base = apdus[r.int(apdus.length)];
    const apdu = Uint8Array.from(base);
    const edits = 1 + r.int(3);
    for (let e = 0; e < edits; e++) {
      const at = 6 + r.int(apdu.length - 6);
      apdu[at] = r.int(2) === 0 ? tags[r.int(tags.length)] : apdu[at] ^ (1 << r.int(8));
    }
    const cut = r.int(4) === 0 ? apdu.subarray(0, 6 + r.int(apdu.length - 6)) : apdu;
    same(cut, `mutation ${n}`);
    if (JSON.stringify(decode(cut, false).readings) !== JSON.stringify(decode(base, false).readings)) differed++;
  }
  // The mutations reach the values, the shapes and the lengths, not only bytes nobody reads.
  assert.ok(differed > 3000, `only ${differed} mutations changed the outcome`);
});

test("a forced layout reads its own lists as detection does, and every layout can be forced", () => {
  const forced = new Set<string>();
  apdus.forEach((apdu, i) => {
    const auto = decode(apdu, false).readings as Reading[];
    const layout = auto[0].layout;
    const readings: Reading[] = [];
    new HanDecoder({ layout, onReading: (r) => { readings.push(r); } }).decodeMessage(apdu);
    assert.deepEqual(readings, auto, JSON.stringify(layouts[i].input));
    forced.add(layout);
  });
  assert.deepEqual([...forced].sort(), LAYOUT_NAMES.slice().sort());
});

test("a layout name that is none is refused, naming the accepted ones", () => {
  assert.throws(() => new HanDecoder({ layout: "landis", onReading: () => undefined }),
    { message: 'layout must be one of auto, aidon, kaifa, kamstrup, generic; got "landis"' });
});
