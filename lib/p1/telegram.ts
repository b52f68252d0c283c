// One P1 telegram (lib/p1/telegram-reader.ts) -> the normalized Reading of lib/reading.ts, under the same value
// keys and base units as the HDLC lists (docs/mqtt.md), so a Dutch P1 meter and a Norwegian HDLC one are the same
// entities to a subscriber. Reads every object of DSMR 5.0.2 P1 (and the DSMR 2.2-4.2 forms): electricity by the
// OBIS rules of lib/obis.ts, units converted ("kWh" -> Wh); identity, clock and events kept in `obis`; the M-Bus
// sub-meters (gas, water, heat) under their own keys, each with the time the sub-meter captured its value.
import type { Reading, MeterClock, ObisValue, Unit } from "../reading";
import { listKind } from "../reading";
import { obisMeaning } from "../obis";
import { daysFromCivil } from "../dlms/cosem-datetime";

/** A telegram as read: the reading, and the lines whose object this reader does not know (kept in `obis` as
 *  text, published nowhere). */
export interface TelegramResult {
  reading: Reading;
  unknown: number;
}

/** An M-Bus channel's objects (0-n:24.1.0 device type, 0-n:24.2.x value with its capture time). */
interface Channel {
  type: number;
  value: number;
  unit: string;
  time: string;
}

/** Objects of value group A = 0 that DSMR defines, B = 0, each between spaces: the version (1-3:0.2.8) and the
 *  electricity objects aside, the rest of the telegram. Their values go to `obis` only: they have no key in the
 *  contract (docs/mqtt.md), whose 48 keys go to the measured quantities. A string, not a table: see lib/obis.ts. */
const KNOWN = " 96.14.0 96.7.21 96.7.9 96.13.0 96.13.1 17.0.0 96.3.10 42.0.0 .";

/** The M-Bus device types (EN 13757-3) that have a key, by kind: gas 3; water 7 and warm water 6; heat 4, heat at
 *  the inlet 12, heat/cooling 13. */
function kindOf(type: number, unit: string): string | null {
  if (type === 3 || (type < 0 && unit === "m3")) return unit === "m3" ? "gas_volume" : null;
  if (type === 6 || type === 7) return unit === "m3" ? "water_volume" : null;
  if (type === 4 || type === 12 || type === 13 || (type < 0 && unit === "GJ")) return unit === "GJ" ? "heat_energy" : null;
  return null;
}

/** The groups of value group A-B:C.D.E, or null when the text is not one. Native string calls rather than a
 *  loop over the characters: the interpreter pays per statement, and a telegram has some 40 codes. */
function obisParts(code: string): number[] | null {
  const dash = code.indexOf("-");
  const colon = code.indexOf(":");
  if (dash < 1 || colon < dash + 2) return null;
  const parts = (code.substring(0, dash) + "." + code.substring(dash + 1, colon) + "." + code.substr(colon + 1)).split(".");
  if (parts.length !== 5) return null;
  const out: number[] = [];
  for (let i = 0; i < 5; i++) {
    const n = parseInt(parts[i], 10);
    // Digits only, without leading zeros or signs: "" + n gives back exactly the text.
    if (!(n <= 255) || "" + n !== parts[i]) return null;
    out.push(n);
  }
  return out;
}

/** What a code is worked out to once and kept: a telegram repeats its codes every second, and the interpreter
 *  pays per statement. A measured quantity's has its key and what it last read; any other's, its value groups.
 *  Short names, each a field only where needed: the device keeps one of these per code. */
interface Plan {
  /** "C.D.E" and value groups A, B, C, D, for the objects other than a measured quantity. */
  cde?: string;
  a?: number;
  b?: number;
  c?: number;
  d?: number;
  /** The measured quantity's key and base unit (lib/obis.ts), for A = 1. */
  key?: string;
  unit?: Unit;
  /** The unit last sent with it, and the power of ten that unit is worth in the base unit. */
  sent?: string;
  shift?: number;
  /** The number last read for it and its value: most values stay the same a while. A plan reads its numbers at
   *  one power of ten, its unit's (forgotten when that changes) or none. */
  num?: string;
  v?: number;
  /** The text last sent with it, and what `by` (hexText, wallTime) made of it. */
  seen?: string;
  made?: string | null;
  by?: (text: string) => string | null;
}

const enum Codes {
  /** Codes kept: more than the longest telegram has; made-up codes cannot grow it past this. */
  SIZE = 48,
}
const plans: { [code: string]: Plan } = {};
let kept = 0;

/** The plan of a code "A-B:C.D.E" not kept yet, or null when the text is not one; kept for the first Codes.SIZE
 *  codes. */
