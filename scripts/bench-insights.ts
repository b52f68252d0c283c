// `npm run bench:insights`: the insights over a simulated month per maker on the emulated ESP32 with the firmware
// bundle, a household that charges a car on two evenings (the capacity step rises) and a grid whose voltage sags
// and swells now and then, behind panels that export at noon. What the device publishes on <base>/insights/... is
// judged against the figures test/support/insights.ts reckons from the simulated meter's own record of what it
// sent, never against lib/insights.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseCommandLine, runCli, UsageError } from "./cli";
import type { Maker } from "./sim/layouts";
import { householdProfile, localToUtc, type LocalSpan } from "./sim/load-profile";
import { meterSource } from "./emulator/index";
import { deviceConfig, emulate, Recorder } from "../test/support/emulated-device";
import { startAedes } from "../test/support/brokers";
import { capacityOf, distinct, MeterTruth, oslo, stepsOf, voltageOf } from "../test/support/insights";

const MINUTE = 60000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const LIMITS = [2, 5, 10, 15, 20, 25];
const MAKERS: Maker[] = ["aidon", "kaifa", "kamstrup"];
/** A month each: March and October take in a DST change, June the panels' longest days. */
const MONTHS: { [maker: string]: [number, number] } = { aidon: [2026, 3], kaifa: [2026, 10], kamstrup: [2026, 6] };

type Payload = { at: number } & { [key: string]: unknown };

export interface InsightFigures {
  maker: Maker;
  days: number;
  startMs: number;
  /** Per Oslo month of the span: the device's last capacity figures and the truth's, and the steps they took. */
  months: { month: string; device: string; truth: string; deviceSteps: number[]; truthSteps: number[] }[];
  voltage: { deviceLow: number; deviceHigh: number; truthLow: number; truthHigh: number; deviceEvents: number;
    truthEvents: number; days: number };
  exportHours: { device: number; truth: number };
  hours: { device: number; truth: number };
  flagged: string[];
  memoryFirstDayMax: number;
  memoryLastDayMax: number;
  memoryTotal: number;
  writesPerDay: number[];
  resets: number;
  uncaught: string[];
  mismatches: string[];
  realSeconds: number;
}

/** Local date `days` after the local date of UTC ms `from`, with a wall time. */
function dayAt(from: number, days: number, h: number, m: number, s?: number): LocalSpan["at"] {
  const d = new Date(Date.parse(oslo(from).slice(0, 10) + "T00:00:00Z") + days * DAY);
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), h, m, s || 0];
}

/** The household over `days` from `from`: the car on two evenings, sags and swells spread over the span. */
function profile(from: number, days: number) {
  const day = (share: number) => Math.min(days - 1, Math.floor(days * share));
  return householdProfile({
    charging: [{ at: dayAt(from, day(0.3), 21, 30), minutes: 120 }, { at: dayAt(from, day(0.7), 22, 0), minutes: 90 }],
    voltage: [
      { at: dayAt(from, day(0.17), 12, 3, 20), minutes: 3, phase: 2, volts: -30 },
      { at: dayAt(from, day(0.4), 18, 0), minutes: 5, phase: 1, volts: 27 },
      { at: dayAt(from, day(0.67), 3, 0, 30), minutes: 1.5, phase: 3, volts: -40 },
      { at: dayAt(from, day(0.83), 7, 10), minutes: 12, phase: 2, volts: -26 },
      { at: dayAt(from, day(0.83), 7, 15), minutes: 2, phase: 3, volts: -28 },
    ],
  });
}

const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
const figures = (c: Payload) => c.step + " (" + c.average_kw + " kW), top " +
  [1, 2, 3].map((i) => c["top" + i] + " " + c["top" + i + "_kwh"]).join(", ");

