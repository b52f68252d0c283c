// The meter's own data checked against itself: each hour's register delta against the integral of the active
// power the meter sent during that hour. The deviation that sampling alone can cause is bounded from the samples'
// own variation (docs/mqtt.md, Insights); an hour beyond it is flagged.
import { localDay, InsightMessage, InsightStore } from "./local";
import { isoTime, numberText, payloadJson } from "../publish/payloads";

/** One hour's import power as sampled: what the registers are compared with. Names of one or two letters: each
 *  fits the interpreter variable holding it. */
export interface HourIntegral {
  /** The hour's end, UTC ms. */
  e: number;
  /** Wh: each sample held until the next, or for its list period when the next is missing. */
  c: number;
  /** Ms of the hour those samples cover. */
  ms: number;
  /** Sum of the squared differences between consecutive samples, W². */
  q: number;
  /** The list period (ms) the samples were held by. */
  t: number;
  /** The power at the hour's start plus that at its end, W. */
  g: number;
}

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum K {
  HOUR = 3600000,
  DAYS = 30,
  /** The register's resolution, Wh: Aidon and Kamstrup count in 10 Wh, so a delta is uncertain by as much. */
  RESOLUTION = 10,
  /** Seconds by which the device may place a sample off the meter's instant (the frame's time on the line). */
  SKEW = 1,
  /** Standard deviations of the sampling error allowed: an hour beyond is flagged. */
  SIGMAS = 3,
  STORE = "han.cons",
}

/** The deviation (Wh) sampling can explain for an hour: 3 standard deviations of the error of holding each
 *  sample a period (a change at a uniformly random moment of a period of length T errs by its size times
 *  T/sqrt(12) on average), the hour's two edges each off by half a period and the skew, and the register's
 *  resolution. */
export function samplingBound(h: HourIntegral): number {
  const period = h.t / K.HOUR;
  return K.SIGMAS * period / Math.sqrt(12) * Math.sqrt(h.q) + h.g * (period / 2 + K.SKEW / 3600) + K.RESOLUTION;
}

export class Consistency {
  /** The last K.DAYS local days, a slot each by day number: the day, register Wh, deviation Wh, hours flagged. */
  private r: Float32Array;
  private d: number;
  private store: InsightStore;

  constructor(store: InsightStore, saved: { [key: string]: unknown } | null) {
    this.store = store;
    // Single precision: a day's Wh to a tenth, in half the variables.
    this.r = new Float32Array(4 * K.DAYS);
    this.d = -1;
    const days = saved && saved.r instanceof Array ? saved.r as number[] : [];
    if (days.length === 4 * K.DAYS) for (let i = 0; i < days.length; i++) this.r[i] = days[i];
  }

  /** The hour ending at `end` has registered `wh`; `h` is its power, if sampled. */
  hour(end: number, wh: number, h: HourIntegral | null, out: InsightMessage[]): void {
    if (!h || h.e !== end) return;
    const day = localDay(end - K.HOUR);
    const r = this.r;
    if (day !== this.d) {
      // The last days, once a day: the day under way is lost to a restart.
      if (this.d >= 0) {
        const days: string[] = [];
        for (let i = 0; i < r.length; i++) days.push(numberText(Math.round(r[i])));
        this.store.writeStore(K.STORE, "{\"r\":[" + days.join(",") + "]}");
      }
      this.d = day;
    }
    const deviation = h.c - wh;
    const bound = samplingBound(h);
    const flagged = Math.abs(deviation) > bound;
    const at = (day % K.DAYS) * 4;
    if (r[at] !== day) {
      r[at] = day;
      r[at + 1] = 0;
      r[at + 2] = 0;
      r[at + 3] = 0;
    }
    r[at + 1] += wh;
    r[at + 2] += deviation;
    if (flagged) r[at + 3]++;
    let registered = 0;
    let deviated = 0;
    let flags = 0;
    let days = 0;
    for (let i = 0; i < r.length; i += 4) {
      if (r[i] > day - K.DAYS && r[i] <= day && (r[i] > 0 || r[i + 1] > 0)) {
        registered += r[i + 1];
        deviated += r[i + 2];
        flags += r[i + 3];
        days++;
      }
    }
    out.push({ suffix: "consistency", retain: true, payload: payloadJson({ hour_start: isoTime(end - K.HOUR),
      hour_end: isoTime(end), register_wh: Math.round(wh), integral_wh: Math.round(h.c),
      deviation_wh: Math.round(deviation), deviation_pct: wh > 0 ? Math.round(deviation / wh * 10000) / 100 : null,
      coverage_pct: Math.round(h.ms / K.HOUR * 1000) / 10, period_s: h.t / 1000, bound_wh: Math.round(bound),
      flagged, days_30: days, deviation_30_pct: registered > 0 ? Math.round(deviated / registered * 10000) / 100 : null,
      flagged_30: flags }) });
  }
}