function newPlan(code: string): Plan | null {
  const p = obisParts(code);
  if (p === null) return null;
  // Uncached (lib/obis.ts obisInfo keeps its own): the plan keeps what is needed of it.
  const meaning = p[0] === 1 ? obisMeaning(code + ".255") : null;
  const plan: Plan = meaning ? { key: meaning.key, unit: meaning.unit } :
    { cde: p[2] + "." + p[3] + "." + p[4], a: p[0], b: p[1], c: p[2], d: p[3] };
  if (kept < Codes.SIZE) {
    plans[code] = plan;
    kept++;
  }
  return plan;
}

/** The plan of a code, or null when the text is not one. The work for a new code is another function's: the
 *  interpreter reads past the code it does not run, too. */
function planOf(code: string): Plan | null {
  const known = plans[code];
  // A name such as "constructor" finds what every object has, which is no plan.
  return known && (known.key || known.cde) ? known : newPlan(code);
}

/** A decimal number as P1 writes it ("00981.443", unsigned: DSMR's F formats) times 10^shift, exact where the
 *  result is an integer (so 001581.123 kWh is 1581123 Wh, not 1581123.0000000002) and otherwise the double nearest
 *  to the decimal; NaN if the text is anything else (or has more than 15 digits, beyond a double's exact
 *  integers). */
function decimal(text: string, shift: number): number {
  const dot = text.indexOf(".");
  // Espruino reads a whole number with a leading zero as octal ("010" is 8, as in ES5's legacy form): its zeros go
  // first. With a dot, it reads decimals.
  if (dot < 0) {
    let z = 0;
    while (z < text.length - 1 && text.charCodeAt(z) === 0x30) z++;
    if (z > 0) text = text.substr(z);
  }
  // Native calls rather than a pattern or a loop, which cost the interpreter several times as much: what Number()
  // and parseFloat read alike, between digits, is a plain decimal ("0x10", " 1", "1." and "" are not).
  const f = +text;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  if (text.length - (dot < 0 ? 0 : 1) > 15 || !(f >= 0) || f !== parseFloat(text) || !(first >= 0x30 && first <= 0x39) ||
    !(last >= 0x30 && last <= 0x39)) {
    return NaN;
  }
  const decimals = dot < 0 ? 0 : text.length - dot - 1;
  // Scaled to a whole number of its last digit's units, which a double holds exactly, then by what is left.
  const units = Math.round(f * Math.pow(10, decimals));
  const e = shift - decimals;
  return e >= 0 ? units * Math.pow(10, e) : units / Math.pow(10, -e);
}

/** The power of ten a unit as sent ("kWh", "kvar", "V") is worth in the base unit `base`; NaN if it is another. */
function shiftOf(sent: string, base: string): number {
  const s = sent.toLowerCase();
  const b = base.toLowerCase();
  if (s === b) return 0;
  return s === "k" + b ? 3 : NaN;
}

/** Text sent as hex (equipment identifiers, the text message): its characters when they are all printable,
 *  else the hex as sent. */
function hexText(hex: string): string {
  if (hex.length === 0 || hex.length % 2 !== 0) return hex;
  let out = "";
  for (let i = 0; i < hex.length; i += 2) {
    const c = parseInt(hex.substr(i, 2), 16);
    if (!(c >= 0x20 && c <= 0x7e) || isNaN(parseInt(hex.charAt(i + 1), 16))) return hex;
    out += String.fromCharCode(c);
  }
  return out;
}

/** by(text) for what `p` sent, worked out again only when it changes: an identifier or a capture time is the same
 *  for a while. */
function memo(p: Plan, text: string, by: (text: string) => string | null): string | null {
  if (text !== p.seen || by !== p.by) {
    p.seen = text;
    p.by = by;
    p.made = by(text);
  }
  return p.made as string | null;
}

/** decimal() of what `p` sent, worked out again only when it changes (a plan's power of ten is its own). */
function numberOf(p: Plan, text: string, shift: number): number {
  if (text !== p.num) {
    p.num = text;
    p.v = decimal(text, shift);
  }
  return p.v as number;
}

/** Local wall time "YYYY-MM-DDThh:mm:ss" of a P1 time stamp "YYMMDDhhmmss" (+ "S" summer or "W" winter time);
 *  null if it is not one. */
function wallTime(tst: string): string | null {
  if (tst.length < 12 || tst.length > 13 || (tst.length === 13 && tst.charAt(12) !== "S" && tst.charAt(12) !== "W")) {
    return null;
  }
  for (let i = 0; i < 12; i++) {
    const c = tst.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return null;
  }
  return "20" + tst.substr(0, 2) + "-" + tst.substr(2, 2) + "-" + tst.substr(4, 2) + "T" + tst.substr(6, 2) + ":" +
    tst.substr(8, 2) + ":" + tst.substr(10, 2);
}

