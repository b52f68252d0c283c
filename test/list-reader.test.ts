// The short way through a list (lib/meters/list-reader.ts) against the general way (the A-XDR tree and the layouts),
// which a decoder takes when it is asked for the tree: on every layout, and on hostile variants of their APDUs,
// both must give the same readings, the same errors and the same counters. And the two layouts that name their
// values without OBIS codes beside them: Netz Burgenland's positional list, told by its types alone, and lists
// that send their push object list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HanDecoder } from "../lib/han-decoder";
import { LAYOUT_NAMES, detectLayout } from "../lib/meters/layouts";
import { readData } from "../lib/dlms/axdr";
import { readNotificationHeader } from "../lib/dlms/notification";
import type { Reading } from "../lib/reading";
import type { ScalingProfile } from "../lib/scaling";
import { AxdrWriter } from "../scripts/sim/axdr-writer";
import { dataNotification } from "../scripts/sim/notification-writer";
import { framesOfEveryLayout } from "./support/layout-frames";
import { rng, Rng } from "./support/prng";

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

const TIME = { year: 2026, month: 3, day: 28, weekday: 6, hour: 19, minute: 11, second: 20, hundredths: null,
  deviation: null, status: 0 };
const NOTIFICATION_ID = 0x002180fc;

/** Netz Burgenland's list (Landis+Gyr E450), which the simulator does not send: 14 elements named by their place
 *  alone. `types` stands in for its A-XDR types, one letter an element (u long-unsigned, U double-long-unsigned,
 *  o octet-string; s long, S double-long, v visible-string), to make lists that only resemble it. */
function burgenlandApdu(r: Rng, types = "uuuuuuUUUUuuuo"): { apdu: Uint8Array; raw: number[]; id: string } {
  const w = new AxdrWriter().structure(types.length);
  const raw: number[] = [];
  const id = String(10000000 + r.int(89999999));
  for (const t of types) {
    const v = "uUsS".includes(t) ? r.int(t === "U" || t === "S" ? 100000000 : 30000) : 0;
    raw.push(v);
    if (t === "u") w.uint16(v);
    else if (t === "U") w.uint32(v);
    else if (t === "s") w.int16(v);
    else if (t === "S") w.int32(v);
    else if (t === "o") w.octetStringText(id);
    else w.visibleString(id);
  }
  return { apdu: dataNotification(NOTIFICATION_ID, "octet-string", TIME, w.bytes()), raw, id };
}

interface Pushed { cls: number; code: number[]; attribute: number; index?: number; write: (w: AxdrWriter) => void }

/** A push setup's object list (class 40, attribute 2) as the first element of the body, naming each element after
 *  it, as Landis+Gyr E450 meters in Switzerland send it; the simulator does not. */
function pushListApdu(objects: Pushed[]): Uint8Array {
  const list: Pushed = { cls: 40, code: [0, 0, 25, 9, 0, 255], attribute: 2, write: () => undefined };
  const all = [list].concat(objects);
  const w = new AxdrWriter().structure(all.length).array(all.length);
  // An octet-string rather than obis(), which refuses a logical name of other than 6 bytes: a broken list needs one.
  for (const o of all) w.structure(4).uint16(o.cls).octetString(o.code).int8(o.attribute).uint16(o.index || 0);
  for (const o of objects) o.write(w);
  return dataNotification(NOTIFICATION_ID, "octet-string", TIME, w.bytes());
}

/** A Swiss push list with random values: a scaler_unit sent for the import register (after its value), none for
 *  the rest; the push setup's logical name; an element of an array attribute (data_index 3), which is no value. */
function samplePushList(r: Rng): { apdu: Uint8Array; raw: number[] } {
  const raw = [r.int(20000), r.int(100000000), r.int(6000), r.int(1000000), r.int(100000)];
  const u32 = (v: number) => (w: AxdrWriter) => { w.uint32(v); };
  const apdu = pushListApdu([
    { cls: 40, code: [0, 0, 25, 9, 0, 255], attribute: 1, write: (w) => { w.obis([0, 0, 25, 9, 0, 255]); } },
    { cls: 1, code: [0, 0, 96, 1, 0, 255], attribute: 2, write: (w) => { w.octetStringText("63326413"); } },
    { cls: 3, code: [1, 0, 1, 7, 0, 255], attribute: 2, write: u32(raw[0]) },
    { cls: 3, code: [1, 1, 1, 8, 0, 255], attribute: 2, write: u32(raw[1]) },
    { cls: 3, code: [1, 1, 1, 8, 0, 255], attribute: 3, write: (w) => { w.scalerUnit(1, 30); } },
    { cls: 3, code: [1, 0, 31, 7, 0, 255], attribute: 2, write: (w) => { w.uint16(raw[2]); } },
    { cls: 3, code: [1, 1, 5, 8, 0, 255], attribute: 2, write: u32(raw[3]) },
    { cls: 7, code: [1, 0, 99, 1, 0, 255], attribute: 2, index: 3, write: u32(raw[4]) },
  ]);
  return { apdu, raw };
}

const cases = framesOfEveryLayout(11).map((l) => {
  const f = l.frame;
  return { label: JSON.stringify(l.input), apdu: f.subarray(f.indexOf(0xe6, 5) + 3, f.length - 3) };
}).concat([
  { label: "Netz Burgenland", apdu: burgenlandApdu(rng(1)).apdu },
  { label: "push object list", apdu: samplePushList(rng(2)).apdu },
]);
const apdus = cases.map((c) => c.apdu);

