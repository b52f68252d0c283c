// What a household adds to the simulated meter's own load (scripts/sim/meter.ts): an electric car charging on
// some evenings, which lifts the month's capacity step, and disturbances of the grid's voltage on one phase at a
// time. Given as local (Central European) wall times, so that a test can place them on a DST day.
import { utcMs, isEuSummerTime } from "./wallclock";

export interface LoadProfile {
  /** W drawn at UTC ms `t` besides the household's own load, shared evenly by the phases. */
  extraW(t: number): number;
  /** V added to phase `phase` (1-3) at UTC ms `t`. */
  voltageOffset(t: number, phase: number): number;
}

/** A stretch of local wall time: year, month, day, hour, minute (and seconds) of its start, and its length. */
export interface LocalSpan {
  at: [number, number, number, number, number, number?];
  minutes: number;
}

export interface ProfileOptions {
  /** Charging sessions and their power, W (an 11 kW car charger on three phases by default). */
  charging: LocalSpan[];
  chargeW?: number;
  /** Voltage disturbances: the phase and the volts added (negative for a sag). */
  voltage: (LocalSpan & { phase: number; volts: number })[];
}

/** UTC ms of a local wall time: October's repeated hour is read as its first. */
export function localToUtc(at: LocalSpan["at"]): number {
  const wall = utcMs(at[0], at[1], at[2], at[3], at[4], at[5] || 0);
  return isEuSummerTime(wall - 7200000) ? wall - 7200000 : wall - 3600000;
}

function span(s: LocalSpan): [number, number] {
  const from = localToUtc(s.at);
  return [from, from + s.minutes * 60000];
}

export function householdProfile(o: ProfileOptions): LoadProfile {
  const charging = o.charging.map(span);
  const voltage = o.voltage.map((v) => ({ range: span(v), phase: v.phase, volts: v.volts }));
  const chargeW = o.chargeW !== undefined ? o.chargeW : 11000;
  return {
    extraW(t) {
      return charging.some((c) => t >= c[0] && t < c[1]) ? chargeW : 0;
    },
    voltageOffset(t, phase) {
      let volts = 0;
      for (const v of voltage) if (v.phase === phase && t >= v.range[0] && t < v.range[1]) volts += v.volts;
      return volts;
    },
  };
}
