// OBIS codes: their text form, and the rules that give each measured quantity its stable key and base unit.
import type { Unit } from "./reading";

/** "A-B:C.D.E.F" from the 6 bytes of a COSEM logical name. */
export function obisText(bytes: Uint8Array, offset: number): string {
  const b = bytes;
  const o = offset;
  return b[o] + "-" + b[o + 1] + ":" + b[o + 2] + "." + b[o + 3] + "." + b[o + 4] + "." + b[o + 5];
}

/** The 6 bytes of an OBIS code given as "A-B:C.D.E.F". */
export function obisBytes(code: string): number[] {
  const parts = code.split(/[-:.]/);
  if (parts.length !== 6) throw new Error("not an OBIS code: " + code);
  return parts.map((p) => { return parseInt(p, 10) & 255; });
}

/** What an OBIS code means to a reader: a key in Reading.values, or one of the identity/clock slots. */
export interface ObisMeaning {
  key: string;
  unit: Unit;
  /** True for cumulative registers (value group D = 8), which must never go down. */
  energy: boolean;
}

export type IdentitySlot = "list_version" | "id" | "type" | "clock";

/** The meaning of A-B:C.D.E.x, from the value groups that decide it: C names the quantity in the totals'
 *  numbering (1-14) plus 20 per phase (21 = active import L1, 31 = current L1, 32 = voltage L1, 33 = power factor
 *  L1, 41 = active import L2...), D = 7 is instantaneous, D = 8 cumulative, E > 0 a tariff. B, the measurement
 *  channel, does not decide: 0 is "no channel given" and 1 the meter's first channel, which on a HAN port is its
 *  only one, so Kamstrup's and Landis+Gyr's 1-1:1.8.0 is the total import as 1-0:1.8.0 is (not a tariff: that
 *  is E). Code rather than a table: the interpreter would hold a table for as long as it runs, and each code is
 *  worked out once (obisInfo). */
function meaningOf(a: number, c: number, d: number, e: number): ObisMeaning | null {
  if (a !== 1 || (d !== 7 && d !== 8)) return null;
  const phase = c > 20 && c <= 80 ? Math.floor((c - 1) / 20) : 0;
  const n = c - 20 * phase;
  const energy = d === 8;
  let stem: string;
  let unit: Unit;
  if (n >= 1 && n <= 10) {
    // 1-2 active, 3-8 reactive (import, export, then quadrants I-IV), 9-10 apparent; import odd, export even.
    const kind = n <= 2 ? 0 : n <= 8 ? 1 : 2;
    stem = ["active", "reactive", "apparent"][kind] + (energy ? "_energy_" : "_power_") +
      (n >= 5 && n <= 8 ? "q" + (n - 4) : n % 2 === 1 ? "import" : "export");
    unit = (["W", "var", "VA"][kind] + (energy ? "h" : "")) as Unit;
  } else if (energy || n < 11 || n > 14) {
    return null;
  } else {
    stem = ["current", "voltage", "power_factor", "frequency"][n - 11];
    unit = (["A", "V", null, "Hz"] as Unit[])[n - 11];
  }
  return { key: stem + (phase > 0 ? "_l" + phase : "") + (e === 0 ? "" : "_t" + e), unit, energy };
}

function slotOf(a: number, c: number, d: number, e: number): IdentitySlot | null {
  if (c === 0 && d === 2 && e === 129) return "list_version";
  if ((c === 96 && d === 1 && e === 0) || (c === 0 && d === 0 && (e === 5 || e === 1))) return "id";
  if (c === 96 && d === 1 && (e === 7 || e === 1)) return "type";
  if (a === 0 && c === 1 && d === 0 && e === 0) return "clock";
  return null;
}

export function obisMeaning(code: string): ObisMeaning | null {
  const p = obisBytes(code);
  return meaningOf(p[0], p[2], p[3], p[4]);
}

/** Identification and clock objects; value group B differs by maker (Kamstrup uses B = 1). */
export function identitySlot(code: string): IdentitySlot | null {
  const p = obisBytes(code);
  return slotOf(p[0], p[2], p[3], p[4]);
}

/** An OBIS code as the decoder keeps it: its 6 bytes as a binary string, which compares and looks up natively. */
export function obisKey(bytes: Uint8Array, offset: number): string {
  const b = bytes;
  const o = offset;
  return String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5]);
}

/** What the decoder needs of a code, worked out once per code seen. A field the code has no use for is left out
 *  rather than set to null, and the names fit in one interpreter variable each: every list repeats its codes, so
 *  the device keeps one of these per code. */
export interface ObisInfo {
  /** "A-B:C.D.E.F". */
  text: string;
  /** The meaning's key and unit (no unit: power factor), for a measured quantity. */
  key?: string;
  unit?: Unit;
  slot?: IdentitySlot;
}

const enum Cache {
  /** Codes kept: more than the largest list has; a frame of made-up codes cannot grow the cache past this. */
  Size = 32,
}
const infos: { [key: string]: ObisInfo } = {};
let cached = 0;

/** The ObisInfo of a key from obisKey(). */
export function obisInfo(key: string): ObisInfo {
  let info = infos[key];
  if (info) return info;
  const a = key.charCodeAt(0), c = key.charCodeAt(2), d = key.charCodeAt(3), e = key.charCodeAt(4);
  info = { text: a + "-" + key.charCodeAt(1) + ":" + c + "." + d + "." + e + "." + key.charCodeAt(5) };
  const meaning = meaningOf(a, c, d, e);
  const slot = slotOf(a, c, d, e);
  if (meaning) info.key = meaning.key;
  if (meaning && meaning.unit) info.unit = meaning.unit;
  if (slot) info.slot = slot;
  if (cached < Cache.Size) {
    infos[key] = info;
    cached++;
  }
  return info;
}
