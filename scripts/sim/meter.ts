// A simulated meter: a household's daily load (night base load, morning and evening peaks, appliances switching,
// seeded noise, optionally a solar plant), voltages around 230 V, energy registers integrating the power, and the
// lists its maker pushes at the maker's cadence (han-spec.md 1.7). Time comes from the caller: advanceTo(ms)
// returns the frames sent up to that instant. The same options and seed give the same bytes however the time is
// advanced.
import { createRng, gaussian, Rng } from "./random";
import { encodeFrame, encodeApdu, makerClock, valueFormat, listObjects, defaultMeterType, ListId, ListInput, ListSpec, Maker } from
  "./layouts";
import { civilTime, cetOffsetMinutes } from "./wallclock";
import { encodeSecured, securedApdu, MeterSecurity } from "./secure-writer";
import { mbusTelegram } from "./mbus-writer";
import type { LoadProfile } from "./load-profile";
import { obisMeaning } from "../../lib/obis";
import { T_INT16 } from "../../lib/dlms/axdr";
import { P1Writer, P1Version, P1Expected, smartyFrame } from "./p1-writer";

export interface MeterOptions {
  maker: Maker;
  phases: 1 | 3;
  wires: 3 | 4;
  country: string;
  /** "nve" (default): NVE lists 1-3 (Kamstrup: its 10-s and hourly lists); "se": the Swedish list (Aidon, Kaifa);
   *  "dk": Kamstrup's Danish list. The generic Austrian meter has one list whatever this says. */
  lists?: "nve" | "se" | "dk";
  seed: number;
  /** UTC milliseconds at which the simulation starts; the first frames are those due at or after it. */
  startMs: number;
  meterId?: string;
  meterType?: string;
  /** Mean night-time load in W (default 300). */
  baseLoadW?: number;
  /** Peak output of a solar plant behind the meter in W (default 0); beyond the load it is exported. */
  solarPeakW?: number;
  /** Lists sent ciphered, with a frame counter from 1 up: in HDLC frames (and in block transfer with blockSize),
   *  or, with framing "mbus", the ciphered APDU in M-Bus segments as the Kaifa MA309 sends it (no block transfer). */
  security?: MeterSecurity;
  /** What the household adds (scripts/sim/load-profile.ts): a car charging, voltage disturbances. */
  profile?: LoadProfile;
  /** "hdlc" (default): the maker's lists. "p1": DSMR P1 telegrams of the same household instead, every second
   *  (DSMR 5) or 10 s (4.2, 2.2, and Smarty's encrypted 5.0), with a gas and a water meter behind the meter
   *  (scripts/sim/p1-writer.ts). */
  framing?: "hdlc" | "mbus" | "p1";
  /** M-Bus only: the line's speed, 2400 (default) or 9600 baud, 8E1 (scripts/sim/mbus-writer.ts). */
  mbusBaud?: number;
  /** P1 only: the DSMR version (default "5.0"). */
  p1Version?: P1Version;
  /** P1 only: encrypt each telegram as Luxembourg's Smarty meters do, with this 16-byte key, every 10 s as they
   *  send (DSMR 5 asks every second of plain P1 only). */
  p1Key?: Uint8Array;
}

export interface SentFrame {
  /** UTC ms at which the frame's first byte goes on the wire. */
  sentAt: number;
  /** UTC ms at which the meter's timer fired; sentAt is later only while an earlier frame still holds the line. */
  dueAt: number;
  list: ListId;
  /** What was encoded: pass it to expectedReading() for what a decoder must report. */
  input: ListInput;
  bytes: Uint8Array;
  /** P1 only: what a decoder must report for the telegram (`input` then holds the values it was written from). */
  p1?: P1Expected;
}

interface Timer {
  list: ListId;
  everyMs: number;
  atMs: number;
}

interface Schedule {
  timers: Timer[];
  /** The hourly list: sent atMs after each full hour, in place of `replaces` when that is due at the same time. */
  hourly: { list: ListId; atMs: number; replaces: ListId | null } | null;
  /** Bits on the wire per byte: 11 for 8E1, 10 for 8N1; all these meters send at 2400 baud. */
  bitsPerByte: number;
  /** The line's speed where it is not 2400 baud (P1). */
  baud?: number;
}

const HOUR_MS = 3600000;
const BAUD = 2400;