/** The meter clock of a P1 time stamp. Its S/W flag tells summer from winter time, so in Central European time
 *  (every country with P1 meters) it fixes the offset: UTC = local - 2 h in summer, - 1 h in winter. DSMR 2.2's
 *  time stamps have no flag: their offset is left unspecified. */
function clockOf(tst: string): MeterClock | null {
  const local = wallTime(tst);
  if (local === null) return null;
  const flag = tst.charAt(12);
  const deviation = flag === "S" ? -120 : flag === "W" ? -60 : null;
  const days = daysFromCivil(+local.substr(0, 4), +local.substr(5, 2), +local.substr(8, 2));
  let utc: string | null = null;
  if (deviation !== null) {
    const ms = ((days * 24 + +local.substr(11, 2)) * 60 + +local.substr(14, 2) + deviation) * 60000 +
      +local.substr(17, 2) * 1000;
    utc = new Date(ms).toISOString().replace(".000Z", "Z");
  }
  return { raw: tst, local, deviation, weekday: ((days + 3) % 7 + 7) % 7 + 1, status: flag ? (flag === "S" ? 0x80 : 0) :
    null, dst: flag === "S", utc };
}

/** Reads one telegram: "/" identification line, objects, "!" (and its CRC, checked by the reader). Throws on text
 *  that is no telegram; an object it cannot read is counted in `unknown`, never thrown. */
