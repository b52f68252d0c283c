// `npm run bench:month`: a simulated month per maker on the emulated ESP32 with the firmware bundle, against a
// real broker (mosquitto where installed, else aedes), through the faults a home sees: Wi-Fi gone for minutes,
// hours and days, broker restarts with and without persistence, reboots at random moments (some in an hour's first
// second, some while the hourly list is on the line), power cuts during Storage writes, a noisy line, SNTP out of
// reach for a day, and the DST changes. A subscriber records every message on <base>/energy; what it got is judged
// against the simulated meter's own record of the hourly lists it sent, never against the device's code.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseCommandLine, runCli, UsageError } from "./cli";
import { createRng, randomInt, type Rng } from "./sim/random";
import type { Maker } from "./sim/layouts";
import type { SentFrame } from "./sim/meter";
import { meterSource, withFaults, type ByteSource, type Emulator } from "./emulator/index";
import { bitsPerChar, type Transmission } from "./emulator/line";
import { deviceConfig, emulate, Recorder } from "../test/support/emulated-device";
import { mosquittoMissing, startAedes, startMosquitto, PASSWORD, USERNAME, type Broker }
  from "../test/support/brokers";
import mqtt from "mqtt";

const MINUTE = 60000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The hourly value lives in this ring in Storage until the broker has it. */
const RING = "han.kept";
/** Reaches over both the October change (2026-10-25) and, with --start, any other span. */
const DEFAULT_START = Date.UTC(2026, 9, 10, 0, 0, 0);
const MAKERS: Maker[] = ["aidon", "kaifa", "kamstrup"];
/** Share of bytes corrupted on the noisy days: at this rate most long lists fail their checksum, so the line is
 *  noisy on a few days only, or hardly any hourly list would reach the device at all. */
const CORRUPT_RATE = 0.01;

export interface MonthOptions {
  maker: Maker;
  days: number;
  seed: number;
  startMs: number;
  broker: Broker;
  /** Which faults to inject; all by default. */
  faults?: FaultKind[];
  /** Told of each fault as it is injected. */
  log?: (line: string) => void;
}

export type FaultKind = "wifi" | "broker" | "reboot" | "storage-cut" | "noise" | "sntp";
const ALL_FAULTS: FaultKind[] = ["wifi", "broker", "reboot", "storage-cut", "noise", "sntp"];

interface Fault {
  /** Virtual ms. */
  at: number;
  what: string;
  run(emu: Emulator, broker: Broker, recorder: Recorder): Promise<void> | void;
}

export interface MonthFigures {
  maker: Maker;
  days: number;
  broker: string;
  /** Hourly lists the meter sent intact while the device was powered: each must arrive once, under its hour. */
  expected: number;
  received: number;
  missing: string[];
  duplicated: string[];
  wrong: string[];
  decreases: number;
  /** Hourly lists the meter sent that the line's noise spoilt, or that met the device mid-reboot. */
  corrupted: number;
  unpowered: number;
  memoryFirstDayMax: number;
  memoryLastDayMax: number;
  memoryTotal: number;
  flashWritesPerDay: number[];
  flashBytesPerDay: number[];
  resets: number;
  /** From the device's last diag message. */
  mqttReconnects: unknown;
  energyDropped: unknown;
  uncaught: string[];
  /** The device's console, for looking into a count that is not 0. */
  console: string;
  faults: string[];
  realSeconds: number;
  live: LiveFigures;
}

/** What Home Assistant makes of the live import register (docs/mqtt.md, Energy booked to its hour): a
 *  total_increasing entity's hour is the change of its last state before each boundary. */
export interface LiveFigures {
  /** Energy booked into the hour it was used, of all the meter registered, over every hour of the run with
   *  registers at both ends (outages included: an hour the device was away books nothing). */
  share: number;
  /** The same over the hours with a live value in the minute before both boundaries (the device up). */
  shareUp: number;
  hours: number;
  hoursUp: number;
  /** Largest Wh a live value stood above the meter's register that closes its hour, and the last live value
   *  of an hour below it; over the hours the device was up. */
  ahead: number;
  behind: number;
  decreases: number;
}

