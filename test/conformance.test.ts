// Every real capture of ../shared/han-vectors, whatever its framing (HDLC, bare LLC or APDU, M-Bus, DSMR P1), plain,
// encrypted (with its published keys) or in block transfer, decodes to exactly the values published with it: one
// test lists each with pass or fail. One recorded deviation: Kamstrup's power factor, in hundredths. The broken
// ones are rejected under the right counter, the one without a published key is "no key", the crypto reference
// opens to its plaintext. Detection takes no list for another. And a current-transformer meter is told by its
// own powers.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HanDecoder, DecoderCounters } from "../lib/han-decoder";
import { createUnwrap } from "../lib/dlms/unwrap";
import { createMbusReader } from "../lib/mbus/frame-reader";
import { P1Decoder } from "../lib/p1/decoder";
import { detectLayout } from "../lib/meters/layouts";
import type { DataNotification } from "../lib/dlms/notification";
import type { AxdrNode } from "../lib/dlms/axdr";
import { fromHex, toHex } from "../lib/bytes";
import { ctFromPowers } from "../lib/meters/ct-from-powers";
import type { Reading, ObisValue } from "../lib/reading";
import { nodeBlockCipher } from "../scripts/node-aes";
import { MeterSimulator } from "../scripts/sim/meter";
import { expectedReading, ExpectedReading } from "../scripts/sim/layouts";
import { loadVectors, framesOf, profileFor, capturesSkip, isReadable, Vector } from "./support/vectors";

const NUMBER = /^(-?\d+)(?:\.(\d+))?(?: (\S+))?$/;
const DATE_TIME = /^(\S+)(?: dev=(-?\d+))? wd=(\d+) status=0x([0-9a-f]{2})$/;
/** A DSMR time stamp, YYMMDDhhmmss and W(inter) or S(ummer). */
const P1_STAMP = /^(\d{12}[SW])(?: (.*))?$/;

interface Decoded {
  readings: Reading[];
  counters: { [name: string]: number };
  refused: string[];
  unsupported: string[];
  /** The Data-Notifications, as a second decoder asked for the tree parsed them (none for P1). */
  trees: DataNotification[];
  /** That decoder's readings: the general way, where the first took the short one. */
  general: Reading[];
}

function keyOf(hex: string | null | undefined): Uint8Array | null {
  return hex ? fromHex(hex) : null;
}

/** A capture decoded as the device reads its framing. DLMS (HDLC, bare LLC or APDU, M-Bus) goes through HanDecoder
 *  with the unwrap the device loads for ciphered and block-transfer APDUs, given the capture's published keys (the
 *  block-transfer capture needs none, and the Danish encrypted one has none published), and with the installation
 *  facts a user configures (profileFor: the country, for Kamstrup, below); P1 through P1Decoder. */
function decodeCapture(v: Vector, tree: boolean): Decoded {
  const d: Decoded = { readings: [], counters: {}, refused: [], unsupported: [], trees: [], general: [] };
  const bytes = framesOf(v).map(fromHex);
  if (v.framing === "dsmr-p1") {
    const p1 = new P1Decoder({ onReading: (r) => d.readings.push(r), onError: (why) => d.refused.push(why) });
    for (const b of bytes) p1.push(b);
    p1.flush();
    d.counters = p1.counters as unknown as Decoded["counters"];
    return d;
  }
  const key = keyOf(v.key);
  // Kamstrup's energy resolution (10 Wh in Norway, 1 Wh in Sweden and Denmark) is not in its frames: the Norwegian,
  // Swedish and Danish lists carry the same list identifier, Kamstrup_V0001, in the same structure. A user
  // configures the country (meter.country), and here it is the capture's: kamstrup-se-list2-3p-amsreader read as
  // Norway's would be ten times its published energy. A current-transformer meter is left to its frames.
  const scaling = Object.assign({ ctCheck: ctFromPowers }, profileFor(v));
  const unwrap = createUnwrap({ key, authKey: keyOf(v.auth_key), cipher: key ? nodeBlockCipher(key) : undefined,
    onRefused: (why) => d.refused.push(why), now: () => 0 });
  const decoder = new HanDecoder({ scaling, unwrap, reader: v.framing === "mbus-multi" ? createMbusReader : undefined,
    onReading: (r) => (tree ? d.general : d.readings).push(r), onUnsupported: (why) => d.unsupported.push(why),
    onError: (why) => d.refused.push(why), onNotification: tree ? (n) => d.trees.push(n) : undefined });
  for (const b of bytes) {
    if (v.framing === "llc" || v.framing === "apdu" || v.framing === "gcm-vector") decoder.decodeMessage(b);
    else decoder.push(b);
  }
  decoder.flush();
  d.counters = decoder.counters as unknown as Decoded["counters"];
  if (!tree) {
    const general = decodeCapture(v, true);
    d.trees = general.trees;
    d.general = general.general;
  }
  return d;
}

