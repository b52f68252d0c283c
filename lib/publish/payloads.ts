// Reading -> the JSON payloads of the topic contract (lib/publish/contract.ts). Pure functions: the publisher
// decides when to send them.
import type { Reading } from "../reading";
import { topicOfKey } from "./contract";

const HOUR = 3600000;
/** Before SNTP has set it, the device clock counts from 1970; such times are withheld rather than published. */
const CLOCK_SET_AFTER = 1577836800000; // 2020-01-01

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

export function clockIsSet(ms: number): boolean {
  return ms >= CLOCK_SET_AFTER;
}

function stamp(out: { [key: string]: unknown }, reading: Reading, now: number): void {
  if (clockIsSet(now)) out.ts = isoTime(now);
  if (reading.clock) out.meter_time = reading.clock.local;
}

/** The fast topic: active power from any list that has it, so power updates at the meter's highest rate. */
export function powerPayload(reading: Reading, now: number): { [key: string]: unknown } | null {
  const v = reading.values;
  if (v.active_power_import === undefined) return null;
  const out: { [key: string]: unknown } = {};
  stamp(out, reading, now);
  out.active_power_import = v.active_power_import;
  if (v.active_power_export !== undefined) out.active_power_export = v.active_power_export;
  return out;
}

/** Every instantaneous value of a list 2 (or a list of another country): one object per list. */
export function instantPayload(reading: Reading, now: number): { [key: string]: unknown } | null {
  if (reading.list === 1) return null;
  const out: { [key: string]: unknown } = {};
  stamp(out, reading, now);
  let any = false;
  const keys = Object.keys(reading.values);
  for (let i = 0; i < keys.length; i++) {
    if (topicOfKey(keys[i]) !== "instant") continue;
    out[keys[i]] = reading.values[keys[i]];
    any = true;
  }
  return any ? out : null;
}

/** The energy registers of a reading, by key. */
export function energyValues(reading: Reading): { [key: string]: number } {
  const out: { [key: string]: number } = {};
  const keys = Object.keys(reading.values);
  for (let i = 0; i < keys.length; i++) if (topicOfKey(keys[i]) === "energy") out[keys[i]] = reading.values[keys[i]];
  return out;
}

/** The hour whose end a register reading received at `now` marks. The hourly list sent at 10:00:10 holds the
 *  totals at 10:00:00, closing 09:00-10:00: the nearest hour boundary tolerates a device clock a little off.
 *  Lists that carry the registers every few seconds are published with the first list of each hour, so the
 *  hour that just began tells which one closed. */
export function closedHour(now: number, hourly: boolean): { start: number; end: number } {
  const end = (hourly ? Math.round(now / HOUR) : Math.floor(now / HOUR)) * HOUR;
  return { start: end - HOUR, end };
}

export function energyPayload(reading: Reading, accepted: { [key: string]: number }, now: number):
  { [key: string]: unknown } {
  const out: { [key: string]: unknown } = {};
  stamp(out, reading, now);
  if (clockIsSet(now)) {
    const hour = closedHour(now, reading.list === 3);
    out.hour_start = isoTime(hour.start);
    out.hour_end = isoTime(hour.end);
  }
  const keys = Object.keys(accepted);
  for (let i = 0; i < keys.length; i++) out[keys[i]] = accepted[keys[i]];
  return out;
}