/** The live import register on <base>/power, as a subscriber sees it: the value before each hour boundary, the
 *  highest in each hour, and decreases. Only these are kept: a month of power messages would not fit. */
class LiveWatch {
  /** Value and time (UTC ms) of the last state before each boundary; highest value in the hour ending there. */
  readonly before: { [boundary: number]: { wh: number; at: number } } = {};
  readonly highest: { [boundary: number]: number } = {};
  decreases = 0;
  private last: { wh: number; at: number } | null = null;
  private client: mqtt.MqttClient | null = null;

  async start(port: number, topic: string, now: () => number): Promise<void> {
    const self = this;
    this.client = await mqtt.connectAsync("mqtt://127.0.0.1:" + port, { username: USERNAME, password: PASSWORD,
      reconnectPeriod: 200 });
    this.client.on("message", function (_topic, payload) {
      const wh = JSON.parse(payload.toString()).active_energy_import_live;
      if (typeof wh === "number") self.seen(wh, now());
    });
    await this.client.subscribeAsync(topic, { qos: 0 });
  }

  private seen(wh: number, at: number): void {
    const last = this.last;
    if (last) {
      if (wh < last.wh) this.decreases++;
      for (let b = Math.floor(last.at / HOUR + 1) * HOUR; b <= at; b += HOUR) this.before[b] = last;
    }
    const end = Math.floor(at / HOUR + 1) * HOUR;
    this.highest[end] = Math.max(this.highest[end] || 0, wh);
    this.last = { wh: wh, at: at };
  }

  async stop(): Promise<void> {
    if (this.client) await this.client.endAsync(true);
  }

