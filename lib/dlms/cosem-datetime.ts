// COSEM date-time (12 bytes, han-spec.md 3.4). The meter's clock is kept as sent and interpreted only as far as
// the meter itself specifies: a missing deviation means "local time of unknown offset", so no UTC is invented.
import type { MeterClock } from "../reading";
import { toHex } from "../bytes";

const enum Cosem {
  DeviationUnspecified = 0x8000,
  /** The daylight-saving bit of clock_status. */
  DstBit = 0x80,
}

/** n in `width` digits, or as many "?" when unspecified. */
function field(n: number, unspecified: boolean, width: number): string {
  return (unspecified ? "????" : "000" + n).slice(-width);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Date.UTC is missing on Espruino). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Interprets 12 date-time bytes at offset; null if fewer than 12 bytes are there. */
export function readCosemDateTime(bytes: Uint8Array, offset: number): MeterClock | null {
  if (bytes.length - offset < 12) return null;
  const b = bytes;
  const o = offset;
  const year = b[o] * 256 + b[o + 1];
  const month = b[o + 2];
  const day = b[o + 3];
  const weekday = b[o + 4];
  const hour = b[o + 5];
  const minute = b[o + 6];
  const second = b[o + 7];
  const rawDeviation = b[o + 9] * 256 + b[o + 10];
  const status = b[o + 11];
  const yearUnknown = year === 0xffff;
  const monthUnknown = month === 0 || month > 12;
  const dayUnknown = day === 0 || day > 31;
  const hourUnknown = hour > 23;
  const minuteUnknown = minute > 59;
  const secondUnknown = second > 59;
  const local = field(year, yearUnknown, 4) + "-" + field(month, monthUnknown, 2) + "-" + field(day, dayUnknown, 2) +
    "T" + field(hour, hourUnknown, 2) + ":" + field(minute, minuteUnknown, 2) + ":" + field(second, secondUnknown, 2);
  const deviation = rawDeviation === Cosem.DeviationUnspecified ? null :
    (rawDeviation >= 0x8000 ? rawDeviation - 0x10000 : rawDeviation);
  let utc: string | null = null;
  const complete = !(yearUnknown || monthUnknown || dayUnknown || hourUnknown || minuteUnknown || secondUnknown);
  if (deviation !== null && complete) {
    const ms = ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute + deviation) * 60000 + second * 1000;
    utc = new Date(ms).toISOString().replace(".000Z", "Z");
  }
  return {
    raw: toHex(b, o, o + 12),
    local,
    deviation,
    weekday: weekday === 0xff ? null : weekday,
    status: status === 0xff ? null : status,
    dst: status !== 0xff && (status & Cosem.DstBit) !== 0,
    utc,
  };
}
