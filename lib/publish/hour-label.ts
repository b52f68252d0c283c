// Which hour a reading's energy registers close, by which clock: SNTP's once it has set the device clock, else
// the meter's own. The meters of the countries served (NO, SE, DK, AT) keep Central European time, and most
// leave out its offset, so their wall time is read with the EU summer-time rule (docs/mqtt.md, Hour labels).
import type { Reading } from "../reading";
import { daysFromCivil } from "../dlms/cosem-datetime";
import { clockIsSet } from "./payloads";

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum T {
  HOUR = 3600000,
  DAY = 86400000,
  /** The mean Gregorian year: the year it gives is off only within a day of New Year, far from either change. */
  YEAR = 31556952000,
  /** Meter and SNTP clocks further apart than this many seconds are reported. */
  AGREE = 60,
  /** Registers closer together than this come in every message, not once an hour. */
  FREQUENT = 1800000,
  /** How far into the hour, by its own clock, a meter sends its hourly list: 10 s at the latest (han-spec.md
   *  1.7), with room to spare. */
  FIRST = 30000,
}

/** What the hour decision keeps between readings. */
export interface HourState {
  /** hour_end of the last energy published (UTC ms); -1 before the first. */
  last: number;
  /** When the previous registers came, by the labelling clock (UTC ms); NaN before the first. */
  seen: number;
  /** Meter clock minus device clock (ms) at the last reading with a meter time: while SNTP is away it tells
   *  which of October's two 02:00-03:00 hours the meter's wall time means. */
  anchor: number;
  /** Meter clock minus SNTP clock in seconds, at the last reading with registers that had both; null until then. */
  offset: number | null;
  /** Stretches of readings whose meter clock was more than a minute off the SNTP clock. */
  mismatches: number;
}

export function hourState(): HourState {
  return { last: -1, seen: NaN, anchor: NaN, offset: null, mismatches: 0 };
}

/** EU summer time at a UTC instant: from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday
 *  of October. */
export function euSummerTime(utc: number): boolean {
  const year = 1970 + Math.floor(utc / T.YEAR);
  // The last days of March and October, each moved back to its Sunday (day 0, 1970-01-01, was a Thursday).
  const march = daysFromCivil(year, 4, 1) - 1;
  const october = daysFromCivil(year, 11, 1) - 1;
  return utc >= (march - (march + 4) % 7) * T.DAY + T.HOUR && utc < (october - (october + 4) % 7) * T.DAY + T.HOUR;
}

/** The UTC ms a reading's meter clock stands for; NaN without a complete one. A deviation left unspecified, or
 *  0 (Aidon's, whose sheet says Norwegian local time), means Central European wall time. October's repeated hour
 *  is read as the one nearer `near`, or as the first of the two when `near` is NaN. */
export function meterTime(r: Reading, near: number): number {
  const c = r.clock;
  if (!c) return NaN;
  const t = c.local;
  const month = +t.substr(5, 2);
  const wall = ((daysFromCivil(+t.substr(0, 4), month, +t.substr(8, 2)) * 24 + +t.substr(11, 2)) * 60 +
    +t.substr(14, 2)) * 60000 + +t.substr(17, 2) * 1000;
  if (c.deviation) return wall + c.deviation * 60000;
  const summer = wall - 2 * T.HOUR;
  const winter = wall - T.HOUR;
  // Only March and October need the rule: it costs as much again as the rest, at every reading.
  if (month > 3 && month < 10) return summer;
  if (month < 3 || month > 10 || !euSummerTime(summer)) return winter;
  if (euSummerTime(winter)) return summer;
  return Math.abs(near - winter) < Math.abs(near - summer) ? winter : summer;
}

/** The hour_end (UTC ms) to publish a reading's registers under; 0 to publish an hourly list that no clock
 *  places without a label; -1 to publish nothing. Readings without registers (`energy` false) come here too
 *  while SNTP is away: their meter clock keeps the reckoning of October's repeated hour current.
 *  Which kind of list carries the registers is told by their pace, not by the list: Kaifa's Swedish list every
 *  10 s holds the very objects of the Norwegian hourly list. Labels only rise, so that no hour goes out twice. */
export function hourLabel(s: HourState, r: Reading, now: number, energy: boolean): number {
  const set = clockIsSet(now);
  if (!energy && set) return -1;
  const meter = meterTime(r, set ? now : now + s.anchor);
  if (!isNaN(meter)) {
    s.anchor = meter - now;
    if (set) {
      // A stretch of disagreement counts once.
      const was = Math.abs(s.offset || 0) > T.AGREE;
      s.offset = Math.round(s.anchor / 1000);
      if (!was && Math.abs(s.offset) > T.AGREE) s.mismatches++;
    }
  }
  if (!energy) return -1;
  const t = set ? now : meter;
  if (isNaN(t)) return r.list === 3 ? 0 : -1;
  const before = s.seen;
  s.seen = t;
  // A label far ahead of the clock came from a meter clock gone wrong: it must not hold back every hour after it.
  if (s.last > t + T.HOUR) s.last = -1;
  let label: number;
  if (t >= before && t - before < T.FREQUENT) {
    // Registers in every message: the first message of an hour the device saw begin.
    label = Math.floor(t / T.HOUR) * T.HOUR;
    if (label <= before) return -1;
  } else {
    // An hourly list, or registers after none for half an hour (at boot) or after the clock went back. A meter
    // sends its hourly list as its own clock begins the hour, so registers later in the hour are no hourly list
    // (a boot at 10:59 is not 10:00's end). The nearest boundary tolerates a device clock a little slow (the
    // list of 10:00:10 received at 09:59:50).
    if (meter - Math.floor(meter / T.HOUR) * T.HOUR >= T.FIRST) return -1;
    label = Math.round(t / T.HOUR) * T.HOUR;
  }
  if (label <= s.last) return -1;
  s.last = label;
  return label;
}
