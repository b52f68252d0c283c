// A simulated month per maker (Aidon, Kaifa, Kamstrup), every frame through the decoder into the insights at the
// instant its last byte arrives, with a household that charges a car on two evenings (the capacity step rises)
// and a grid whose voltage sags and swells now and then. What the insights publish is judged against a
// computation written here over what the simulated meter sent (scripts/sim's own record of each list, as a
// decoder must read it), with Oslo time from the platform's time-zone data: not against lib/insights.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createInsights, InsightOptions } from "../lib/insights/index";
import { HanDecoder } from "../lib/han-decoder";
import { MeterSimulator, type MeterOptions } from "../scripts/sim/meter";
import { expectedReading, type Maker } from "../scripts/sim/layouts";
import { householdProfile, localToUtc } from "../scripts/sim/load-profile";
import { capacityOf, CountingStore, oslo, Sent, sentOn, stepOf, voltageOf } from "./support/insights";

const MINUTE = 60000;
const HOUR = 3600000;
const LIMITS = [2, 5, 10, 15, 20, 25];
const OPTIONS: InsightOptions = { capacity: true, voltage: true, net: true, consistency: true, steps: LIMITS,
  nominal: 230, band: 10, maxPower: 50000 };

interface Month {
  maker: Maker;
  year: number;
  month: number;
  solarPeakW: number;
}

/** The household of the month: a car charged at 11 kW on two evenings, voltage disturbances on each phase. */
function profile(y: number, m: number): MeterOptions["profile"] {
  return householdProfile({
    charging: [{ at: [y, m, 9, 21, 30], minutes: 120 }, { at: [y, m, 21, 22, 0], minutes: 90 }],
    voltage: [
      { at: [y, m, 5, 12, 3, 20], minutes: 3, phase: 2, volts: -30 },
      { at: [y, m, 12, 18, 0], minutes: 5, phase: 1, volts: 27 },
      { at: [y, m, 20, 3, 0, 30], minutes: 1.5, phase: 3, volts: -40 },
      { at: [y, m, 25, 7, 10], minutes: 12, phase: 2, volts: -26 },
      { at: [y, m, 25, 7, 15], minutes: 2, phase: 3, volts: -28 },
    ],
  });
}