function scheduleOf(o: MeterOptions): Schedule {
  const lists = o.lists || "nve";
  // Kamstrup sends 8N1, the others 8E1.
  const bits = o.maker === "kamstrup" ? 10 : 11;
  const every10s = function (list: ListId, atMs: number): Timer { return { list, everyMs: 10000, atMs }; };
  if (o.framing === "p1") {
    // DSMR 5: 115200 8N1, a telegram every second, but Smarty every 10 s; DSMR 4.2 the same speed every 10 s;
    // DSMR 2.2 9600 7E1.
    const version = o.p1Version || "5.0";
    const everyMs = version === "5.0" && !o.p1Key ? 1000 : 10000;
    return { timers: [{ list: 3, everyMs, atMs: 0 }], hourly: null, bitsPerByte: 10,
      baud: version === "2.2" ? 9600 : 115200 };
  }
  // The maker's lists at its cadence, each APDU in M-Bus frames on an 8E1 line.
  if (o.framing === "mbus") {
    return Object.assign(scheduleOf(Object.assign({}, o, { framing: "hdlc" })), { bitsPerByte: 11, baud: o.mbusBaud || BAUD });
  }
  // Austrian meters (EVN) push one list every 5 s.
  if (o.maker === "generic") return { timers: [{ list: 3, everyMs: 5000, atMs: 0 }], hourly: null, bitsPerByte: bits };
  // Swedish Kaifa captures carry clocks at hh:mm:x5.
  if (lists === "se") return { timers: [every10s("se", o.maker === "kaifa" ? 5000 : 0)], hourly: null, bitsPerByte: bits };
  if (lists === "dk") return { timers: [every10s("dk", 0)], hourly: null, bitsPerByte: bits };
  if (o.maker === "kamstrup") {
    // Kamstrup's interface description puts the hourly list at xx:00:05, clear of the 10-s list.
    return { timers: [every10s(2, 0)], hourly: { list: 3, atMs: 5000, replaces: null }, bitsPerByte: bits };
  }
  const list1 = { list: 1 as ListId, everyMs: o.maker === "kaifa" ? 2000 : 2500, atMs: 0 };
  return { timers: [list1, every10s(2, 0)], hourly: { list: 3, atMs: 10000, replaces: 2 }, bitsPerByte: bits };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The simulation steps at the coarsest interval that still lands on every timer. */
function tickOf(s: Schedule): number {
  let t = HOUR_MS;
  s.timers.forEach((timer) => { t = gcd(gcd(t, timer.everyMs), timer.atMs); });
  return s.hourly ? gcd(t, s.hourly.atMs) : t;
}

/** The key (lib/obis.ts) of a measured object "C.D.E". */
function key(cde: string): string {
  const m = obisMeaning("1-0:" + cde + ".255");
  if (!m) throw new Error("no key for " + cde);
  return m.key;
}

/** Keys of a per-phase object for L1, L2, L3, from its L1 code (21.7.0 -> 41.7.0, 61.7.0). */
function phaseKeys(cde: string): string[] {
  const parts = cde.split(".");
  return [0, 1, 2].map((n) => { return key((parseInt(parts[0], 10) + 20 * n) + "." + parts[1] + "." + parts[2]); });
}

const P_IMPORT = key("1.7.0"), P_EXPORT = key("2.7.0"), Q_IMPORT = key("3.7.0"), Q_EXPORT = key("4.7.0");
const PF = key("13.7.0");
const A_IMPORT = key("1.8.0"), A_EXPORT = key("2.8.0"), R_IMPORT = key("3.8.0"), R_EXPORT = key("4.8.0");
const PHASE_P_IMPORT = phaseKeys("21.7.0"), PHASE_P_EXPORT = phaseKeys("22.7.0");
const PHASE_Q_IMPORT = phaseKeys("23.7.0"), PHASE_Q_EXPORT = phaseKeys("24.7.0");
const PHASE_CURRENT = phaseKeys("31.7.0"), PHASE_VOLTAGE = phaseKeys("32.7.0"), PHASE_PF = phaseKeys("33.7.0");
const PHASE_A_IMPORT = phaseKeys("21.8.0"), PHASE_A_EXPORT = phaseKeys("22.8.0");

function bell(h: number, centre: number, width: number): number {
  const d = (h - centre) / width;
  return Math.exp(-0.5 * d * d);
}

export class MeterSimulator {
  private o: MeterOptions;
  private spec: ListSpec;
  private schedule: Schedule;
  private tick: number;
  private rng: Rng;
  /** Next simulation step, UTC ms. */
  private next: number;
  /** When the physical state was last brought up to date. */
  private stateAt: number;
  private lineFreeAt: number;
  private pending: SentFrame[];
  private invokeId: number;
  private frameCounter = 0;
  /** P1 only: the telegram writer, which keeps the registers per tariff. */
  private p1: P1Writer | null = null;
  /** Slowly varying relative load noise (an Ornstein-Uhlenbeck process). */
  private noise: number;
  /** An appliance running: its power, phase and end time. */
  private burst: { w: number; phase: number; until: number } | null;
  /** Each phase's share of the household load, fixed per seed. */
  private shares: number[];
  private voltageOffsets: number[];
  /** Instantaneous values and energy registers (unrounded), by key. */
  private values: { [key: string]: number };
  /** Energy registers frozen at the last full hour, for the hourly list. */
  private frozen: { [key: string]: number };
  private signedCurrent: boolean;
  private listKeys: { [list: string]: string[] };

  constructor(options: MeterOptions) {
    if (options.framing === "mbus" && options.security && options.security.blockSize) {
      throw new Error("security.blockSize: block transfer goes in HDLC frames only; leave it out with framing mbus");
    }
    if (options.mbusBaud !== undefined && options.mbusBaud !== 2400 && options.mbusBaud !== 9600) {
      throw new Error("mbusBaud must be 2400 or 9600, got " + options.mbusBaud);
    }
    this.o = options;
    const self = this;
    this.schedule = scheduleOf(options);
    const sched = this.schedule;
    // The fullest list stands for the meter where one is needed (its formats, its default type).
    this.spec = { maker: options.maker, phases: options.phases, wires: options.wires, country: options.country,
      list: sched.hourly !== null ? sched.hourly.list : sched.timers[sched.timers.length - 1].list,
      meterType: options.meterType };
    if (this.spec.meterType === undefined) this.spec.meterType = defaultMeterType(this.spec);
    // Throws here rather than at the first frame when the maker does not send these lists.
    sched.timers.forEach((timer) => { valueFormat(self.specFor(timer.list), "1.7.0"); });
    this.tick = tickOf(this.schedule);
    this.rng = createRng(options.seed);
    this.next = Math.ceil(options.startMs / this.tick) * this.tick;
    this.stateAt = options.startMs;
    this.lineFreeAt = options.startMs;
    this.pending = [];
    this.listKeys = {};
    this.invokeId = Math.floor(this.rng() * 0x10000000) + 0x80000000;
    this.noise = 0;
    this.burst = null;
    const r = this.rng;
    this.shares = options.phases === 1 ? [1] : [0.3 + 0.2 * r(), 0.25 + 0.15 * r(), 0.2 + 0.1 * r()];
    const sum = this.shares.reduce((a, b) => { return a + b; }, 0);
    this.shares = this.shares.map((s) => { return s / sum; });
    this.voltageOffsets = [3 * r() - 1.5, 3 * r() - 1.5, 3 * r() - 1.5];
    this.signedCurrent = valueFormat(this.spec, "31.7.0").format.tag === T_INT16;
    this.values = {};
    const solar = (options.solarPeakW || 0) > 0;
    this.values[A_IMPORT] = 2e6 + r() * 5e7;
    this.values[A_EXPORT] = solar ? r() * 5e6 : 0;
    this.values[R_IMPORT] = 1e5 + r() * 5e6;
    this.values[R_EXPORT] = 1e5 + r() * 2e6;
    for (let k = 1; k <= options.phases; k++) {
      this.values[PHASE_A_IMPORT[k - 1]] = this.values[A_IMPORT] * this.shares[k - 1];
      this.values[PHASE_A_EXPORT[k - 1]] = this.values[A_EXPORT] / options.phases;
    }
    this.updatePowers(options.startMs, 0);
    this.frozen = this.energies();
  }

  /** Frames sent up to and including `ms`, in order; frames still waiting for the line come in a later call. */
  advanceTo(ms: number): SentFrame[] {
    while (this.next <= ms) {
      this.step(this.next);
      this.next += this.tick;
    }
    let n = 0;
    while (n < this.pending.length && this.pending[n].sentAt <= ms) n++;
    return this.pending.splice(0, n);
  }

  private specFor(list: ListId): ListSpec {
    return { maker: this.spec.maker, phases: this.spec.phases, wires: this.spec.wires, country: this.spec.country,
      list, meterType: this.spec.meterType };
  }

  /** The keys a list carries, so that each frame copies only its own values. */
  private keysOf(list: ListId): string[] {
    const id = "" + list;
    let keys = this.listKeys[id];
    if (keys === undefined) {
      const spec = this.specFor(list);
      keys = listObjects(spec).map((cde) => { return valueFormat(spec, cde).key; });
      this.listKeys[id] = keys;
    }
    return keys;
  }

  private energies(): { [key: string]: number } {
    const out: { [key: string]: number } = {};
    const v = this.values;
    Object.keys(v).forEach((k) => { if (k.indexOf("_energy_") > 0) out[k] = v[k]; });
    return out;
  }

  private step(t: number): void {
    this.advanceState(t);
    if (t % HOUR_MS === 0) this.frozen = this.energies();
    const s = this.schedule;
    const inHour = t % HOUR_MS;
    const hourlyNow = s.hourly !== null && inHour === s.hourly.atMs;
    // Lists due together go out back to back, list 1 first: the vendor sheets do not say whether list 1 yields to
    // list 2 when both fall due (every 10 s for Aidon and Kaifa), so both are sent.
    for (let i = 0; i < s.timers.length; i++) {
      const timer = s.timers[i];
      if ((t - timer.atMs) % timer.everyMs !== 0) continue;
      if (hourlyNow && s.hourly !== null && s.hourly.replaces === timer.list) continue;
      this.send(t, timer.list, false);
    }
    if (hourlyNow && s.hourly !== null) this.send(t, s.hourly.list, true);
  }

  private send(t: number, list: ListId, hourly: boolean): void {
    const spec = this.specFor(list);
    const values: { [key: string]: number } = {};
    const keys = this.keysOf(list);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      values[k] = hourly && this.frozen[k] !== undefined ? this.frozen[k] : this.values[k];
    }
    // Aidon's hourly clock register reads the hour its values were frozen at; the others read the send time.
    const clockAt = hourly && (spec.maker === "aidon" || spec.maker === "embriq") ? t - (t % HOUR_MS) : t;
    const input: ListInput = {
      maker: spec.maker, phases: spec.phases, wires: spec.wires, list, country: spec.country,
      meterType: spec.meterType, meterId: this.o.meterId || this.defaultId(), clock: makerClock(spec, clockAt),
      values,
    };
    if (spec.maker === "generic") {
      input.invokeId = this.invokeId;
      this.invokeId = (this.invokeId + 1) % 4294967296;
    }
    let bytes: Uint8Array;
    let p1: P1Expected | undefined;
    if (this.o.framing === "p1") {
      input.values = Object.assign({}, this.values);
      const telegram = this.p1Telegram(t);
      bytes = telegram.bytes;
      p1 = telegram.expected;
    } else if (this.o.framing === "mbus") {
      bytes = mbusTelegram(this.o.security ? securedApdu(input, this.o.security, ++this.frameCounter) : encodeApdu(input));
    } else {
      bytes = this.o.security ? encodeSecured(input, this.o.security, ++this.frameCounter) : encodeFrame(input);
    }
    const sentAt = Math.max(t, this.lineFreeAt);
    this.lineFreeAt = sentAt + Math.ceil(bytes.length * this.schedule.bitsPerByte * 1000 / (this.schedule.baud || BAUD));
    this.pending.push({ sentAt, dueAt: t, list, input, bytes, p1 });
  }

  /** The P1 telegram at t, with a gas and a water meter that report every 5 minutes (DSMR 5; hourly before). */
  private p1Telegram(t: number): { bytes: Uint8Array; expected: P1Expected } {
    const version = this.o.p1Version || "5.0";
    if (!this.p1) this.p1 = new P1Writer({ version, phases: this.o.phases, meterId: "E" + this.defaultId() });
    const every = version === "5.0" ? 300000 : HOUR_MS;
    const at = t - t % every;
    const hours = Math.max(0, at - this.o.startMs) / HOUR_MS;
    const seed = this.o.seed >>> 0;
    const telegram = this.p1.telegram(t, this.values, [
      { channel: 1, type: 3, id: "G" + (seed % 100000000), value: 1000 + seed % 5000 + 0.071 * hours, capturedAt: at },
      { channel: 2, type: 7, id: "W" + (seed % 100000000), value: 200 + seed % 300 + 0.013 * hours, capturedAt: at },
    ]);
    if (!this.o.p1Key) return telegram;
    const title = new Uint8Array([0x53, 0x41, 0x47, 0x67, 0x70, seed >> 16 & 255, seed >> 8 & 255, seed & 255]);
    return { bytes: smartyFrame(telegram.bytes, { key: this.o.p1Key, systemTitle: title,
      frameCounter: ++this.frameCounter }), expected: telegram.expected };
  }

  private defaultId(): string {
    const maker = this.o.maker;
    const base = "" + (1000000000 + (this.o.seed >>> 0) % 1000000000);
    if (maker === "embriq") return base.substr(2, 8);
    if (this.spec.list === "dk") return base.substr(1);
    return maker === "generic" ? "18" + base.substr(0, 10) : "73599928" + base.substr(2);
  }

  /** Integrates the energy registers over [stateAt, t] at the powers of stateAt, then moves the powers to t. */
  private advanceState(t: number): void {
    const dt = t - this.stateAt;
    if (dt <= 0) return;
    const hours = dt / HOUR_MS;
    const v = this.values;
    v[A_IMPORT] += v[P_IMPORT] * hours;
    v[A_EXPORT] += v[P_EXPORT] * hours;
    v[R_IMPORT] += v[Q_IMPORT] * hours;
    v[R_EXPORT] += v[Q_EXPORT] * hours;
    for (let k = 1; k <= this.o.phases; k++) {
      v[PHASE_A_IMPORT[k - 1]] += v[PHASE_P_IMPORT[k - 1]] * hours;
      v[PHASE_A_EXPORT[k - 1]] += v[PHASE_P_EXPORT[k - 1]] * hours;
    }
    this.stateAt = t;
    this.updatePowers(t, dt);
  }

  /** Household demand at local time t, in W, before appliances and noise. */
  private demand(h: number): number {
    const base = this.o.baseLoadW !== undefined ? this.o.baseLoadW : 300;
    return base * (1 + 4 * bell(h, 7.25, 0.8) + 1.5 * bell(h, 13, 3) + 6 * bell(h, 18.5, 1.6) + 2 * bell(h, 21.5, 1.2));
  }

  private updatePowers(t: number, dt: number): void {
    const r = this.rng;
    const local = civilTime(t, cetOffsetMinutes(t));
    const h = local.hour + local.minute / 60 + local.second / 3600;
    const a = Math.exp(-dt / 120000);
    this.noise = this.noise * a + 0.15 * Math.sqrt(1 - a * a) * gaussian(r);
    // Appliances (kettle, oven, washing machine) start at random, more often by day.
    if (this.burst !== null && this.burst.until <= t) this.burst = null;
    const perHour = h >= 6 && h < 23 ? 1.5 : 0.2;
    if (this.burst === null && r() < perHour * dt / HOUR_MS) {
      this.burst = { w: 1200 + 1800 * r(), phase: 1 + Math.floor(r() * this.o.phases), until: t + 60000 * (2 + 13 * r()) };
    }
    const load = Math.max(50, this.demand(h) * (1 + this.noise));
    const solarPeak = this.o.solarPeakW || 0;
    const sun = h > 6 && h < 20 ? Math.pow(Math.sin(Math.PI * (h - 6) / 14), 1.5) : 0;
    const solar = solarPeak * sun * (0.85 + 0.15 * Math.cos(this.noise * 7));
    const v = this.values;
    let pTotal = 0, qTotal = 0, sTotal = 0;
    for (let k = 1; k <= this.o.phases; k++) {
      const phaseLoad = load * this.shares[k - 1] + (this.burst !== null && this.burst.phase === k ? this.burst.w : 0) +
        (this.o.profile ? this.o.profile.extraW(t) / this.o.phases : 0);
      const p = phaseLoad - solar / this.o.phases;
      // Motors and transformers draw inductive reactive power; electronics at low load a little capacitive.
      const q = 0.28 * phaseLoad - 40;
      const u = 230 + 3 * Math.sin(2 * Math.PI * (h - 4) / 24) + this.voltageOffsets[k - 1] - 0.0009 * p +
        0.4 * gaussian(r) + (this.o.profile ? this.o.profile.voltageOffset(t, k) : 0);
      const s = Math.sqrt(p * p + q * q);
      const i = s / u;
      v[PHASE_P_IMPORT[k - 1]] = Math.max(0, p);
      v[PHASE_P_EXPORT[k - 1]] = Math.max(0, -p);
      v[PHASE_Q_IMPORT[k - 1]] = Math.max(0, q);
      v[PHASE_Q_EXPORT[k - 1]] = Math.max(0, -q);
      v[PHASE_VOLTAGE[k - 1]] = u;
      // Aidon signs the current with the direction of the active power (a prosumer capture shows -5.1 A).
      v[PHASE_CURRENT[k - 1]] = this.signedCurrent && p < 0 ? -i : i;
      v[PHASE_PF[k - 1]] = s > 0 ? Math.abs(p) / s : 1;
      pTotal += p;
      qTotal += q;
      sTotal += s;
    }
    v[P_IMPORT] = Math.max(0, pTotal);
    v[P_EXPORT] = Math.max(0, -pTotal);
    v[Q_IMPORT] = Math.max(0, qTotal);
    v[Q_EXPORT] = Math.max(0, -qTotal);
    v[PF] = sTotal > 0 ? Math.abs(pTotal) / sTotal : 1;
  }
}
