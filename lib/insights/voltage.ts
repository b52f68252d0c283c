// Voltage quality as the quality-of-supply regulation judges it: 1-minute means of each voltage the meter sends
// (phase voltages, or on a 3-wire IT meter the line voltages), counted per local day and month outside the band
// around the nominal voltage; events per phase; phase imbalance on 10-minute means.
import { localDay, localText, InsightMessage, InsightStore } from "./local";
import { isoTime, numberText, payloadJson } from "../publish/payloads";

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum V {
  MINUTE = 60000,
  DAY = 86400000,
  /** Imbalance counted above this share of the phases' mean (10-minute means). */
  IMBALANCE = 0.02,
  STORE = "han.volt",
  /** Day and month figures, each a block of FIGURES in `f`: minutes measured, below, above, lowest mean and when,
   *  highest mean and when, events, 10-minute periods imbalanced. */
  MEASURED = 0,
  LOW = 1,
  HIGH = 2,
  MIN = 3,
  MIN_AT = 4,
  MAX = 5,
  MAX_AT = 6,
  EVENTS = 7,
  IMBALANCED = 8,
  FIGURES = 9,
}

const NAMES = "minutes minutes_low minutes_high min min_at max max_at events imbalanced";

/** A block of figures, empty: no minute yet. */
function clear(f: Float64Array, at: number): void {
  for (let i = 0; i < V.FIGURES; i++) f[at + i] = 0;
  f[at + V.MIN] = Infinity;
  f[at + V.MAX] = -Infinity;
}

export class Voltage {
  private lo: number;
  private hi: number;
  /** Per phase (l1, l2, l3): the sum and count of this minute, of these 10 minutes, then the open event's kind
   *  (-1 below, 1 above, 0 none), start (UTC ms) and worst 1-minute mean. */
  private p: Float64Array;
  /** This minute (UTC ms / 60000), -1 before the first reading. */
  private min: number;
  /** Day figures, then the month's. */
  private f: Float64Array;
  /** The local day and month the figures are of. */
  private d: number;
  private m: string;
  private store: InsightStore;

  constructor(nominal: number, band: number, store: InsightStore, saved: { [key: string]: unknown } | null) {
    this.lo = nominal * (1 - band / 100);
    this.hi = nominal * (1 + band / 100);
    this.p = new Float64Array(21);
    this.min = -1;
    this.f = new Float64Array(2 * V.FIGURES);
    clear(this.f, 0);
    clear(this.f, V.FIGURES);
    this.d = -1;
    this.m = "";
    this.store = store;
    const month = saved && saved.f instanceof Array ? saved.f as (number | null)[] : [];
    if (saved && typeof saved.m === "string" && month.length === V.FIGURES) {
      this.m = saved.m;
      for (let i = 0; i < V.FIGURES; i++) {
        // JSON has no infinities: a month without a minute keeps its lowest and highest as null.
        const v = month[i];
        if (typeof v === "number") this.f[V.FIGURES + i] = v;
      }
    }
  }

  /** Takes a reading's voltages at `now`; closes the minute (and the day) before when this one is later. */
  reading(values: { [key: string]: number }, now: number, out: InsightMessage[]): void {
    const minute = Math.floor(now / V.MINUTE);
    if (this.min >= 0 && minute > this.min) this.close(out);
    if (minute !== this.min) this.min = minute;
    const p = this.p;
    for (let k = 0; k < 3; k++) {
      const u = values["voltage_l" + (k + 1)];
      if (u === undefined || !(u > 0)) continue;
      p[k * 7] += u;
      p[k * 7 + 1]++;
      p[k * 7 + 2] += u;
      p[k * 7 + 3]++;
    }
  }