async function month(m: Month, t: { diagnostic(s: string): void }): Promise<void> {
  const name = m.year + "-" + String(m.month).padStart(2, "0");
  const from = localToUtc([m.year, m.month, 1, 0, 0]);
  const next = m.month === 12 ? [m.year + 1, 1] : [m.year, m.month + 1];
  // Through the first hour of the next month, whose close ends this one.
  const to = localToUtc([next[0], next[1], 1, 1, 1]);
  const sim = new MeterSimulator({ maker: m.maker, phases: 3, wires: 4, country: "NO", seed: 2026 + m.month,
    startMs: from, solarPeakW: m.solarPeakW, profile: profile(m.year, m.month) });
  let now = 0;
  const store = new CountingStore(() => now);
  const insights = createInsights(OPTIONS, store);
  const sent: Sent[] = [];
  const decoder = new HanDecoder({ maxFrameSize: 1024, onReading(r) {
    for (const msg of insights.onReading(r, now)) sent.push(Object.assign({ at: now }, msg));
  } });
  // The truth: the registers of each hourly list by the hour they close; per phase and minute, the voltages sent.
  const registers = new Map<number, [number, number]>();
  const minutes = new Map<number, number[]>();
  const bits = m.maker === "kamstrup" ? 10 : 11;
  for (let at = from; at < to; at += 6 * HOUR) {
    for (const frame of sim.advanceTo(Math.min(at + 6 * HOUR, to))) {
      now = frame.sentAt + Math.ceil(frame.bytes.length * bits * 1000 / 2400);
      decoder.push(frame.bytes);
      const v = expectedReading(frame.input).values;
      if (frame.list === 3) registers.set(frame.dueAt - frame.dueAt % HOUR, [v.active_energy_import, v.active_energy_export]);
      if (v.voltage_l1 !== undefined) {
        const key = Math.floor(now / MINUTE);
        const acc = minutes.get(key) || [0, 0, 0, 0];
        for (let k = 0; k < 3; k++) acc[k] += v["voltage_l" + (k + 1)];
        acc[3]++;
        minutes.set(key, acc);
      }
    }
  }
  // Hourly energies of the month, by the start of each hour whose two registers came.
  const hours: [number, number][] = [];
  let exportHours = 0;
  for (const [end, r] of registers) {
    const before = registers.get(end - HOUR);
    if (!before || oslo(end - HOUR).slice(0, 7) !== name) continue;
    hours.push([end - HOUR, r[0] - before[0]]);
    if (r[0] - before[0] - (r[1] - before[1]) < 0) exportHours++;
  }
  const truth = capacityOf(hours, LIMITS);
  const final = sentOn(sent, "capacity/month");
  assert.equal(final.length, 1);
  assert.equal(final[0].month, name);
  assert.deepEqual([1, 2, 3].map((i) => [final[0]["top" + i], final[0]["top" + i + "_kwh"]]), truth.top);
  assert.deepEqual([final[0].average_kw, final[0].step], [truth.average, truth.step]);
  // The step rose as the month went: after each hour, the truth of the hours so far; the device's from its
  // messages in the month, as published.
  const steps: number[] = [stepOf(LIMITS, 0)];
  hours.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i <= hours.length; i++) steps.push(capacityOf(hours.slice(0, i), LIMITS).step);
  const dedupe = (s: number[]) => s.filter((x, i) => i === 0 || x !== s[i - 1]);
  const published = sentOn(sent, "capacity").filter((c) => c.month === name).map((c) => c.step as number);
  assert.deepEqual(dedupe(published), dedupe(steps));
  assert.equal(steps[steps.length - 1], 3, "the two evenings of charging lift the month to 5-10 kW");

  // Voltage: per phase, 1-minute means out of 207-253 V; an event is a run of such minutes on one phase.
  const { lowByDay, highByDay, events } = voltageOf(minutes, 207, 253);
  const days = sentOn(sent, "voltage/day").filter((d) => (d.day as string).startsWith(name));
  assert.equal(days.length, new Set([...minutes.keys()].map((k) => oslo(k * MINUTE).slice(0, 10))).size - 1,
    "a summary for every day but the next month's first");
  for (const d of days) {
    assert.deepEqual([d.day, d.minutes_low, d.minutes_high], [d.day, lowByDay.get(d.day as string) || 0,
      highByDay.get(d.day as string) || 0]);
  }
  const started = sentOn(sent, "voltage/event").filter((e) => e.end === null && oslo(Date.parse(e.start as string))
    .startsWith(name));
  assert.equal(started.length, events);
  assert.equal(days[days.length - 1].month_events, events);
  assert.ok(events >= 5, events + " events");

  // Net: the hours in which more went out than came in.
  const net = sentOn(sent, "net").filter((n) => oslo(Date.parse(n.hour_start as string)).startsWith(name));
  assert.equal(net.length, hours.length);
  assert.equal(net[net.length - 1].export_hours_month, exportHours);
  if (m.solarPeakW > 0) assert.ok(exportHours > 0, "the panels exported");

  // Consistency: a clean month's hours all within what sampling explains.
  const checked = sentOn(sent, "consistency").filter((c) => oslo(Date.parse(c.hour_start as string)).startsWith(name));
  assert.equal(checked.length, hours.length);
  const ratios = checked.map((c) => Math.abs(c.deviation_wh as number) / (c.bound_wh as number));
  assert.deepEqual(checked.filter((c) => c.flagged).map((c) => c.hour_start), []);
  for (const [file, most] of [["han.cap", 25], ["han.volt", 1], ["han.net", 1], ["han.cons", 1]] as const) {
    assert.ok(store.mostPerDay(file) <= most, file + ": " + store.mostPerDay(file) + " writes in a day");
  }
  t.diagnostic(m.maker + " " + name + ": step " + truth.step + " (" + truth.average + " kW), top " +
    truth.top.map((x) => x.join(" ")).join(", ") + "; " + events + " voltage events; " + exportHours +
    " export hours; deviation/bound at most " + Math.max(...ratios).toFixed(2) + ", median " +
    ratios.sort((a, b) => a - b)[ratios.length >> 1].toFixed(2) + "; period " + checked[0].period_s + " s");
}

const MONTHS: Month[] = [
  { maker: "aidon", year: 2026, month: 3, solarPeakW: 0 },
  { maker: "kaifa", year: 2026, month: 10, solarPeakW: 0 },
  { maker: "kamstrup", year: 2026, month: 6, solarPeakW: 6000 },
];

for (const m of MONTHS) {
  test("a simulated month on " + m.maker + " (" + m.year + "-" + m.month + "): step, top three, voltage events, " +
    "export hours and consistency as computed from what the meter sent", { timeout: 600000 }, async (t) => {
    await month(m, t);
  });
}