/** The decoder's one recorded deviation from the published values: Kamstrup sends the power factor in hundredths
 *  (han-spec.md 4.4), and the capture's published decode left it unscaled (a power factor of 4). The frame's own
 *  values decide: in total PF = P / sqrt(P^2 + Q^2), per phase |P| / (U x I), within the hundredth the meter
 *  truncates to (which also holds the currents to their mA scaling). */
function checkPowerFactor(r: Reading, code: string, expected: string): void {
  const got = r.obis[code].value as number;
  const v = r.values;
  assert.equal(got, Number(expected) / 100, code);
  const phase = { "33": 1, "53": 2, "73": 3 }[/:(\d+)\.7\.0/.exec(code)![1]];
  let pf: number | undefined;
  if (phase === undefined) {
    const p = v.active_power_import + v.active_power_export;
    const q = v.reactive_power_import + v.reactive_power_export;
    pf = p / Math.sqrt(p * p + q * q);
  } else if (v["current_l" + phase] !== undefined && v["active_power_export_l" + phase] !== undefined) {
    const p = (v["active_power_import_l" + phase] || 0) + v["active_power_export_l" + phase];
    pf = p / (v["voltage_l" + phase] * v["current_l" + phase]);
  }
  if (pf !== undefined) assert.ok(Math.abs(got - pf) < 0.01, `${code}: ${got} against ${pf} from the frame's own values`);
}

/** "2016-11-29T20:00:00" of a DSMR stamp "161129200000W". */
function p1Time(stamp: string): string {
  const f = (i: number) => stamp.substr(i, 2);
  return "20" + f(0) + "-" + f(2) + "-" + f(4) + "T" + f(6) + ":" + f(8) + ":" + f(10);
}

function clockText(r: Reading): string {
  const c = r.clock;
  assert.ok(c, "clock decoded");
  return c.local + (c.deviation === null ? "" : " dev=" + c.deviation) + " wd=" + c.weekday + " status=0x" +
    (c.status === null ? "ff" : c.status.toString(16).padStart(2, "0"));
}

/** A published value against the reading's: a number with its unit, exact in the base unit (kWh is 1000 Wh, to
 *  the last digit the meter sent), a COSEM or DSMR date-time, or text. */
function checkValue(text: string, got: ObisValue, r: Reading, code: string): void {
  const time = DATE_TIME.exec(text);
  const stamp = P1_STAMP.exec(text);
  if (time) {
    assert.equal(got.value, time[1], code);
    assert.equal(clockText(r), text, code);
    return;
  }
  if (stamp && stamp[2] === undefined) {
    assert.equal(r.clock && r.clock.raw, text, code);
    return;
  }
  if (stamp) {
    // A sub-meter's value, with the time its meter read it.
    assert.ok(Object.values(r.times || {}).includes(p1Time(stamp[1])), code + ": its capture time");
    text = stamp[2];
  }
  const number = NUMBER.exec(text);
  if (number && typeof got.value === "number") {
    const fraction = number[2] || "";
    const units = Number(number[1] + fraction);
    const unit = number[3];
    const kilo = unit !== undefined && /^k/.test(unit);
    assert.equal(got.value, kilo ? units * 10 ** (3 - fraction.length) : units / 10 ** fraction.length, code);
    assert.equal(got.unit, unit === undefined ? null : unit.replace(/^k/, "").replace(/^VAr/, "var"), code);
    return;
  }
  assert.equal(String(got.value), text, code);
}

/** The logical name of a push object list entry, and its attribute. */
function entryOf(list: AxdrNode, i: number): { code: string; attribute: number } {
  const d = (list.value as AxdrNode[])[i].value as AxdrNode[];
  const ln = d[1].value as Uint8Array;
  return { code: `${ln[0]}-${ln[1]}:${ln[2]}.${ln[3]}.${ln[4]}.${ln[5]}`, attribute: d[2].value as number };
}

/** What a list element is, as published: a push object list by its length, bytes in hex or as text, numbers. */
function elementText(node: AxdrNode, hex: boolean): string {
  if (Array.isArray(node.value)) return `<push object list, ${node.value.length} entries>`;
  if (node.value instanceof Uint8Array) return hex ? toHex(node.value) : Buffer.from(node.value).toString("latin1");
  return String(node.value);
}

