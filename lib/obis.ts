// OBIS codes: their text form, and the table that gives each measured quantity its stable key and base unit.
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

/** Value group C -> [stem for D=7 (instantaneous), unit, stem for D=8 (cumulative), unit]; phase by C's tens. */
const QUANTITIES: { [c: number]: [string, Unit, string, Unit] } = {
  1: ["active_power_import", "W", "active_energy_import", "Wh"],
  2: ["active_power_export", "W", "active_energy_export", "Wh"],
  3: ["reactive_power_import", "var", "reactive_energy_import", "varh"],
  4: ["reactive_power_export", "var", "reactive_energy_export", "varh"],
  5: ["reactive_power_q1", "var", "reactive_energy_q1", "varh"],
  6: ["reactive_power_q2", "var", "reactive_energy_q2", "varh"],
  7: ["reactive_power_q3", "var", "reactive_energy_q3", "varh"],
  8: ["reactive_power_q4", "var", "reactive_energy_q4", "varh"],
  9: ["apparent_power_import", "VA", "apparent_energy_import", "VAh"],
  10: ["apparent_power_export", "VA", "apparent_energy_export", "VAh"],
  11: ["current", "A", "", null],
  12: ["voltage", "V", "", null],
  13: ["power_factor", null, "", null],
  14: ["frequency", "Hz", "", null],
};

/** Per-phase value groups: C = 20k + n for phase Lk, where n follows the totals' numbering
 *  (21 = active import L1, 31 = current L1, 32 = voltage L1, 33 = power factor L1, 41 = active import L2...). */
const PHASES = ["", "_l1", "_l2", "_l3"];

export function obisMeaning(code: string): ObisMeaning | null {
  const p = obisBytes(code);
  const a = p[0], c = p[2], d = p[3], e = p[4];
  if (a !== 1 || (d !== 7 && d !== 8)) return null;
  const k = c > 20 && c <= 80 ? Math.floor((c - 1) / 20) : 0;
  const base = c - 20 * k;
  const phase = PHASES[k];
  const q = QUANTITIES[base];
  if (!q) return null;
  const instantaneous = d === 7;
  const stem = instantaneous ? q[0] : q[2];
  if (stem === "") return null;
  const tariff = e === 0 ? "" : "_t" + e;
  return { key: stem + phase + tariff, unit: instantaneous ? q[1] : q[3], energy: !instantaneous };
}

/** Identification and clock objects; value group B differs by maker (Kamstrup uses B = 1). */
export function identitySlot(code: string): IdentitySlot | null {
  const p = obisBytes(code);
  const cde = p[2] + "." + p[3] + "." + p[4];
  if (cde === "0.2.129") return "list_version";
  if (cde === "96.1.0" || cde === "0.0.5" || cde === "0.0.1") return "id";
  if (cde === "96.1.7" || cde === "96.1.1") return "type";
  if (p[0] === 0 && cde === "1.0.0") return "clock";
  return null;
}
