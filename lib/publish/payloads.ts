// Reading -> the JSON payloads of the topic contract (lib/publish/contract.ts). Pure functions: the publisher
// decides when to send them.
import type { Reading } from "../reading";
import { topicOfKey } from "./contract";

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Num {
  HOUR = 3600000,
  /** 2^53: integers from here on are not exact in a double. */
  EXACT = 9007199254740992,
  /** Decimals published: finer than any scaler a HAN list uses (10^-3 at the finest), so a value keeps the
   *  meter's resolution while the noise of scaling in binary (230.10000000000002) is dropped. */
  SCALE = 1000000,
  /** Before SNTP has set it, the device clock counts from 1970; such times are withheld rather than published. */
  CLOCK_SET_AFTER = 1577836800000,
  /** Characters kept of a text from the meter: its id has 8 to 18, its type and list version fewer than 20. */
  TEXT = 32,
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

export function clockIsSet(ms: number): boolean {
  return ms >= Num.CLOCK_SET_AFTER;
}

/** A text from the HAN line (meter id, type, list version) as a payload may carry it: printable ASCII only, at
 *  most Num.TEXT characters. JSON.stringify escapes the rest of what JSON needs. */
export function meterText(s: string | null): string | null {
  return s === null ? null : s.replace(/[^\x20-\x7e]/g, "").substr(0, Num.TEXT);
}

/** True for a value a payload can carry exactly: finite, and smaller than 2^53. Others are left out (and counted
 *  by the publisher): an uint64 register beyond 2^53 Wh is no reading a meter makes, and a rounded one would be
 *  a wrong one. */
export function publishable(v: number): boolean {
  return isFinite(v) && Math.abs(v) < Num.EXACT;
}

/** A whole number below 2^53 in decimal, from two parts below 2^31: Espruino prints those exactly, where its
 *  float printer may not. */
function integerText(n: number): string {
  const high = Math.floor(n / 100000000);
  if (high === 0) return "" + n;
  return "" + high + ("" + (100000000 + (n - high * 100000000))).substr(1);
}

/** A publishable number as payload text: rounded to 6 decimals and written digit by digit, since Espruino prints
 *  numbers with about 12 significant digits and 1e21 as "10e+20" (docs/mqtt.md, Numbers). */
export function numberText(v: number): string {
  const a = Math.abs(v);
  let whole = Math.floor(a);
  let fraction = Math.round((a - whole) * Num.SCALE);
  if (fraction === Num.SCALE) {
    whole++;
    fraction = 0;
  }
  let decimals = fraction > 0 ? ("" + (Num.SCALE + fraction)).substr(1) : "";
  while (decimals.charAt(decimals.length - 1) === "0") decimals = decimals.substr(0, decimals.length - 1);
  return (v < 0 && (whole > 0 || fraction > 0) ? "-" : "") + integerText(whole) + (decimals ? "." + decimals : "");
}

/** A flat payload's JSON text, its numbers written by numberText (a number that is not publishable is null). */
export function payloadJson(payload: { [key: string]: unknown }): string {
  const keys = Object.keys(payload);
  let out = "";
  for (let i = 0; i < keys.length; i++) {
    const v = payload[keys[i]];
    if (v === undefined) continue;
    const text = typeof v !== "number" ? JSON.stringify(v) : publishable(v) ? numberText(v) : "null";
    out += (out ? "," : "") + JSON.stringify(keys[i]) + ":" + text;
  }
  return "{" + out + "}";
}

/** How many values of a reading no payload can carry. */
export function unpublishable(reading: Reading): number {
  const keys = Object.keys(reading.values);
  let n = 0;
  for (let i = 0; i < keys.length; i++) if (!publishable(reading.values[keys[i]])) n++;
  return n;
}

function stamp(out: { [key: string]: unknown }, reading: Reading, now: number): void {
  if (clockIsSet(now)) out.ts = isoTime(now);
  if (reading.clock) out.meter_time = reading.clock.local;
}

/** The fast topic: active power from any list that has it, so power updates at the meter's highest rate; the net
 *  power (import less export) from a list with both; the live energy registers (Wh, absent while negative or NaN:
 *  docs/mqtt.md, Energy booked to its hour). */
export function powerPayload(reading: Reading, now: number, liveImport?: number, liveExport?: number):
  { [key: string]: unknown } | null {
  const v = reading.values;
  if (v.active_power_import === undefined || !publishable(v.active_power_import)) return null;
  const out: { [key: string]: unknown } = {};
  stamp(out, reading, now);
  out.active_power_import = v.active_power_import;
  if (v.active_power_export !== undefined && publishable(v.active_power_export)) {
    out.active_power_export = v.active_power_export;
    // Signed: negative while the household gives more to the grid than it takes.
    out.active_power_net = v.active_power_import - v.active_power_export;
  }
  // Whole Wh: finer is integration noise, and the floor of a value that never goes down never goes down.
  if ((liveImport as number) >= 0) out.active_energy_import_live = Math.floor(liveImport as number);
  if ((liveExport as number) >= 0) out.active_energy_export_live = Math.floor(liveExport as number);
  return out;
}

/** Every instantaneous value of a list 2 (or a list of another country): one object per list; a value captured at
 *  a time of its own (a sub-meter's) with that time beside it, as "<key>_time". */
export function instantPayload(reading: Reading, now: number): { [key: string]: unknown } | null {
  if (reading.list === 1) return null;
  const out: { [key: string]: unknown } = {};
  stamp(out, reading, now);
  let any = false;
  const keys = Object.keys(reading.values);
  for (let i = 0; i < keys.length; i++) {
    if (topicOfKey(keys[i]) !== "instant" || !publishable(reading.values[keys[i]])) continue;
    out[keys[i]] = reading.values[keys[i]];
    if (reading.times && reading.times[keys[i]]) out[keys[i] + "_time"] = reading.times[keys[i]];
    any = true;
  }
  return any ? out : null;
}

/** The energy registers of a reading, by key, whatever their values: the energy guard judges them. */
export function energyValues(reading: Reading): { [key: string]: number } {
  const out: { [key: string]: number } = {};
  const keys = Object.keys(reading.values);
  for (let i = 0; i < keys.length; i++) {
    if (topicOfKey(keys[i]) === "energy") out[keys[i]] = reading.values[keys[i]];
  }
  return out;
}

/** The energy payload; `hourEnd` (hour-label.ts) labels the hour the registers close, unless it is 0. */
export function energyPayload(reading: Reading, accepted: { [key: string]: number }, now: number, hourEnd: number):
  { [key: string]: unknown } {
  const out: { [key: string]: unknown } = {};
  stamp(out, reading, now);
  if (hourEnd > 0) {
    out.hour_start = isoTime(hourEnd - Num.HOUR);
    out.hour_end = isoTime(hourEnd);
  }
  const keys = Object.keys(accepted);
  for (let i = 0; i < keys.length; i++) out[keys[i]] = accepted[keys[i]];
  return out;
}