/** The layout detection finds for an APDU's body. */
function detected(apdu: Uint8Array): string | null {
  const head = readNotificationHeader(apdu, 0, apdu.length);
  return detectLayout(readData({ bytes: apdu, pos: head.bodyAt, end: apdu.length }, 0));
}

test("every layout reads the same both ways, under every scaling profile", () => {
  const profiles: Partial<ScalingProfile>[] = [{}, { country: "SE" }, { ct: true, ctRatio: 40 }];
  apdus.forEach((apdu, i) => {
    for (const p of profiles) same(apdu, cases[i].label + JSON.stringify(p), p);
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
    assert.deepEqual(readings, auto, cases[i].label);
    forced.add(layout);
  });
  assert.deepEqual([...forced].sort(), LAYOUT_NAMES.slice().sort());
});

test("a layout name that is none is refused, naming the accepted ones", () => {
  assert.throws(() => new HanDecoder({ layout: "landis", onReading: () => undefined }),
    { message: 'layout must be one of auto, aidon, kaifa, kamstrup, burgenland, push, generic; got "landis"' });
});

test("Netz Burgenland's list: each element under its code, currents in 0.01 A, the three unnamed values left out", () => {
  const { apdu, raw, id } = burgenlandApdu(rng(3));
  const r = decode(apdu, false).readings[0] as Reading;
  assert.equal(r.layout, "burgenland");
  assert.equal(r.meter.manufacturer, "Landis+Gyr");
  assert.equal(r.meter.id, id);
  assert.deepEqual(r.values, { voltage_l1: raw[0], voltage_l2: raw[1], voltage_l3: raw[2], current_l1: raw[3] / 100,
    current_l2: raw[4] / 100, current_l3: raw[5] / 100, active_power_import: raw[6], active_power_export: raw[7],
    active_energy_import: raw[8], active_energy_export: raw[9] });
  assert.equal(Object.keys(r.obis).length, 11, "ten values and the meter number, nothing for the unnamed three");
  assert.equal(r.clock!.local, "2026-03-28T19:11:20", "the header's time");
});

test("a push object list names its values: each under its code, with the list's scaler_unit or the one implied", () => {
  const { apdu, raw } = samplePushList(rng(4));
  const r = decode(apdu, false).readings[0] as Reading;
  assert.equal(r.layout, "push");
  assert.equal(r.meter.id, "63326413");
  // 1-1:1.8.0 is channel 1's total (its scaler_unit, 10 Wh, came after it); 1-1:5.8.0 quadrant I's reactive energy.
  assert.deepEqual(r.values, { active_power_import: raw[0], active_energy_import: raw[1] * 10, current_l1: raw[2] / 100,
    reactive_energy_q1: raw[3] });
  assert.deepEqual(r.obis["1-1:1.8.0.255"], { value: raw[1] * 10, unit: "Wh" });
  // Neither the push setup's own attributes nor an element of an array attribute is a value of the meter's.
  assert.deepEqual(Object.keys(r.obis).sort(), ["0-0:96.1.0.255", "1-0:1.7.0.255", "1-0:31.7.0.255", "1-1:1.8.0.255",
    "1-1:5.8.0.255"]);
});

test("a push object list that does not name its body's elements, or a forced layout that is not the list's, is a decode error that says why", () => {
  const broken = pushListApdu([
    { cls: 3, code: [1, 0, 1, 7, 0, 255], attribute: 2, write: (w) => { w.uint32(5); } },
    { cls: 3, code: [1, 0, 2, 7], attribute: 2, write: (w) => { w.uint32(6); } },
  ]);
  for (const general of [false, true]) {
    const out = decode(broken, general);
    assert.deepEqual(out.readings, []);
    assert.deepEqual(out.errors, ["push object list entry 2: missing or not {class_id, logical_name, attribute_index, data_index}"]);
  }
  const errors: string[] = [];
  const kaifa = cases.find((c) => c.label.includes('"kaifa"'))!.apdu;
  for (const layout of ["burgenland", "push"]) {
    new HanDecoder({ layout, onReading: () => assert.fail("a reading"), onError: (e) => { errors.push(e); } }).decodeMessage(kaifa);
  }
  assert.deepEqual(errors, ["not Netz Burgenland's list",
    "push object list entry 0: missing or not {class_id, logical_name, attribute_index, data_index}"]);
});

test("detection: Netz Burgenland's list by its exact types only, and no simulated list is taken for it or for a push list", () => {
  const b = rng(6);
  assert.equal(detected(burgenlandApdu(b).apdu), "burgenland");
  // One element fewer or more, or any one element of another type (signed, or text of another kind): not it.
  const near = ["uuuuuuUUUUuuu", "uuuuuuUUUUuuuuo", "uuuuuuUUUUuuuv"];
  for (let i = 0; i < 13; i++) {
    const t = "uuuuuuUUUUuuuo".split("");
    t[i] = t[i] === "u" ? "s" : "S";
    near.push(t.join(""));
  }
  for (const types of near) {
    assert.equal(detected(burgenlandApdu(b, types).apdu), null, types);
    assert.equal(decode(burgenlandApdu(b, types).apdu, false).readings.length, 0, types);
  }
  const found = new Set<string>();
  for (const c of cases.slice(0, -2)) {
    const layout = detected(c.apdu);
    assert.ok(layout !== null && layout !== "burgenland" && layout !== "push", c.label + ": " + layout);
    assert.equal((decode(c.apdu, false).readings[0] as Reading).layout, layout, c.label);
    found.add(layout);
  }
  assert.deepEqual([...found].sort(), LAYOUT_NAMES.filter((n) => n !== "burgenland" && n !== "push").sort());
});
