// Every real capture decodes to exactly the values published with it; the broken ones are rejected under the
// right counter; the framings of later stages give a clean "unsupported".
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HanDecoder } from "../lib/han-decoder";
import { fromHex } from "../lib/bytes";
import type { Reading } from "../lib/reading";
import { loadVectors, isReadable, framesOf, profileFor, capturesSkip, Vector } from "./support/vectors";

const NUMBER_WITH_UNIT = /^(-?\d+(?:\.\d+)?) (\S+)$/;
const DATE_TIME = /^(\S+)(?: dev=(-?\d+))? wd=(\d+) status=0x([0-9a-f]{2})$/;

function decodeVector(v: Vector): { readings: Reading[]; decoder: HanDecoder; unsupported: string[] } {
  const readings: Reading[] = [];
  const unsupported: string[] = [];
  const decoder = new HanDecoder({ scaling: profileFor(v), onReading: (r) => readings.push(r),
    onUnsupported: (why) => unsupported.push(why) });
  for (const hex of framesOf(v)) {
    const bytes = fromHex(hex);
    if (bytes[0] === 0x7e) decoder.push(bytes);
    else decoder.decodeMessage(bytes);
  }
  decoder.flush();
  return { readings, decoder, unsupported };
}

/** Power factor is sent in hundredths (han-spec.md 4.4); the capture's published decode left it unscaled. The
 *  frame's own powers decide: PF = P / sqrt(P^2 + Q^2). */
function checkPowerFactor(r: Reading, code: string, expected: string): void {
  const got = r.obis[code].value as number;
  assert.equal(got, Number(expected) / 100, code);
  if (code.includes(":13.7.0")) {
    const p = r.values.active_power_import + r.values.active_power_export;
    const q = r.values.reactive_power_import + r.values.reactive_power_export;
    assert.ok(Math.abs(got - p / Math.sqrt(p * p + q * q)) < 0.01, "total power factor agrees with P and Q");
  }
}

function checkExpected(v: Vector, r: Reading): void {
  assert.deepEqual(Object.keys(r.obis).sort(), Object.keys(v.expected).sort(), "the same OBIS codes");
  for (const code of Object.keys(v.expected)) {
    const expected = v.expected[code];
    const got = r.obis[code];
    const number = NUMBER_WITH_UNIT.exec(expected);
    const time = DATE_TIME.exec(expected);
    if (number) {
      assert.equal(got.value, Number(number[1]), code);
      assert.equal(got.unit, number[2], code);
    } else if (time) {
      assert.equal(got.value, time[1], code);
      assert.ok(r.clock, "clock decoded");
      assert.equal(r.clock.deviation, time[2] === undefined ? null : Number(time[2]), code + " deviation");
      assert.equal(r.clock.weekday, Number(time[3]), code + " weekday");
      const status = parseInt(time[4], 16);
      assert.equal(r.clock.status, status === 0xff ? null : status, code + " status");
    } else if (/^(1-1:(13|33|53|73)\.7\.0)/.test(code) && v.manufacturer === "Kamstrup") {
      checkPowerFactor(r, code, expected);
    } else {
      assert.equal(String(got.value), expected, code);
    }
  }
}

/** The NVE list number a capture is labelled with; Kamstrup numbers its own lists (10-s = NVE 2, hourly = 3). */
function nveList(v: Vector): number | null {
  const m = /^(\d)/.exec(v.list);
  if (!m) return null;
  if (v.manufacturer !== "Kamstrup") return Number(m[1]);
  return /hourly/.test(v.list) ? 3 : /10 s/.test(v.list) ? 2 : null;
}

describe("the real meter captures", { skip: capturesSkip(import.meta.url) }, () => {
  const vectors = loadVectors();

  for (const v of vectors.filter(isReadable)) {
    test(`capture ${v.id} decodes to its published values`, () => {
      const { readings, decoder } = decodeVector(v);
      assert.equal(readings.length, 1, "one reading");
      assert.equal(decoder.counters.decode_errors + decoder.counters.hcs_errors + decoder.counters.fcs_errors, 0);
      checkExpected(v, readings[0]);
      const r = readings[0];
      const list = nveList(v);
      if (list !== null) assert.equal(r.list, list, "NVE list");
      for (const key of Object.keys(r.values)) assert.match(key, /^[a-z0-9_]+$/, "snake_case key");
      if (v.verification.len_field) assert.equal(decoder.counters.frames_ok, framesOf(v).length);
    });
  }

  for (const v of vectors.filter((x) => x.negative)) {
    test(`broken capture ${v.id} is rejected and counted`, () => {
      const { readings, decoder } = decodeVector(v);
      assert.equal(readings.length, 0);
      const c = decoder.counters;
      const check = v.verification as { len_ok: boolean; hcs_ok: boolean; fcs_ok: boolean };
      const counter = !check.len_ok ? "length_errors" : !check.hcs_ok ? "hcs_errors" : "fcs_errors";
      assert.equal(c[counter], 1, counter);
      assert.equal(c.hcs_errors + c.fcs_errors + c.length_errors, 1, "counted once");
      assert.equal(c.frames_ok, 0);
      assert.ok(c.bytes_dropped > 0);
    });
  }

  // The crypto reference is a bare ciphertext, not a message: it must be refused like any other noise.
  const isCryptoReference = (v: Vector) => v.framing === "gcm-vector";

  test("the bare GCM ciphertext reference is refused as a decode error, not thrown", () => {
    for (const v of vectors.filter(isCryptoReference)) {
      const { readings, decoder } = decodeVector(v);
      assert.equal(readings.length, 0);
      assert.equal(decoder.counters.decode_errors, 1);
    }
  });

  for (const v of vectors.filter((x) => !isReadable(x) && !x.negative && !isCryptoReference(x))) {
    const framing = v.framing + (v.encrypted ? ", encrypted" : "");
    test(`capture ${v.id} (${framing}) is reported unsupported, not thrown`, () => {
      const { readings, decoder, unsupported } = decodeVector(v);
      assert.equal(readings.length, 0);
      assert.equal(decoder.counters.decode_errors, 0);
      assert.ok(unsupported.length >= 1 && decoder.counters.unsupported === unsupported.length, unsupported.join());
    });
  }
});