/** A published value that is no value of the meter's, so not in the reading, checked in the parsed list instead:
 *  the push setup's own attributes (its logical name, the push object list), the three values Netz Burgenland's
 *  list sends without any name, and the Austrian EVN list's clock and meter number, bare octet-strings without
 *  an OBIS code (the clock is the reading's, from the header, which carries the same time). */
function checkInList(v: Vector, name: string, text: string, r: Reading, d: Decoded): void {
  assert.equal(d.trees.length, 1, name + ": one Data-Notification");
  const body = d.trees[0].body.value as AxdrNode[];
  const pushed = /^(\S+) \((logical_name|value\/push_object_list)\)$/.exec(name);
  if (pushed) {
    const i = body.findIndex((_, k) => {
      const e = entryOf(body[0], k);
      return e.code === pushed[1] && e.attribute === (pushed[2] === "logical_name" ? 1 : 2);
    });
    assert.ok(i >= 0, name + ": named by the push object list");
    assert.equal(elementText(body[i], pushed[2] === "logical_name"), text, name);
  } else if (/^unknown_/.test(name)) {
    // A positional list's values are published in the order the list sends them (the vector's source_expected).
    assert.equal(v.verification.style, "positional", name);
    assert.equal(elementText(body[Object.keys(v.expected).indexOf(name)], false), text, name);
  } else if (/^clock \(octet-string without OBIS\)$/.test(name)) {
    assert.equal(clockText(r), text, name);
    assert.equal(elementText(body[0], true), d.trees[0].time!.raw, name + ": the header's time");
  } else if (/^meter_number \(octet-string without OBIS\)$/.test(name)) {
    assert.equal(elementText(body[body.length - 1], false), text, name);
  } else {
    assert.fail(name + ": published, but neither in the reading nor a known element without a name");
  }
}

/** Every published value of a capture that gives a reading against that reading: the OBIS-coded ones in it, and
 *  nothing more there; the rest in the list. Returns how many were compared, and where. */
function checkPublished(v: Vector, d: Decoded): string {
  assert.equal(d.readings.length, 1, "one reading");
  const r = d.readings[0];
  const inReading: string[] = [];
  let inList = 0;
  for (const name of Object.keys(v.expected)) {
    const text = v.expected[name];
    if (name === "ident") {
      // A P1 telegram's first line, "/XXX5...": the maker's three letters.
      assert.equal(r.meter.manufacturer, text.substr(1, 3).toUpperCase(), name);
      continue;
    }
    const obis = /^(\d+-\d+:\d+\.\d+\.\d+)(\.\d+)?(?: \(.+\))?$/.exec(name);
    const code = obis ? obis[1] + (obis[2] || ".255") : "";
    if (code && r.obis[code] !== undefined && !/logical_name/.test(name)) {
      if (/^1-1:(13|33|53|73)\.7\.0/.test(code) && v.manufacturer === "Kamstrup") checkPowerFactor(r, code, text);
      else checkValue(text, r.obis[code], r, name);
      inReading.push(code);
    } else {
      checkInList(v, name, text, r, d);
      inList++;
    }
  }
  assert.deepEqual(Object.keys(r.obis).sort(), inReading.sort(), "the reading holds the published codes, nothing more");
  for (const key of Object.keys(r.values)) assert.match(key, /^[a-z0-9_]+$/, "snake_case key");
  const list = nveList(v);
  if (list !== null) assert.equal(r.list, list, "NVE list");
  if (v.framing !== "dsmr-p1") {
    // The short way and the general one agree on real meters too.
    assert.deepEqual(d.general, d.readings, "the same reading from the A-XDR tree");
    if (v.framing !== "llc") assert.equal(d.counters.frames_ok, framesOf(v).length, "every frame valid");
    assert.equal(d.counters.hcs_errors + d.counters.fcs_errors + d.counters.decode_errors, 0, "no errors");
  }
  assert.deepEqual(d.refused, [], "nothing refused");
  return inReading.length + (inReading.length === 1 ? " value" : " values") +
    (inList ? `, ${inList} without a meaning checked in the list` : "");
}

/** The NVE list number a capture is labelled with; Kamstrup numbers its own lists (10-s = NVE 2, hourly = 3). */
function nveList(v: Vector): number | null {
  const m = /^(\d)/.exec(v.list);
  if (!m) return null;
  if (v.manufacturer !== "Kamstrup") return Number(m[1]);
  return /hourly/.test(v.list) ? 3 : /10 s/.test(v.list) ? 2 : null;
}

