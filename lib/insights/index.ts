// What the meter knows that a plain reader does not tell: the capacity step, voltage quality, surplus export and a
// consistency check of the meter's own data (docs/mqtt.md, Insights). One entry: readings in, messages for the
// publisher out, state kept through a small key/value store. The device loads it apart from the main script.
import type { Reading } from "../reading";
import { clockIsSet, numberText, payloadJson } from "../publish/payloads";
import { hourLabel, hourState, HourState } from "../publish/hour-label";
import { InsightMessage, InsightStore, readJson } from "./local";
import { Capacity } from "./capacity";
import { Voltage } from "./voltage";
import { Net } from "./net";
import { Consistency, HourIntegral } from "./consistency";

export type { InsightMessage, InsightStore } from "./local";

export interface InsightOptions extends InsightFeatures {
  /** Capacity step limits, kW, ascending: "2,5,10" makes the steps 0-2, 2-5, 5-10 and 10+. */
  steps: number[];
  /** Nominal voltage (V) and the band around it (%) the 1-minute means must stay in. */
  nominal: number;
  band: number;
  /** The most power the installation can carry, W: an hour's register delta beyond it is no hour's energy. */
  maxPower: number;
}

export interface Insights {
  /** A reading received at `now` (UTC ms, the device clock): the messages to publish, in order. Nothing before
   *  SNTP has set the clock, since hours and days are local time. */
  onReading(reading: Reading, now: number): InsightMessage[];
}

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum K {
  HOUR = 3600000,
  MINUTE = 60000,
  /** Readings closer than this (ms) to the one before carry the same instant: Aidon's and Kaifa's list 2 follows
   *  the list 1 sent with it. */
  SAME = 1000,
  /** Readings further apart (ms) are not integrated across for the hour's energy so far (publisher.ts, Live.GAP). */
  GAP = 60000,
  /** The list period (ms) assumed until one is seen: the longest a meter uses. */
  PERIOD = 10000,
  /** Longer silences (ms) start the integration afresh rather than walk through every hour of them. */
  RESTART = 172800000,
  /** Storage file of the registers that close the last hour, and of the capacity step's month: written when an
   *  hour closes, at most 25 times a day. */
  STORE = "han.cap",
}

/** The step limits of the configuration's text ("2,5,10,15,20,25", kW). */
export function stepLimits(text: string): number[] {
  const parts = text.split(",");
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) out.push(parseFloat(parts[i]));
  return out;
}

/** The features a configuration turns on (lib/config/schema.ts, the "insights" group). */
export interface InsightFeatures {
  capacity: boolean;
  voltage: boolean;
  net: boolean;
  consistency: boolean;
}

/** The options of a validated configuration. */
export function insightOptions(config: { insights: InsightFeatures & { steps: string; nominalVoltage: number;
  voltageBand: number }; meter: { maxPower: number } }): InsightOptions {
  const i = config.insights;
  return { capacity: i.capacity, voltage: i.voltage, net: i.net, consistency: i.consistency, steps: stepLimits(i.steps),
    nominal: i.nominalVoltage, band: i.voltageBand, maxPower: config.meter.maxPower };
}