export function readTelegram(text: string): TelegramResult {
  const end = text.indexOf("\n");
  if (text.charAt(0) !== "/" || end < 6) throw new Error("not a P1 telegram: no identification line");
  const ident = text.substring(1, end).trim();
  // "/XXXZ" + identification; a "\W" after Z is the enhanced-identification character, no part of the type.
  const model = ident.charAt(4) === "\\" ? ident.substr(6) : ident.substr(4);
  const reading: Reading = {
    list: "other", layout: "dsmr",
    meter: { id: null, type: model || null, list_version: null, manufacturer: ident.substr(0, 3).toUpperCase() },
    clock: null, values: {}, obis: {},
  };
  const values = reading.values;
  const channels: Channel[] = [];
  let unknown = 0;
  /** The object whose groups a continuation line "(...)" adds to (DSMR 2.2's gas value on the next line). */
  let code = "";
  let groups: string[] = [];

  const obis = reading.obis;
  const put = function (value: number | string, unit: Unit): void {
    obis[code + ".255"] = { value, unit } as ObisValue;
  };

  /** The objects other than a measured quantity: true once `p` has been put. */
  const other = function (p: Plan, first: string, number: string): boolean {
    const a = p.a, b = p.b as number, c = p.c, d = p.d, cde = p.cde as string;
    if (a === 1) {
      if (cde === "0.2.8" && groups.length === 1) {
        reading.meter.list_version = first;
        put(first, null);
        return true;
      }
      // Voltage sags and swells per phase (32/52/72.32.0, .36.0), and the power failure log.
      if (d === 32 || d === 36 || cde === "99.97.0") {
        put(groups.length === 1 ? numberOf(p, first, 0) : groups.join(" ").split("*").join(" "), null);
        return true;
      }
    } else if (a === 0 && b === 0) {
      if (cde === "1.0.0") {
        reading.clock = clockOf(first);
        put(first, null);
        return true;
      }
      // The equipment identifier; meters without one (Luxembourg's) name themselves by their logical device name.
      if (cde === "96.1.1" || ((cde === "42.0.0" || cde === "96.1.0") && reading.meter.id === null)) {
        reading.meter.id = memo(p, first, hexText) as string;
        put(reading.meter.id, null);
        return true;
      }
      if (KNOWN.indexOf(" " + cde + " ") >= 0 && groups.length === 1) {
        const n = numberOf(p, number, 0);
        put(cde.indexOf("96.13.") === 0 ? (memo(p, first, hexText) as string) : isNaN(n) ? first : n, null);
        return true;
      }
    } else if (a === 0 && b >= 1 && b <= 4 && (c === 24 || cde === "96.1.0")) {
      const ch = channels[b] || { type: -1, value: NaN, unit: "", time: "" };
      channels[b] = ch;
      if (cde === "24.1.0") {
        ch.type = numberOf(p, first, 0);
        put(ch.type, null);
        return true;
      }
      if (cde === "96.1.0") {
        put(memo(p, first, hexText) as string, null);
        return true;
      }
      // DSMR 4/5: (capture time)(value*unit). DSMR 2.2/3's 24.3.0: (time)(08)(60)(1)(0-n:24.2.1)(unit) (value).
      const old = cde === "24.3.0" && groups.length === 7;
      const valueText = old ? groups[6] : groups.length === 2 ? groups[1] : "";
      const valueStar = valueText.indexOf("*");
      const valueUnit = old ? groups[5] : valueStar < 0 ? "" : valueText.substr(valueStar + 1);
      const v = numberOf(p, valueStar < 0 ? valueText : valueText.substr(0, valueStar), 0);
      const time = memo(p, first, wallTime);
      if ((old || (d === 2 && groups.length === 2)) && !isNaN(v) && time !== null) {
        ch.value = v;
        ch.unit = valueUnit === "m3" || valueUnit === "GJ" ? valueUnit : "";
        ch.time = time;
        put(v, (ch.unit || null) as Unit);
        return true;
      }
      if (cde === "24.4.0" && groups.length === 1) {
        put(numberOf(p, first, 0), null);
        return true;
      }
    }
    return false;
  };

  /** The object `code` with its `groups`, when it is not a measured quantity read as such. */
  const takeOther = function (p: Plan | null): void {
    if (p === null) {
      unknown++;
      return;
    }
    const first = groups.length > 0 ? groups[0] : "";
    const star = first.indexOf("*");
    if (p.key || !other(p, first, star < 0 ? first : first.substr(0, star))) {
      unknown++;
      put(groups.join(""), null);
    }
  };

  /** The object `code` with its `groups`, once all its lines are in. A measured quantity, by far the most lines,
   *  is read here; its unit's worth is looked at only when the unit changes. */
  const take = function (): void {
    const p = planOf(code);
    if (p !== null && p.key && groups.length === 1) {
      const g = groups[0];
      const star = g.indexOf("*");
      const unit = star < 0 ? "" : g.substr(star + 1);
      if (unit !== p.sent) {
        p.sent = unit;
        p.shift = p.unit ? shiftOf(unit, p.unit) : unit ? NaN : 0;
        p.num = undefined;
      }
      const v = numberOf(p, star < 0 ? g : g.substr(0, star), p.shift as number);
      if (v === v) {
        values[p.key] = v;
        obis[code + ".255"] = { value: v, unit: p.unit as Unit };
        return;
      }
    }
    takeOther(p);
  };

  /** A line other than an object with one group on one line: the end, a continuation, several groups. */
  const otherLine = function (line: string, open: number): void {
    if (open < 0) {
      if (line) unknown++;
      return;
    }
    if (open > 0) {
      if (code) take();
      code = line.substr(0, open);
      groups = [];
    } else if (!code) {
      unknown++;
      return;
    }
    // "(a)(b*u)..." -> a, b*u, ...; a group without its ")" makes the object unreadable.
    let g = open;
    while (g < line.length) {
      const close = line.indexOf(")", g);
      if (line.charAt(g) !== "(" || close < 0) {
        code = "?";
        return;
      }
      groups.push(line.substring(g + 1, close));
      g = close + 1;
    }
  };

  // The objects end at the first line that begins with "!": cut there once, natively, rather than look at every
  // line's first character.
  let stop = text.length;
  for (let k = text.indexOf("!", end + 1); k >= 0; k = text.indexOf("!", k + 1)) {
    const start = text.lastIndexOf("\n", k);
    if (text.substring(start + 1, k).trim() === "") {
      stop = start;
      break;
    }
  }
  // Split once, natively: most lines are then an object with one group, read without a loop.
  const lines = text.substring(end + 1, stop).split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const open = line.indexOf("(");
    if (open > 0 && line.indexOf(")", open) === line.length - 1) {
      if (code) take();
      code = line.substr(0, open);
      groups = [line.substring(open + 1, line.length - 1)];
    } else {
      otherLine(line, open);
    }
  }
  if (code) take();

  // Dutch and Belgian meters send their registers per tariff only: the total is their sum, under the key a meter
  // with a total register gives it. Whole Wh add exactly.
  const keys = Object.keys(values);
  const sums: { [key: string]: number } = {};
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const base = k.substr(0, k.length - 3);
    if (k.indexOf("_energy_") > 0 && k.substr(k.length - 3, 2) === "_t" && values[base] === undefined) {
      sums[base] = (sums[base] || 0) + values[k];
    }
  }
  const totals = Object.keys(sums);
  for (let i = 0; i < totals.length; i++) values[totals[i]] = sums[totals[i]];

  // Each kind of sub-meter under its key, from the lowest channel that has one; its capture time beside it.
  for (let n = 1; n < channels.length; n++) {
    const ch = channels[n];
    const key = ch && ch.time ? kindOf(ch.type, ch.unit) : null;
    if (key === null || values[key] !== undefined) continue;
    values[key] = ch.value;
    if (!reading.times) reading.times = {};
    reading.times[key] = ch.time;
  }
  reading.list = listKind(values);
  return { reading, unknown };
}
