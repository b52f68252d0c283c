// Surplus export: each hour's net energy, import minus export, and the hours in which the household gave more to
// the grid than it took, counted per local day and month. The net power itself is on the power topic
// (lib/publish/payloads.ts, active_power_net).
import { localDay, localText, InsightMessage, InsightStore } from "./local";
import { isoTime, payloadJson } from "../publish/payloads";

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum N {
  HOUR = 3600000,
  STORE = "han.net",
}

export class Net {
  /** The local day and its export hours; the month and its export hours. */
  private d: number;
  private h: number;
  private m: string;
  private n: number;
  private store: InsightStore;

  constructor(store: InsightStore, saved: { [key: string]: unknown } | null) {
    this.store = store;
    this.d = -1;
    this.h = 0;
    this.m = saved && typeof saved.m === "string" ? saved.m : "";
    this.n = saved && typeof saved.n === "number" ? saved.n : 0;
  }

  /** The hour ending at `end` took `net` Wh from the grid (negative: gave). */
  hour(end: number, net: number, out: InsightMessage[]): void {
    const start = end - N.HOUR;
    const day = localDay(start);
    if (day !== this.d) {
      // The month's count up to yesterday, once a day: the day under way is lost to a restart.
      if (this.d >= 0) this.store.writeStore(N.STORE, "{\"m\":" + JSON.stringify(this.m) + ",\"n\":" + this.n + "}");
      this.d = day;
      this.h = 0;
    }
    const month = localText(start, 7);
    if (month !== this.m) {
      this.m = month;
      this.n = 0;
    }
    if (net < 0) {
      this.h++;
      this.n++;
    }
    out.push({ suffix: "net", retain: true, payload: payloadJson({ hour_start: isoTime(start), hour_end: isoTime(end),
      net_energy: Math.round(net), export_hours_today: this.h, export_hours_month: this.n }) });
  }
}