export async function runInsights(maker: Maker, days: number, seed: number, startMs: number): Promise<InsightFigures> {
  const real = Date.now();
  const id = "bench-" + maker;
  const base = "han/" + id;
  const broker = await startAedes();
  const recorder = new Recorder();
  await recorder.start(broker.port, [base + "/insights/#"]);
  const meter = new MeterTruth();
  const emu = emulate({
    startMs: startMs,
    files: { "han.json": deviceConfig(broker.port, id),
      "han.serial": JSON.stringify({ baud: 2400, parity: maker === "kamstrup" ? "none" : "even" }) },
    source: meterSource({ maker: maker, phases: 3, wires: 4, country: "NO", seed: seed, startMs: startMs,
      solarPeakW: 6000, profile: profile(startMs + 10 * MINUTE, days), onFrame: meter.onFrame }),
    serialPollMs: 1000,
    memoryRefreshMs: HOUR,
  }, recorder);
  const memory: number[] = [];
  const writes: number[] = [];
  // From ten minutes before the first local midnight to ten after the last: the last hourly list published.
  const end = days * DAY + 20 * MINUTE;
  try {
    for (let hour = 1; emu.clock.now < end; hour++) {
      await emu.advance(Math.min(hour * HOUR, end) - emu.clock.now, 5000);
      memory.push(emu.memory().usage);
      if (hour % 24 === 0) writes.push(emu.storage.writes);
    }
    // What the device published last may still be on its way through the broker.
    await recorder.waitFor(() => false, "nothing", 500).catch(() => { /* settled */ });
  } finally {
    emu.close();
    await recorder.stop();
    await broker.dispose();
  }
  const json = (suffix: string): Payload[] => recorder.on(base + "/insights/" + suffix).map((m) =>
    Object.assign({ at: m.at }, JSON.parse(m.payload)));
  const mismatches: string[] = [];
  const hours = meter.hours();

  // Capacity, per Oslo month of the span: the last figures published for it, and the steps they went through.
  const capacity = json("capacity");
  const months = distinct(hours.map((h) => oslo(h.start).slice(0, 7))).map((month) => {
    const mine = hours.filter((h) => oslo(h.start).startsWith(month)).map((h) => [h.start, h.wh] as [number, number]);
    const truth = capacityOf(mine, LIMITS);
    const published = capacity.filter((c) => c.month === month);
    const last = published[published.length - 1];
    const device = last ? figures(last) : "nothing published";
    const top = truth.top.concat([[null, null], [null, null]] as unknown as [string, number][]).slice(0, 3);
    const wanted = figures(Object.assign({ at: 0, step: truth.step, average_kw: truth.average },
      ...top.map((t, i) => ({ ["top" + (i + 1)]: t[0], ["top" + (i + 1) + "_kwh"]: t[1] }))));
    const row = { month: month, device: device, truth: wanted, deviceSteps: distinct(published.map((c) => c.step as number)),
      truthSteps: stepsOf(mine, LIMITS) };
    if (device !== wanted) mismatches.push(month + " capacity " + device + " but " + wanted);
    if (row.deviceSteps.join() !== row.truthSteps.join()) {
      mismatches.push(month + " steps " + row.deviceSteps.join("-") + " but " + row.truthSteps.join("-"));
    }
    return row;
  });

  // Voltage: each day's summary against the minutes sent that day; the events as they started.
  const volts = voltageOf(meter.minutes, 207, 253);
  const summaries = json("voltage/day");
  let deviceLow = 0, deviceHigh = 0, truthLow = 0, truthHigh = 0;
  for (const d of summaries) {
    const day = d.day as string;
    deviceLow += d.minutes_low as number;
    deviceHigh += d.minutes_high as number;
    truthLow += volts.lowByDay.get(day) || 0;
    truthHigh += volts.highByDay.get(day) || 0;
    if (d.minutes_low !== (volts.lowByDay.get(day) || 0) || d.minutes_high !== (volts.highByDay.get(day) || 0)) {
      mismatches.push(day + " voltage minutes low/high " + d.minutes_low + "/" + d.minutes_high + " but " +
        (volts.lowByDay.get(day) || 0) + "/" + (volts.highByDay.get(day) || 0));
    }
  }
  const events = json("voltage/event").filter((e) => e.end === null).length;
  if (events !== volts.events) mismatches.push("voltage events " + events + " but " + volts.events);
  if (summaries.length < days - 1) mismatches.push("only " + summaries.length + " daily voltage summaries");

  // Net: each hour's import less export; the hours that gave more than they took, per month as published.
  const net = json("net");
  const truthNet = new Map(hours.map((h) => [iso(h.start), Math.round(h.net)]));
  for (const n of net) {
    if (truthNet.get(n.hour_start as string) !== n.net_energy) {
      mismatches.push(n.hour_start + " net " + n.net_energy + " but " + truthNet.get(n.hour_start as string));
    }
  }
  let deviceExport = 0;
  for (const m of months) {
    const mine = net.filter((n) => oslo(Date.parse(n.hour_start as string)).startsWith(m.month));
    if (mine.length) deviceExport += mine[mine.length - 1].export_hours_month as number;
  }
  const truthExport = hours.filter((h) => h.net < 0).length;
  if (deviceExport !== truthExport) mismatches.push("export hours " + deviceExport + " but " + truthExport);

  // Consistency: every hour, none beyond what sampling explains in a clean span.
  const checked = json("consistency");
  if (checked.length !== hours.length) mismatches.push(checked.length + " consistency hours of " + hours.length);
  if (net.length !== hours.length) mismatches.push(net.length + " net hours of " + hours.length);
  const flagged = checked.filter((c) => c.flagged).map((c) => c.hour_start as string);
  if (flagged.length) mismatches.push(flagged.length + " hours flagged");
  const uncaught = emu.console.uncaught.map(String);
  if (uncaught.length) mismatches.push(uncaught.length + " uncaught errors");
  if (emu.resets.length) mismatches.push(emu.resets.length + " resets");
  return {
    maker: maker, days: days, startMs: startMs, months: months,
    voltage: { deviceLow, deviceHigh, truthLow, truthHigh, deviceEvents: events, truthEvents: volts.events,
      days: summaries.length },
    exportHours: { device: deviceExport, truth: truthExport }, hours: { device: checked.length, truth: hours.length },
    flagged: flagged, memoryFirstDayMax: Math.max(...memory.slice(0, 24)), memoryLastDayMax: Math.max(...memory.slice(-24)),
    memoryTotal: emu.memory().total, writesPerDay: writes.map((w, i) => w - (i === 0 ? 0 : writes[i - 1])),
    resets: emu.resets.length, uncaught: uncaught, mismatches: mismatches, realSeconds: (Date.now() - real) / 1000,
  };
}

