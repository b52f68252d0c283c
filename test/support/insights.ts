// What the insights tests share: local time in Oslo from the platform's time-zone data (independent of the
// device's own EU-rule reckoning), a store that counts its writes per file, the messages collected with when
// they went out, the simulated meter's record of what it sent, and the figures a grid company would reckon from it.
import type { InsightMessage } from "../../lib/insights/index";
import { expectedReading } from "../../scripts/sim/layouts";
import type { SentFrame } from "../../scripts/sim/meter";

const HOUR = 3600000;

const OSLO = new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Oslo", year: "numeric", month: "2-digit",
  day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

/** Oslo wall time of a UTC instant, "YYYY-MM-DDThh:mm". */
export function oslo(utc: number): string {
  return OSLO.format(new Date(utc)).replace(" ", "T");
}

export class CountingStore {
  readonly files: { [name: string]: string } = {};
  readonly writes: { [name: string]: number[] } = {};

  readStore = (name: string): string | undefined => this.files[name];

  /** Writes are noted with the time `now` gives. */
  constructor(private readonly now: () => number) {}

  writeStore = (name: string, text: string): void => {
    this.files[name] = text;
    (this.writes[name] = this.writes[name] || []).push(this.now());
  };

  /** The most writes of `name` on one Oslo day. */
  mostPerDay(name: string): number {
    const days = new Map<string, number>();
    for (const t of this.writes[name] || []) days.set(oslo(t).slice(0, 10), (days.get(oslo(t).slice(0, 10)) || 0) + 1);
    return Math.max(0, ...days.values());
  }
}

export interface Sent extends InsightMessage {
  at: number;
}

/** The JSON payloads sent on `suffix`, with when. */
export function sentOn(sent: Sent[], suffix: string): ({ at: number } & { [key: string]: unknown })[] {
  return sent.filter((m) => m.suffix === suffix).map((m) => Object.assign({ at: m.at }, JSON.parse(m.payload)));
}

/** The step, numbered from 1, of an average of `kw` under step limits `limits` (kW, ascending). */
export function stepOf(limits: number[], kw: number): number {
  let s = 0;
  while (s < limits.length && kw >= limits[s]) s++;
  return s + 1;
}

/** The capacity figures of hourly energies (Wh by hour start, UTC ms) in one Oslo month, as a grid company
 *  reckons them: each day's highest hour, the three highest days, their average. */
export function capacityOf(hours: [number, number][], limits: number[]):
  { top: [string, number][]; average: number; step: number } {
  const best = new Map<string, [number, number]>();
  for (const [start, wh] of hours) {
    const day = oslo(start).slice(0, 10);
    const b = best.get(day);
    if (!b || wh > b[1]) best.set(day, [start, wh]);
  }
  const top = [...best.values()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  const average = top.reduce((s, t) => s + t[1], 0) / Math.max(top.length, 1);
  return { top: top.map((t) => [oslo(t[0]).slice(0, 13) + ":00", Math.round(t[1]) / 1000]),
    average: Math.round(average) / 1000, step: stepOf(limits, average / 1000) };
}

/** Voltage quality from the voltages sent, by UTC minute (the sums of l1, l2, l3 and their count): per Oslo day
 *  the minutes a phase's mean was below `low` or above `high` V, and the events (runs of such minutes on one
 *  phase), counted as they start. */
export function voltageOf(minutes: Map<number, number[]>, low: number, high: number):
  { lowByDay: Map<string, number>; highByDay: Map<string, number>; events: number; days: Set<string> } {
  const lowByDay = new Map<string, number>();
  const highByDay = new Map<string, number>();
  const days = new Set<string>();
  let events = 0;
  const open = [0, 0, 0];
  for (const key of [...minutes.keys()].sort((a, b) => a - b)) {
    const acc = minutes.get(key)!;
    const kinds = [0, 1, 2].map((k) => acc[k] / acc[3] < low ? -1 : acc[k] / acc[3] > high ? 1 : 0);
    const day = oslo(key * 60000).slice(0, 10);
    days.add(day);
    if (kinds.includes(-1)) lowByDay.set(day, (lowByDay.get(day) || 0) + 1);
    if (kinds.includes(1)) highByDay.set(day, (highByDay.get(day) || 0) + 1);
    for (let k = 0; k < 3; k++) {
      if (kinds[k] !== 0 && kinds[k] !== open[k]) events++;
      open[k] = kinds[k];
    }
  }
  return { lowByDay, highByDay, events, days };
}

/** What the simulated meter sent, as a decoder must read it, kept as the insights' truth: the registers of each
 *  hourly list by the hour it closes (UTC ms) and, per UTC minute of sending, the voltages' sums and count.
 *  The 10-s lists go out on the 10 s and take about a second on the line: read within their minute. */
export class MeterTruth {
  readonly registers = new Map<number, [number, number]>();
  readonly minutes = new Map<number, number[]>();

  onFrame = (f: SentFrame): void => {
    const v = expectedReading(f.input).values;
    if (f.list === 3) this.registers.set(f.dueAt - f.dueAt % HOUR, [v.active_energy_import, v.active_energy_export]);
    if (v.voltage_l1 === undefined) return;
    const key = Math.floor(f.sentAt / 60000);
    const acc = this.minutes.get(key) || [0, 0, 0, 0];
    for (let k = 0; k < 3; k++) acc[k] += v["voltage_l" + (k + 1)];
    acc[3]++;
    this.minutes.set(key, acc);
  };

  /** Each hour whose closing registers and those of the hour before both came: its start, import and net (import
   *  less export) Wh, in time order. */
  hours(): { start: number; wh: number; net: number }[] {
    const out: { start: number; wh: number; net: number }[] = [];
    for (const [end, r] of this.registers) {
      const before = this.registers.get(end - HOUR);
      if (before) out.push({ start: end - HOUR, wh: r[0] - before[0], net: r[0] - before[0] - (r[1] - before[1]) });
    }
    return out.sort((a, b) => a.start - b.start);
  }
}

/** The steps the month's figures took as its hours (start, Wh; in time order) closed one by one, from that of
 *  no hour at all, each repeat left out. */
export function stepsOf(hours: [number, number][], limits: number[]): number[] {
  const steps = [stepOf(limits, 0)];
  for (let i = 1; i <= hours.length; i++) steps.push(capacityOf(hours.slice(0, i), limits).step);
  return distinct(steps);
}

/** `s` with each element equal to the one before it left out. */
export function distinct<T>(s: T[]): T[] {
  return s.filter((x, i) => i === 0 || x !== s[i - 1]);
}