  private close(out: InsightMessage[]): void {
    const at = this.min * V.MINUTE;
    const day = localDay(at);
    if (day !== this.d) {
      if (this.d >= 0) this.endDay(out);
      this.d = day;
      const month = localText(at, 7);
      if (month !== this.m) {
        this.m = month;
        clear(this.f, V.FIGURES);
      }
    }
    const p = this.p;
    const f = this.f;
    let measured = false;
    let low = false;
    let high = false;
    for (let k = 0; k < 3; k++) {
      const n = p[k * 7 + 1];
      if (n === 0) continue;
      const mean = p[k * 7] / n;
      p[k * 7] = 0;
      p[k * 7 + 1] = 0;
      measured = true;
      const kind = mean < this.lo ? -1 : mean > this.hi ? 1 : 0;
      if (kind < 0) low = true;
      if (kind > 0) high = true;
      for (let b = 0; b < 2 * V.FIGURES; b += V.FIGURES) {
        if (mean < f[b + V.MIN]) {
          f[b + V.MIN] = mean;
          f[b + V.MIN_AT] = at;
        }
        if (mean > f[b + V.MAX]) {
          f[b + V.MAX] = mean;
          f[b + V.MAX_AT] = at;
        }
      }
      const e = k * 7 + 4;
      if (p[e] !== 0 && p[e] !== kind) {
        out.push(this.event(k, at, false));
        p[e] = 0;
      }
      if (kind !== 0 && p[e] === 0) {
        p[e] = kind;
        p[e + 1] = at;
        p[e + 2] = mean;
        f[V.EVENTS]++;
        f[V.FIGURES + V.EVENTS]++;
        out.push(this.event(k, at, true));
      } else if (kind !== 0 && (mean - p[e + 2]) * kind > 0) {
        p[e + 2] = mean;
      }
    }
    for (let b = 0; b < 2 * V.FIGURES; b += V.FIGURES) {
      if (measured) f[b + V.MEASURED]++;
      if (low) f[b + V.LOW]++;
      if (high) f[b + V.HIGH]++;
    }
    // The last minute of ten: the imbalance of their means, and the running figures.
    if ((this.min + 1) % 10 === 0) {
      this.imbalance();
      out.push({ suffix: "voltage", payload: this.summary(false), retain: true });
    }
  }

  /** Counts the 10 minutes imbalanced when the phases' means differ from their mean by more than V.IMBALANCE. */
  private imbalance(): void {
    const p = this.p;
    let sum = 0;
    let n = 0;
    for (let k = 0; k < 3; k++) {
      if (p[k * 7 + 3] > 0) {
        sum += p[k * 7 + 2] / p[k * 7 + 3];
        n++;
      }
    }
    let worst = 0;
    for (let k = 0; k < 3; k++) {
      if (p[k * 7 + 3] > 0) worst = Math.max(worst, Math.abs(p[k * 7 + 2] / p[k * 7 + 3] - sum / n));
      p[k * 7 + 2] = 0;
      p[k * 7 + 3] = 0;
    }
    if (n > 1 && worst > sum / n * V.IMBALANCE) {
      this.f[V.IMBALANCED]++;
      this.f[V.FIGURES + V.IMBALANCED]++;
    }
  }

  /** An event starting, or ending at `at`. */
  private event(k: number, at: number, start: boolean): InsightMessage {
    const p = this.p;
    const e = k * 7 + 4;
    return { suffix: "voltage/event", retain: false, payload: payloadJson({ phase: "l" + (k + 1),
      kind: p[e] < 0 ? "low" : "high", start: isoTime(p[e + 1]), end: start ? null : isoTime(at),
      worst: Math.round(p[e + 2] * 10) / 10 }) };
  }

  /** The day's and the month's figures; `final` for a day that has ended. */
  private summary(final: boolean): string {
    const names = NAMES.split(" ");
    const f = this.f;
    // The local date of day d is the UTC date of d days: local days count from 1970-01-01 local.
    let out = "\"day\":" + JSON.stringify(new Date(this.d * V.DAY).toISOString().substr(0, 10)) + ",\"final\":" + final;
    for (let b = 0; b < 2 * V.FIGURES; b += V.FIGURES) {
      for (let i = 0; i < V.FIGURES; i++) {
        const v = f[b + i];
        const time = i === V.MIN_AT || i === V.MAX_AT;
        const none = f[b + V.MEASURED] === 0;
        out += ",\"" + (b ? "month_" : "") + names[i] + "\":" + (none && (time || i === V.MIN || i === V.MAX) ? "null" :
          time ? JSON.stringify(isoTime(v)) : numberText(i === V.MIN || i === V.MAX ? Math.round(v * 10) / 10 : v));
      }
    }
    return "{" + out + "}";
  }

  /** The day has ended: its summary, retained; the month's figures kept (one write a day). */
  private endDay(out: InsightMessage[]): void {
    out.push({ suffix: "voltage/day", payload: this.summary(true), retain: true });
    clear(this.f, 0);
    const month: string[] = [];
    for (let i = 0; i < V.FIGURES; i++) {
      const v = this.f[V.FIGURES + i];
      month.push(isFinite(v) ? numberText(v) : "null");
    }
    this.store.writeStore(V.STORE, "{\"m\":" + JSON.stringify(this.m) + ",\"f\":[" + month.join(",") + "]}");
  }
}