/** A broken frame: rejected under the counter its flaw belongs to, once. */
function checkBroken(v: Vector, d: Decoded): string {
  assert.equal(d.readings.length, 0);
  const c = d.counters;
  const check = v.verification as { len_ok: boolean; hcs_ok: boolean; fcs_ok: boolean };
  const counter = !check.len_ok ? "length_errors" : !check.hcs_ok ? "hcs_errors" : "fcs_errors";
  assert.equal(c[counter], 1, counter);
  assert.equal(c.hcs_errors + c.fcs_errors + c.length_errors, 1, "counted once");
  assert.equal(c.frames_ok, 0);
  assert.ok(c.bytes_dropped > 0);
  return "rejected: " + counter;
}

/** The Green Book's GCM example: its ciphertext and tag, put in a general-glo-ciphering APDU with its system
 *  title, security control and invocation counter, open under its keys to its plaintext; alone, as a message,
 *  they are noise, refused as a decode error and not thrown. */
function checkCryptoReference(v: Vector, d: Decoded): string {
  const e = v.expected as { [k: string]: string };
  assert.equal(e.ciphertext + e.auth_tag_12, v.hex);
  const content = fromHex(e.security_control + e.invocation_counter + v.hex);
  const apdu = new Uint8Array([0xdb, 8, ...fromHex(e.system_title), content.length, ...content]);
  const key = fromHex(v.key as string);
  const counters = { decode_errors: 0 } as DecoderCounters;
  const open = createUnwrap({ key, authKey: fromHex(v.auth_key as string), cipher: nodeBlockCipher(key) })(apdu, 0, counters);
  assert.ok(open, "opened");
  assert.equal(toHex(open), e.plaintext);
  assert.equal(d.readings.length, 0);
  assert.equal(d.counters.decode_errors, 1, "alone: a decode error");
  return "opens to its plaintext";
}

/** A bare APDU whose plaintext is a Data-Notification of one octet-string (test data, no meter's list): its
 *  header and body as published, and no reading, since no list layout reads an octet-string. */
function checkBareApdu(v: Vector, d: Decoded): string {
  const e = v.expected as { [k: string]: string | null };
  assert.equal(e.apdu, "data-notification");
  assert.equal(d.trees.length, 1, "one Data-Notification");
  const n = d.trees[0];
  assert.equal(n.invokeId.toString(16).padStart(8, "0"), e.invoke_id);
  assert.equal(n.time, e.date_time);
  assert.equal(elementText(n.body, true), e.body_octet_string_hex);
  assert.equal(d.readings.length, 0);
  assert.equal(d.counters.unknown_layouts, 1);
  return "its Data-Notification as published";
}

/** The Danish capture whose key is not public: "no key", counted, and nothing else. */
function checkNoKey(d: Decoded): string {
  assert.equal(d.readings.length, 0);
  assert.equal(d.counters.no_key, 1);
  assert.equal(d.counters.decode_errors + d.counters.decrypt_errors, 0);
  assert.equal(d.refused.length, 1);
  assert.match(d.refused[0], /no key/);
  return "no key (none published)";
}

function checkCapture(v: Vector, d: Decoded): string {
  if (v.negative) return checkBroken(v, d);
  if (v.framing === "gcm-vector") return checkCryptoReference(v, d);
  if (v.framing === "apdu") return checkBareApdu(v, d);
  if (v.encrypted && !v.key) return checkNoKey(d);
  return checkPublished(v, d);
}

