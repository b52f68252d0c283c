// Wall-clock time in the meters' countries (Norway, Sweden, Denmark, Austria: CET with EU summer time), from the
// UTC milliseconds the simulator runs on. Date.UTC and time-zone data are unavailable on Espruino.
import { daysFromCivil } from "../../lib/dlms/cosem-datetime";

const MS_PER_DAY = 86400000;

export interface CivilTime {
  year: number;
  month: number;
  day: number;
  /** 1 = Monday ... 7 = Sunday. */
  weekday: number;
  hour: number;
  minute: number;
  second: number;
  hundredths: number;
}

/** Inverse of daysFromCivil: the proleptic Gregorian date of a day count since 1970-01-01. */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** 1970-01-01 was a Thursday (ISO weekday 4). */
function isoWeekday(days: number): number {
  return ((((days + 3) % 7) + 7) % 7) + 1;
}

/** Day count of the last Sunday of a month. */
function lastSunday(year: number, month: number): number {
  const next = month === 12 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, month + 1, 1);
  const last = next - 1;
  return last - (isoWeekday(last) % 7);
}

/** EU summer time: from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October. */
export function isEuSummerTime(utcMs: number): boolean {
  const year = civilFromDays(Math.floor(utcMs / MS_PER_DAY))[0];
  const start = lastSunday(year, 3) * MS_PER_DAY + 3600000;
  const end = lastSunday(year, 10) * MS_PER_DAY + 3600000;
  return utcMs >= start && utcMs < end;
}

/** Minutes east of UTC of Central European wall-clock time at that instant: 60, or 120 in summer. */
export function cetOffsetMinutes(utcMs: number): number {
  return isEuSummerTime(utcMs) ? 120 : 60;
}

/** The civil time of utcMs shifted by offsetMinutes. */
export function civilTime(utcMs: number, offsetMinutes: number): CivilTime {
  const ms = utcMs + offsetMinutes * 60000;
  const days = Math.floor(ms / MS_PER_DAY);
  const ymd = civilFromDays(days);
  const inDay = ms - days * MS_PER_DAY;
  return {
    year: ymd[0], month: ymd[1], day: ymd[2], weekday: isoWeekday(days),
    hour: Math.floor(inDay / 3600000), minute: Math.floor(inDay / 60000) % 60, second: Math.floor(inDay / 1000) % 60,
    hundredths: Math.floor(inDay / 10) % 100,
  };
}

/** UTC milliseconds of a civil date and time (the inverse of civilTime at offset 0). */
export function utcMs(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  return ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60000 + second * 1000;
}
