// The capacity step (effekttrinn): the month's charge is set by the average of its three highest hourly energies,
// each on a different day. Kept: the month and its top three days; the hour under way comes from the power.
import { localDay, localText } from "./local";
import { numberText } from "../publish/payloads";

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum C {
  HOUR = 3600000,
  /** The alert turns off when the projection falls this share below the energy that raises the step. */
  OFF_BELOW = 0.95,
  /** The headroom spreads the energy left over at least this much of the hour (ms), so that it stays finite in
   *  the hour's last seconds. */
  LEAST_LEFT = 60000,
}

/** The step (0 = the lowest) of an average in kW: how many limits it has reached. */
export function stepOf(limits: number[], kw: number): number {
  let s = 0;
  while (s < limits.length && kw >= limits[s]) s++;
  return s;
}

function kwh(wh: number): number {
  return Math.round(wh) / 1000;
}

export class Capacity {
  /** Step limits in kW, ascending. */
  private s: number[];
  /** The month ("YYYY-MM", local) the top belongs to. */
  m: string;
  /** The top three days, highest first, flat: local day number, the hour's start (UTC ms) and its Wh, for each. */
  t: number[];
  /** Whether the alert is on; null until first told. */
  private a: boolean | null;

  constructor(limits: number[], saved: { [key: string]: unknown } | null) {
    this.s = limits;
    this.m = saved && typeof saved.m === "string" ? saved.m : "";
    const t = saved && saved.t instanceof Array ? saved.t as number[] : [];
    this.t = t.length % 3 === 0 && t.length <= 9 ? t : [];
    this.a = null;
  }

  /** The hour ending at `end` (UTC ms) took `wh` from the grid. A day counts once, with its highest hour. When
   *  the hour begins a month, the month before's final figures. */
  hour(end: number, wh: number): { [key: string]: unknown } | null {
    const start = end - C.HOUR;
    const month = localText(start, 7);
    let ended: { [key: string]: unknown } | null = null;
    if (month !== this.m) {
      if (this.m) ended = this.figures(this.m, this.t).p;
      this.m = month;
      this.t = [];
    }
    const t = this.t;
    const day = localDay(start);
    let i = 0;
    while (i < t.length && t[i] !== day) i += 3;
    if (i < t.length) {
      if (wh <= t[i + 2]) return ended;
      t.splice(i, 3);
    }
    let j = 0;
    while (j < t.length && t[j + 2] >= wh) j += 3;
    t.splice(j, 0, day, start, wh);
    if (t.length > 9) t.splice(9, t.length - 9);
    return ended;
  }

  /** A month's top three, average and step: the payload, the step and the sum of the top's Wh. */
  private figures(month: string, t: number[]): { p: { [key: string]: unknown }; step: number; sum: number } {
    const n = t.length / 3;
    let sum = 0;
    for (let i = 0; i < t.length; i += 3) sum += t[i + 2];
    const limits = this.s;
    const average = n ? sum / n : 0;
    const step = stepOf(limits, average / 1000);
    const p: { [key: string]: unknown } = { month };
    for (let i = 0; i < 3; i++) {
      p["top" + (i + 1)] = i < n ? localText(t[i * 3 + 1], 13) + ":00" : null;
      p["top" + (i + 1) + "_kwh"] = i < n ? kwh(t[i * 3 + 2]) : null;
    }
    p.average_kw = kwh(average);
    p.step = step + 1;
    p.step_from_kw = step > 0 ? limits[step - 1] : 0;
    p.step_to_kw = step < limits.length ? limits[step] : null;
    return { p, step, sum };
  }

  /** The state for han.cap. */
  saved(): string {
    let out = "";
    for (let i = 0; i < this.t.length; i++) out += (i ? "," : "") + numberText(this.t[i]);
    return "\"m\":" + JSON.stringify(this.m) + ",\"t\":[" + out + "]";
  }

  /** The payload at `now`, with `soFar` Wh taken this hour and `power` W drawn now; and the alert's new state
   *  when it changes (or is told the first time), else null. */
  view(now: number, soFar: number, power: number): { payload: { [key: string]: unknown }; alert: boolean | null } {
    const start = Math.floor(now / C.HOUR) * C.HOUR;
    const month = localText(start, 7);
    const t = month === this.m ? this.t : [];
    const f = this.figures(month, t);
    const n = t.length / 3;
    const day = localDay(start);
    let today = -1;
    for (let i = 0; i < t.length; i += 3) if (t[i] === day) today = i;
    const limits = this.s;
    const left = Math.max(start + C.HOUR - now, 0);
    const projection = soFar + power * left / C.HOUR;
    // The least energy this hour that would lift the month's average to the next step's limit: this hour raises
    // today's entry, joins the top as a new day, or replaces the third.
    let need = NaN;
    if (f.step < limits.length) {
      const limit = limits[f.step] * 1000;
      const sum = f.sum;
      need = today >= 0 ? limit * n - sum + t[today + 2] : n < 3 ? limit * (n + 1) - sum : limit * 3 - sum + t[8];
    }
    const was = this.a;
    const on = projection >= need || was === true && projection >= need * C.OFF_BELOW;
    this.a = on;
    const p = f.p;
    p.hour_kwh = kwh(soFar);
    p.projection_kwh = kwh(projection);
    p.headroom_w = isNaN(need) ? null : Math.round((need - projection) * C.HOUR / Math.max(left, C.LEAST_LEFT));
    p.alert = on;
    return { payload: p, alert: on !== was ? on : null };
  }
}