describe("the real meter captures", { skip: capturesSkip(import.meta.url) }, () => {
  const vectors = loadVectors();
  const decoded = new Map<string, Decoded>();
  const decode = (v: Vector) => {
    if (!decoded.has(v.id)) decoded.set(v.id, decodeCapture(v, false));
    return decoded.get(v.id)!;
  };

  test("every capture decodes to exactly its published values (the list: pass or fail each)", (t) => {
    const failed: string[] = [];
    for (const v of vectors) {
      const framing = v.framing + (v.encrypted ? ", encrypted" : "");
      let line: string;
      try {
        line = "pass  " + v.id + " (" + framing + "): " + checkCapture(v, decode(v));
      } catch (e) {
        line = "FAIL  " + v.id + " (" + framing + "): " + (e as Error).message.split("\n")[0];
        failed.push(line);
      }
      t.diagnostic(line);
    }
    t.diagnostic(`${vectors.length - failed.length} of ${vectors.length} captures as published`);
    assert.deepEqual(failed, []);
  });

  test("detection takes no list for another: each capture's list is read by the layout made for it", () => {
    const found: { [layout: string]: string[] } = {};
    for (const v of vectors) {
      for (const n of decode(v).trees) {
        const layout = detectLayout(n.body) || "none";
        (found[layout] = found[layout] || []).push(v.id);
        const r = decode(v).readings;
        assert.equal(r.length ? r[0].layout : "none", layout, v.id);
      }
    }
    assert.deepEqual(found.burgenland, ["lg-e450-at-encrypted-gh501-1", "lg-e450-at-encrypted-gh501-2"]);
    assert.deepEqual(found.push, ["lg-e450-ch-gbt-3frames-gh740"]);
    // The bare APDU's octet-string is no list.
    assert.deepEqual(found.none, ["apdu-ggc-data-notification-dlmscosem"]);
    const kaifa = vectors.filter((v) => v.manufacturer === "Kaifa" && v.verification.style === "positional");
    assert.ok(kaifa.length >= 10 && kaifa.every((v) => found.kaifa.includes(v.id)), "Kaifa's positional lists stay Kaifa's");
  });

  // Without the unwrap (a device that has not loaded it yet), what is wrapped or framed otherwise is counted as
  // unsupported, never thrown.
  for (const v of vectors.filter((x) => !isReadable(x) && !x.negative && x.framing !== "gcm-vector")) {
    test(`capture ${v.id} (${v.framing}) is reported unsupported by a decoder without the unwrap, not thrown`, () => {
      const unsupported: string[] = [];
      const decoder = new HanDecoder({ onReading: () => assert.fail("a reading"), onUnsupported: (why) => unsupported.push(why) });
      for (const hex of framesOf(v)) {
        const bytes = fromHex(hex);
        if (bytes[0] === 0x7e) decoder.push(bytes);
        else decoder.decodeMessage(bytes);
      }
      decoder.flush();
      assert.equal(decoder.counters.decode_errors, 0);
      assert.ok(unsupported.length >= 1 && decoder.counters.unsupported === unsupported.length, unsupported.join());
    });
  }
});

// The Danish list carries no meter type, so a current-transformer meter's mA currents read as 0.01 A unless the
// frame's own powers tell (lib/meters/ct-from-powers.ts). The simulator's households over a day: its currents
// follow from its powers and voltages, as a real meter's do.
describe("a Kamstrup current-transformer meter told by its own powers", () => {
  function day(meterType: string, solarPeakW: number): { readings: Reading[]; expected: ExpectedReading[] } {
    const start = Date.UTC(2026, 5, 10, 0, 0, 0);
    const sim = new MeterSimulator({ maker: "kamstrup", phases: 3, wires: 4, country: "DK", lists: "dk", seed: 216,
      startMs: start, meterType, baseLoadW: 600, solarPeakW });
    const readings: Reading[] = [];
    const expected: ExpectedReading[] = [];
    const decoder = new HanDecoder({ scaling: { country: "DK", ctCheck: ctFromPowers }, onReading: (r) => readings.push(r) });
    for (const f of sim.advanceTo(start + 86400000)) {
      decoder.push(f.bytes);
      expected.push(expectedReading(f.input));
    }
    return { readings, expected };
  }

  test("a current-transformer meter: its lists from the first that tells on are in mA; before it, 0.01 A", () => {
    const { readings, expected } = day("6851131BN243101040", 0);
    assert.equal(readings.length, expected.length);
    const first = readings.findIndex((r, i) => r.values.current_l1 === expected[i].values.current_l1);
    assert.ok(first >= 0 && first < 2000, "told within the day's first hours: " + first);
    for (let i = 0; i < readings.length; i++) {
      const want = expected[i].values;
      const scaleBy = i < first ? 10 : 1;
      for (const k of ["current_l1", "current_l2", "current_l3"]) {
        assert.ok(Math.abs(readings[i].values[k] - want[k] * scaleBy) < 1e-9, `list ${i}, ${k}`);
      }
    }
  });

  test("a direct meter, with solar export on a sunny day, is never taken for one", () => {
    const { readings, expected } = day("6841131BN243101040", 9000);
    assert.ok(readings.some((r) => r.values.active_power_export > 2000), "the day exported");
    readings.forEach((r, i) => { assert.deepEqual(r.values, expected[i].values, "list " + i); });
  });
});