  /** Against the simulator's own registers at each boundary, and the registers the device published. */
  figures(truth: { [boundary: number]: number }, published: { [boundary: number]: number }): LiveFigures {
    let right = 0, all = 0, rightUp = 0, allUp = 0, hours = 0, hoursUp = 0, ahead = 0, behind = 0;
    for (const key of Object.keys(truth)) {
      const h = Number(key);
      if (truth[h + HOUR] === undefined) continue;
      const used = truth[h + HOUR] - truth[h];
      const l0 = this.before[h], l1 = this.before[h + HOUR];
      const booked = l0 && l1 ? l1.wh - l0.wh : 0;
      right += Math.max(0, Math.min(booked, used));
      all += used;
      hours++;
      if (!l0 || !l1 || h - l0.at > MINUTE || h + HOUR - l1.at > MINUTE) continue;
      rightUp += Math.max(0, Math.min(booked, used));
      allUp += used;
      hoursUp++;
      const register = published[h + HOUR];
      if (register === undefined) continue;
      ahead = Math.max(ahead, (this.highest[h + HOUR] || 0) - register);
      behind = Math.max(behind, register - l1.wh);
    }
    return { share: right / all, shareUp: rightUp / allUp, hours: hours, hoursUp: hoursUp, ahead: ahead,
      behind: behind, decreases: this.decreases };
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** The line with a share of bytes corrupted on the noisy days; remembers which transmissions it spoilt. */
function noisyLine(inner: ByteSource, rng: Rng, noisy: (at: number) => boolean, spoilt: Set<number>): ByteSource {
  return Object.assign({}, inner, {
    take: function (untilMs: number): Transmission[] {
      return inner.take(untilMs).map(function (t) {
        if (!noisy(t.at)) return t;
        const bytes = t.bytes.slice();
        for (let i = 0; i < bytes.length; i++) {
          if (rng() < CORRUPT_RATE) {
            bytes[i] ^= 1 << randomInt(rng, 0, 7);
            spoilt.add(t.at);
          }
        }
        return { at: t.at, bytes: bytes };
      });
    },
  });
}

/** The recorder's QoS: 2, as the device publishes its energy, so that what the broker hands the recorder comes
 *  exactly once too. aedes 1.2 forwards QoS 2 messages to a subscriber with the PUBREL of the last one in place of
 *  each (two energy messages back to back, and the subscriber never gets the first): QoS 0 there, with the
 *  recorder back before the device publishes after each broker restart (recorderBack). */
export function recorderQos(broker: Broker): 0 | 2 {
  return broker.name === "aedes" ? 0 : 2;
}

/** Resolves once the recorder, subscribed to `topic`, gets what is published there now: after a broker restart it
 *  is back, subscribed, before the device can publish again. Its own client may not yet have seen the old broker
 *  go, and what a broker queues for a subscriber away in a kept session is not what is measured here (aedes 1.2
 *  loses the first of two QoS 2 messages queued so; see recorderQos). */
export async function recorderBack(port: number, recorder: Recorder, topic: string): Promise<void> {
  const probe = "probe " + Math.random();
  const client = await mqtt.connectAsync("mqtt://127.0.0.1:" + port, { username: USERNAME, password: PASSWORD });
  try {
    for (let tries = 0; ; tries++) {
      await client.publishAsync(topic, probe, { qos: 1 });
      const back = await recorder.waitFor(function () {
        return recorder.on(topic).some(function (m) { return m.payload === probe; });
      }, "the recorder back", 1000).then(function () { return true; }, function () { return false; });
      if (back) return;
      if (tries >= 20) throw new Error("the recorder did not come back after the broker restart");
    }
  } finally {
    await client.endAsync();
  }
}

/** SNTP's answer takes `ms` (the emulator has no SNTP outage of its own; its radio's delay stands in for one). */
function sntpDelay(emu: Emulator, ms: number): void {
  (emu.wifi as unknown as { o: { sntpMs: number } }).o.sntpMs = ms;
}

/** The faults of a run, on its seed: placed at the same share of the span whatever its length, longer outages
 *  left out where the span is too short for them to end. */
function plan(o: MonthOptions, hourlyAtMs: number, rng: Rng): Fault[] {
  const span = o.days * DAY;
  const kinds = o.faults || ALL_FAULTS;
  const out: Fault[] = [];
  const at = function (share: number, extraMs?: number): number { return Math.floor(share * span) + (extraMs || 0); };
  const fits = function (start: number, length: number): boolean { return start + length <= span - 2 * HOUR; };
  if (kinds.indexOf("wifi") >= 0) {
    for (const outage of [{ share: 0.07, ms: 10 * MINUTE, name: "10 min" }, { share: 0.17, ms: 6 * HOUR, name: "6 h" },
      { share: 0.4, ms: 2 * DAY, name: "2 days" }]) {
      const start = at(outage.share, 17 * MINUTE + 3000);
      if (!fits(start, outage.ms)) continue;
      out.push({ at: start, what: "Wi-Fi gone for " + outage.name,
        run: function (emu) { emu.wifi.drop(outage.ms); } });
    }
  }
  if (kinds.indexOf("broker") >= 0) {
    for (const restart of [{ share: 0.1, ms: 20 * MINUTE, kept: true }, { share: 0.27, ms: 3 * HOUR, kept: true },
      { share: 0.57, ms: 15 * MINUTE, kept: false }, { share: 0.74, ms: 2 * HOUR, kept: false }]) {
      const start = at(restart.share, 41 * MINUTE);
      if (!fits(start, restart.ms)) continue;
      const what = "broker down " + restart.ms / MINUTE + " min, restarted " +
        (restart.kept ? "with its persistence" : "with nothing kept");
      out.push({ at: start, what: what, run: function (_emu, broker) { return broker.stop(); } });
      out.push({ at: start + restart.ms, what: "broker back",
        run: async function (_emu, broker, recorder) {
          await (restart.kept ? broker.start() : broker.startEmpty());
          await recorderBack(broker.port, recorder, "han/month-" + o.maker + "/probe");
        } });
    }
  }
  if (kinds.indexOf("reboot") >= 0) {
    const count = Math.max(3, Math.round(50 * o.days / 30));
    for (let i = 0; i < count; i++) {
      const hour = randomInt(rng, 1, o.days * 24 - 2) * HOUR;
      // A fifth in an hour's first second, a fifth while the hourly list is on the line, the rest anywhere.
      const within = i % 5 === 0 ? Math.floor(rng() * 1000) : i % 5 === 1 ? hourlyAtMs + Math.floor(rng() * 1000) :
        Math.floor(rng() * HOUR);
      out.push({ at: hour + within, what: "reboot", run: function (emu) { emu.powerCut("the bench's reboot"); } });
    }
  }
  if (kinds.indexOf("storage-cut") >= 0) {
    // Armed a minute before an hour: the next write to the ring is the hourly value (or its delivered mark).
    const cuts = [{ nth: 1, bytes: 1e9 }, { nth: 2, bytes: 0 }, { nth: 1, bytes: 100 }, { nth: 1, bytes: 1 },
      { nth: 2, bytes: 1e9 }, { nth: 1, bytes: 40 }];
    const count = Math.max(2, Math.round(cuts.length * o.days / 30));
    for (let i = 0; i < count; i++) {
      const c = cuts[i % cuts.length];
      const start = (Math.floor((i + 0.5) * o.days * 24 / count) + 1) * HOUR - MINUTE;
      out.push({ at: start, what: "power cut at Storage write " + c.nth + " to the ring, after " +
        (c.bytes >= 1e9 ? "all" : c.bytes) + " bytes", run: function (emu) { emu.cutPowerAtStorageWrite(c.nth, c.bytes, RING); } });
    }
  }
  if (kinds.indexOf("sntp") >= 0 && fits(at(0.8), DAY)) {
    const start = at(0.8, 23 * MINUTE);
    out.push({ at: start, what: "SNTP out of reach for a day (and a reboot to forget the clock)",
      run: function (emu) {
        sntpDelay(emu, DAY);
        emu.powerCut("the bench's reboot, SNTP away");
      } });
    out.push({ at: start + 7 * HOUR, what: "Wi-Fi gone for 5 min while SNTP is away",
      run: function (emu) { emu.wifi.drop(5 * MINUTE); } });
    out.push({ at: start + DAY, what: "SNTP back", run: function (emu) { sntpDelay(emu, 1000); } });
  }
  return out.sort(function (a, b) { return a.at - b.at; });
}

/** The hourly lists come this long after the hour (scripts/sim/meter.ts: Kamstrup at xx:00:05, the others :10). */
function hourlyListAt(maker: Maker): number {
  return maker === "kamstrup" ? 5000 : 10000;
}

export async function runMonth(o: MonthOptions): Promise<MonthFigures> {
  const real = Date.now();
  const rng = createRng(o.seed);
  const kinds = o.faults || ALL_FAULTS;
  const base = "han/month-" + o.maker;
  const sent: { frame: SentFrame; at: number }[] = [];
  const spoilt = new Set<number>();
  // Two noisy spells, a day each in a month (shorter in a shorter span).
  const spell = Math.min(DAY, o.days * DAY / 8);
  const noisy = kinds.indexOf("noise") >= 0 ? [Math.floor(o.days * DAY * 0.33), Math.floor(o.days * DAY * 0.66)] : [];
  const source = noisyLine(withFaults(meterSource({ maker: o.maker, phases: 3, wires: 4, country: "NO", seed: o.seed,
    startMs: o.startMs, onFrame: function (frame, at) { if (frame.list === 3) sent.push({ frame: frame, at: at }); } })),
  createRng(o.seed + 1), function (at) {
    return noisy.some(function (from) { return at >= from && at < from + spell; });
  }, spoilt);
  const recorder = new Recorder();
  const live = new LiveWatch();
  await recorder.start(o.broker.port, [base + "/energy", base + "/diag", base + "/probe"], recorderQos(o.broker));
  const emu = emulate({
    startMs: o.startMs,
    files: { "han.json": deviceConfig(o.broker.port, "month-" + o.maker),
      "han.serial": JSON.stringify({ baud: 2400, parity: o.maker === "kamstrup" ? "none" : "even" }) },
    source: source,
    serialPollMs: 1000,
    memoryRefreshMs: HOUR,
  }, recorder);
  await live.start(o.broker.port, base + "/power", function () { return o.startMs + emu.clock.now; });
  const faults = plan(o, hourlyListAt(o.maker), rng);
  const log = o.log || function () { /* quiet */ };
  const memory: number[] = [];
  const writes: number[] = [];
  const bytes: number[] = [];
  try {
    let next = 0;
    const end = o.days * DAY;
    // The last hourly list comes a few seconds after the span's end; minutes for it to be published.
    for (let hour = 1; (hour - 1) * HOUR < end + 10 * MINUTE; hour++) {
      const until = Math.min(hour * HOUR, end + 10 * MINUTE);
      while (next < faults.length && faults[next].at < until) {
        await emu.advance(faults[next].at - emu.clock.now, 5000);
        log("  " + iso(o.startMs + emu.clock.now) + " " + faults[next].what);
        await faults[next].run(emu, o.broker, recorder);
        next++;
      }
      await emu.advance(until - emu.clock.now, 5000);
      memory.push(emu.memory().usage);
      if (hour % 24 === 0) {
        writes.push(emu.storage.writes);
        bytes.push(emu.storage.bytesWritten);
      }
    }
    // What the device published last may still be on its way through the broker.
    await recorder.waitFor(function () { return false; }, "nothing", 500).catch(function () { /* settled */ });
  } finally {
    emu.close();
    await recorder.stop();
    await live.stop();
  }
  const diag = recorder.json(base + "/diag");
  const lastDiag = diag.length ? diag[diag.length - 1] : {};
  return judge(o, emu, lastDiag, recorder.on(base + "/energy").filter(function (m) { return !m.retain; })
    .map(function (m) { return JSON.parse(m.payload) as { [key: string]: unknown }; }),
  sent, spoilt, memory, writes, bytes, faults, real, live);
}

function judge(o: MonthOptions, emu: Emulator, diag: { [key: string]: unknown }, got: { [key: string]: unknown }[], sent: { frame: SentFrame; at: number }[],
  spoilt: Set<number>, memory: number[], writes: number[], bytes: number[], faults: Fault[], real: number,
  live: LiveWatch): MonthFigures {
  const line = meterSource({ maker: o.maker, phases: 3, wires: 4, country: "NO", seed: 0, startMs: 0 }).line;
  const msPerByte = line ? bitsPerChar(line) * 1000 / line.baud : 0;
  /** The meter's registers by the hour label it froze them for. */
  const truth: { [label: string]: number } = {};
  const unrounded: { [boundary: number]: number } = {};
  const published: { [boundary: number]: number } = {};
  const expected: string[] = [];
  let corrupted = 0;
  let unpowered = 0;
  for (const s of sent) {
    const label = iso(Math.floor(s.frame.dueAt / HOUR) * HOUR);
    truth[label] = s.frame.input.values.active_energy_import;
    unrounded[Math.floor(s.frame.dueAt / HOUR) * HOUR] = s.frame.input.values.active_energy_import;
    const onLine = s.frame.bytes.length * msPerByte;
    if (spoilt.has(s.at)) {
      corrupted++;
    } else if (emu.resets.some(function (r) { return r.at >= s.at - 2000 && r.at <= s.at + onLine; })) {
      unpowered++;
    } else {
      expected.push(label);
    }
  }
  const labels = Object.keys(truth);
  const count: { [label: string]: number } = {};
  const wrong: string[] = [];
  let decreases = 0;
  let last = -Infinity;
  for (const p of got) {
    const label = String(p.hour_end);
    const value = p.active_energy_import;
    count[label] = (count[label] || 0) + 1;
    if (typeof value !== "number") {
      wrong.push(label + " without active_energy_import");
      continue;
    }
    published[Date.parse(label)] = value;
    // The hour whose register this is: the closest the meter sent.
    let best = labels[0];
    for (const l of labels) if (Math.abs(truth[l] - value) < Math.abs(truth[best] - value)) best = l;
    if (best !== label) wrong.push(label + " carried " + best + "'s register");
    if (value < last) decreases++;
    last = value;
  }
  const firstDay = memory.slice(0, 24);
  const lastDay = memory.slice(-24);
  const perDay = function (totals: number[]): number[] {
    return totals.map(function (t, i) { return t - (i === 0 ? 0 : totals[i - 1]); });
  };
  return {
    maker: o.maker, days: o.days, broker: o.broker.name, expected: expected.length, received: got.length,
    missing: expected.filter(function (l) { return !count[l]; }).map(function (l) {
      // A power cut while the hourly value was being kept (in the hour's first minute) is worth naming.
      const hour = Date.parse(l) - o.startMs;
      return emu.resets.some(function (r) { return r.at >= hour && r.at < hour + MINUTE && r.detail.indexOf("Storage") >= 0; }) ?
        l + " (power cut in its Storage write)" : l;
    }),
    duplicated: Object.keys(count).filter(function (l) { return count[l] > 1; }),
    wrong: wrong, decreases: decreases, corrupted: corrupted, unpowered: unpowered,
    memoryFirstDayMax: Math.max.apply(null, firstDay), memoryLastDayMax: Math.max.apply(null, lastDay),
    memoryTotal: emu.memory().total, flashWritesPerDay: perDay(writes), flashBytesPerDay: perDay(bytes),
    resets: emu.resets.length, mqttReconnects: diag.mqtt_reconnects, energyDropped: diag.energy_dropped, uncaught: emu.console.uncaught.map(String), console: emu.console.text(),
    faults: faults.map(function (f) { return iso(o.startMs + f.at) + " " + f.what; }),
    realSeconds: (Date.now() - real) / 1000,
    live: live.figures(unrounded, published),
  };
}

/** Missing, duplicated, wrong and decreasing values, and uncaught errors: each one a failure. */
export function failures(f: MonthFigures): number {
  return f.missing.length + f.duplicated.length + f.wrong.length + f.decreases + f.uncaught.length;
}

export function printMonth(f: MonthFigures): void {
  const w = f.flashWritesPerDay;
  const list = function (items: string[]): string { return items.length ? " (" + items.slice(0, 8).join(", ") +
    (items.length > 8 ? ", ..." : "") + ")" : ""; };
  console.log(f.maker + ", " + f.days + " days on " + f.broker + " (" + f.realSeconds.toFixed(0) + " s real, " +
    f.resets + " resets; diag: " + String(f.mqttReconnects) + " MQTT reconnects, " + String(f.energyDropped) +
    " hourly values dropped from the ring)");
  console.log("  hourly values expected " + f.expected + " (besides " + f.corrupted + " lists spoilt on the line, " +
    f.unpowered + " sent while the device rebooted)");
  console.log("  received " + f.received + ", missing " + f.missing.length + list(f.missing) + ", duplicated labels " +
    f.duplicated.length + list(f.duplicated) + ", wrong labels " + f.wrong.length + list(f.wrong) + ", decreases " +
    f.decreases);
  console.log("  memory estimate max: first day " + f.memoryFirstDayMax + ", last day " + f.memoryLastDayMax + " of " +
    f.memoryTotal + " variables");
  console.log("  flash writes per day: min " + Math.min.apply(null, w) + ", max " + Math.max.apply(null, w) + ", mean " +
    (w.reduce(function (a, b) { return a + b; }, 0) / Math.max(1, w.length)).toFixed(1) + "; bytes per day max " +
    Math.max.apply(null, f.flashBytesPerDay));
  const l = f.live;
  console.log("  live import register: " + (100 * l.shareUp).toFixed(2) + " % of each hour's energy booked to its hour " +
    "over the " + l.hoursUp + " hours the device was up (" + (100 * l.share).toFixed(2) + " % over all " + l.hours +
    " hours, outages included); at most " + l.ahead.toFixed(0) + " Wh above the next meter register, at the hour's end " +
    "at most " + l.behind.toFixed(0) + " Wh below it; " + l.decreases + " decreases");
  if (f.uncaught.length) console.log("  uncaught: " + f.uncaught.slice(0, 5).join(" | "));
}

const USAGE = `usage: npm run bench:month -- [--days N] [--maker M] [--faults F,...] [--broker B] [--seed N] [--start ISO] [-v]
  A simulated month per maker on the emulated ESP32 against a real broker (mosquitto where installed, else aedes)
  with faults injected on a fixed seed: Wi-Fi gone for 10 min, 6 h and 2 days; broker restarts with and without
  persistence; 50 reboots at random moments (a fifth in an hour's first second, a fifth while the hourly list is
  on the line); power cuts during Storage writes to the ring of kept hourly values; 1 % of bytes corrupted on the
  line on two days; SNTP out of reach for a day. The default span, from 2026-10-10, takes in the October DST change.
  Prints per maker the hourly values expected (from the simulated meter's record), received, missing, duplicated
  labels, wrong labels, decreases, the memory estimate, the flash writes per day, and what Home Assistant books
  from the live import register (share of each hour's energy booked into its hour, its largest gaps to the meter's
  registers); exits 1 if any count is not 0.
  --days N      simulated days per maker (default 30)
  --maker M     one maker only
  --faults F,.. only these: ${ALL_FAULTS.join(", ")} (default all; "none" for none)
  --broker B    mosquitto or aedes (default mosquitto where installed). While the device awaits a broker's answer
                the emulated clock holds still, as a LAN's round trip of a millisecond would; aedes runs in-process.
  --seed N      the faults' and the meter's seed (default 2026)
  --start ISO   UTC start (default 2026-10-10T00:00:00Z)
  -v            name each fault as it is injected`;

function positive(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError("--" + name + " must be a whole number of 1 or more, not " +
    JSON.stringify(text));
  return n;
}

export async function benchMonth(argv: string[]): Promise<number> {
  const parsed = parseCommandLine({ args: argv, options: { days: { type: "string" }, maker: { type: "string" },
    seed: { type: "string" }, start: { type: "string" }, faults: { type: "string" }, broker: { type: "string" },
    v: { type: "boolean" } } }, USAGE);
  if (!parsed) return 0;
  const v = parsed.values;
  const makers = v.maker === undefined ? MAKERS : MAKERS.filter(function (m) { return m === v.maker; });
  if (makers.length === 0) throw new UsageError("--maker must be one of " + MAKERS.join(", ") + ", not " +
    JSON.stringify(v.maker));
  const startMs = v.start === undefined ? DEFAULT_START : Date.parse(v.start);
  if (isNaN(startMs)) throw new UsageError("--start must be an ISO date-time such as 2026-03-20T00:00:00Z, not " +
    JSON.stringify(v.start));
  const days = positive(v.days, "days", 30);
  const seed = positive(v.seed, "seed", 2026);
  const faults = v.faults === undefined ? ALL_FAULTS : v.faults === "none" ? [] : v.faults.split(",");
  for (const f of faults) {
    if (ALL_FAULTS.indexOf(f as FaultKind) < 0) throw new UsageError("--faults takes " + ALL_FAULTS.join(", ") +
      " or none, not " + JSON.stringify(f));
  }
  if (v.broker !== undefined && v.broker !== "mosquitto" && v.broker !== "aedes") {
    throw new UsageError("--broker must be mosquitto or aedes, not " + JSON.stringify(v.broker));
  }
  const missing = v.broker === "aedes" ? "--broker aedes" : mosquittoMissing();
  if (v.broker === "mosquitto" && missing) throw new UsageError("--broker mosquitto: " + missing);
  console.log("\nA simulated month per maker (from " + iso(startMs) + ", " + days + " days, seed " + seed + ", faults: " +
    (faults.join(", ") || "none") + ")" + (missing ? "; mosquitto not used: " + missing : ""));
  let bad = 0;
  for (const maker of makers) {
    const broker = missing ? await startAedes() : await startMosquitto();
    try {
      const figures = await runMonth({ maker: maker, days: days, seed: seed, startMs: startMs, broker: broker,
        faults: faults as FaultKind[],
        log: v.v ? function (text) { console.log(text); } : undefined });
      printMonth(figures);
      bad += failures(figures);
    } finally {
      await broker.dispose();
    }
  }
  return bad === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runCli("bench:month", function () { return benchMonth(process.argv.slice(2)); }, USAGE);
}