export function createInsights(o: InsightOptions, store: InsightStore): Insights {
  const hourly = o.capacity || o.net || o.consistency;
  const saved = hourly ? readJson(store, K.STORE) : null;
  const capacity = o.capacity ? new Capacity(o.steps, saved) : null;
  const voltage = o.voltage ? new Voltage(o.nominal, o.band, store, readJson(store, "han.volt")) : null;
  const net = o.net ? new Net(store, readJson(store, "han.net")) : null;
  const consistency = o.consistency ? new Consistency(store, readJson(store, "han.cons")) : null;
  const hours: HourState = hourState();
  /** The registers that closed the last hour: its end (UTC ms), import and export Wh (export -1 when absent). */
  let label = saved && typeof saved.l === "number" ? saved.l : -1;
  let imported = saved && typeof saved.i === "number" ? saved.i : -1;
  let exported = saved && typeof saved.x === "number" ? saved.x : -1;
  /** The last power sample: when (UTC ms, NaN before the first), import W, and its list. */
  let at = NaN;
  let pi = 0;
  let kind: unknown = null;
  /** The list period held by (ms), from the hour before; this hour's intervals so far, summed and counted. The
   *  mean, not the shortest: a UART read in batches delivers a 2.5 s list 2 s and 3 s apart. */
  let period = NaN;
  let gaps = 0;
  let gapCount = 0;
  /** The hour under way: its start, the Wh imported so far (each sample held until the next, up to K.GAP), and
   *  its integral for the consistency check; the integral of the hour before, until its registers come. */
  let start = NaN;
  let held = 0;
  let h: HourIntegral = { e: 0, c: 0, ms: 0, q: 0, t: 0, g: 0 };
  let closed: HourIntegral | null = null;
  let minute = -1;

  /** The power from `at` to `now` at the last sample's, hour by hour. */
  const integrate = function (now: number, p: number): void {
    const dt = now - at;
    // A sample covers the time to the next, or its own period when the next went missing.
    const each = period > 0 ? period : gapCount > 0 ? gaps / gapCount : K.PERIOD;
    const cover = dt < 1.5 * each ? dt : each;
    let from = at;
    while (from < now) {
      const end = Math.min(now, start + K.HOUR);
      if (dt <= K.GAP) held += pi * (end - from) / K.HOUR;
      const c = Math.max(0, Math.min(end, at + cover) - from);
      h.c += pi * c / K.HOUR;
      h.ms += c;
      from = end;
      if (end === start + K.HOUR) {
        h.e = end;
        h.t = each;
        h.g += pi;
        closed = h;
        if (gapCount > 0) period = gaps / gapCount;
        gaps = 0;
        gapCount = 0;
        start = end;
        held = 0;
        h = { e: 0, c: 0, ms: 0, q: 0, t: 0, g: pi };
      }
    }
    h.q += (p - pi) * (p - pi);
  };

  /** A power sample. */
  const sample = function (r: Reading, now: number): void {
    const v = r.values;
    const p = v.active_power_import;
    if (p === undefined || !(p >= 0 && p <= o.maxPower)) return;
    const dt = now - at;
    if (dt < K.SAME) return;
    if (!(dt <= K.RESTART)) {
      start = Math.floor(now / K.HOUR) * K.HOUR;
      held = 0;
      h = { e: 0, c: 0, ms: 0, q: 0, t: 0, g: p };
    } else {
      if (r.list === kind) {
        gaps += dt;
        gapCount++;
      }
      integrate(now, p);
    }
    at = now;
    pi = p;
    kind = r.list;
  };

  const publishCapacity = function (now: number, out: InsightMessage[]): void {
    minute = Math.floor(now / K.MINUTE);
    const view = (capacity as Capacity).view(now, now >= start && now < start + K.HOUR ? held : 0, pi);
    out.push({ suffix: "capacity", payload: payloadJson(view.payload), retain: true });
    if (view.alert !== null) out.push({ suffix: "capacity/alert", payload: view.alert ? "ON" : "OFF", retain: true });
  };

  /** Registers: when they close an hour that followed the one closed before, the hour's energy. */
  const registers = function (r: Reading, now: number, out: InsightMessage[]): void {
    const v = r.values;
    const i = v.active_energy_import;
    if (i === undefined) return;
    const end = hourLabel(hours, r, now, true);
    if (end <= 0) return;
    const x = v.active_energy_export === undefined ? -1 : v.active_energy_export;
    const di = i - imported;
    const dx = x >= 0 && exported >= 0 ? x - exported : 0;
    const follows = label === end - K.HOUR && imported >= 0 && di >= 0 && dx >= 0 &&
      di + dx <= o.maxPower * 1.05 + 20;
    label = end;
    imported = i;
    exported = x;
    if (follows) {
      const ended = capacity ? capacity.hour(end, di) : null;
      if (ended) out.push({ suffix: "capacity/month", payload: payloadJson(ended), retain: true });
      if (net) net.hour(end, di - dx, out);
      if (consistency) consistency.hour(end, di, closed, out);
    }
    store.writeStore(K.STORE, "{\"l\":" + numberText(end) + ",\"i\":" + numberText(i) + ",\"x\":" + numberText(x) +
      (capacity ? "," + capacity.saved() : "") + "}");
    if (follows && capacity) publishCapacity(now, out);
  };

  return {
    onReading(r: Reading, now: number): InsightMessage[] {
      const out: InsightMessage[] = [];
      if (!clockIsSet(now)) return out;
      if (hourly) sample(r, now);
      if (hourly) registers(r, now, out);
      if (voltage) voltage.reading(r.values, now, out);
      if (capacity && Math.floor(now / K.MINUTE) !== minute && !isNaN(at)) publishCapacity(now, out);
      return out;
    },
  };
}

/** The insights of a validated configuration, kept in `store`: the one function the firmware calls, since each it
 *  imports from a part costs it variables for good (scripts/espruino/parts.ts). */
export function startInsights(config: Parameters<typeof insightOptions>[0], store: InsightStore): Insights {
  return createInsights(insightOptions(config), store);
}