export function printInsights(f: InsightFigures): void {
  const w = f.writesPerDay;
  const v = f.voltage;
  console.log(f.maker + ", " + f.days + " days from " + iso(f.startMs) + " (" + f.realSeconds.toFixed(0) + " s real)");
  for (const m of f.months) {
    console.log("  " + m.month + " step " + m.device + "; steps " + m.deviceSteps.join("-"));
    console.log("  " + " ".repeat(m.month.length) + " independent " + m.truth + "; steps " + m.truthSteps.join("-"));
  }
  console.log("  voltage over " + v.days + " daily summaries: minutes below/above " + v.deviceLow + "/" + v.deviceHigh +
    " (independent " + v.truthLow + "/" + v.truthHigh + "), events " + v.deviceEvents + " (independent " +
    v.truthEvents + ")");
  console.log("  export hours " + f.exportHours.device + " (independent " + f.exportHours.truth + "); consistency " +
    f.hours.device + " hours (independent " + f.hours.truth + "), flagged " + f.flagged.length +
    (f.flagged.length ? " (" + f.flagged.slice(0, 5).join(", ") + ")" : ""));
  console.log("  memory estimate max: first day " + f.memoryFirstDayMax + ", last day " + f.memoryLastDayMax + " of " +
    f.memoryTotal + " variables; Storage writes per day min " + Math.min(...w) + ", max " + Math.max(...w) +
    ", mean " + (w.reduce((a, b) => a + b, 0) / Math.max(1, w.length)).toFixed(1));
  console.log("  " + (f.mismatches.length ? "MISMATCH: " + f.mismatches.slice(0, 8).join("; ") +
    (f.mismatches.length > 8 ? "; ..." : "") : "verdict: all equal to the independent computation"));
}

const USAGE = `usage: npm run bench:insights -- [--maker M] [--days N] [--seed N] [--start ISO]
  The insights over a simulated month per maker on the emulated ESP32 with the firmware bundle: panels of 6 kW, a
  car charged at 11 kW on two evenings (the capacity step rises), five voltage sags and swells on one phase or two.
  Prints per maker and month the published step and top three against an independent computation over the
  simulated meter's own record, the steps each went through, the voltage minutes and events, the export hours, the
  consistency hours flagged, the memory estimate and the Storage writes per day; exits 1 on any mismatch.
  --maker M     aidon, kaifa, kamstrup or all (default all)
  --days N      simulated days per maker (default 30)
  --seed N      the meter's seed (default 2026)
  --start ISO   UTC start (default ten minutes before local midnight on the 1st: aidon 2026-03 (DST change),
                kaifa 2026-10 (DST change), kamstrup 2026-06)`;

function positive(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError("--" + name + " must be a whole number of 1 or more, not " +
    JSON.stringify(text));
  return n;
}

export async function benchInsights(argv: string[]): Promise<number> {
  const parsed = parseCommandLine({ args: argv, options: { days: { type: "string" }, maker: { type: "string" },
    seed: { type: "string" }, start: { type: "string" } } }, USAGE);
  if (!parsed) return 0;
  const v = parsed.values;
  const makers = v.maker === undefined || v.maker === "all" ? MAKERS : MAKERS.filter((m) => m === v.maker);
  if (makers.length === 0) throw new UsageError("--maker must be one of " + MAKERS.join(", ") + " or all, not " +
    JSON.stringify(v.maker));
  const start = v.start === undefined ? NaN : Date.parse(v.start);
  if (v.start !== undefined && isNaN(start)) throw new UsageError("--start must be an ISO date-time such as " +
    "2026-03-20T00:00:00Z, not " + JSON.stringify(v.start));
  const days = positive(v.days, "days", 30);
  const seed = positive(v.seed, "seed", 2026);
  let bad = 0;
  for (const maker of makers) {
    const month = MONTHS[maker];
    const from = v.start !== undefined ? start : localToUtc([month[0], month[1], 1, 0, 0]) - 10 * MINUTE;
    const f = await runInsights(maker, days, seed, from);
    printInsights(f);
    bad += f.mismatches.length;
  }
  return bad === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runCli("bench:insights", function () { return benchInsights(process.argv.slice(2)); }, USAGE);
}
