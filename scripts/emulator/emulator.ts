// An ESP32 running Espruino, for the firmware bundle: a Node vm context trimmed to Espruino's intrinsics
// (../espruino/context.ts) with Espruino's globals and modules built on real things. The timeline is virtual
// (./clock.ts); the drivers move it as fast as possible (advance) or with the real clock (runRealtime), and
// yield to Node's event loop between slices so that socket traffic flows.
//
// The event loop follows Espruino's idle loop (src/jsinteractive.c): serial data first, then due timers, then
// everything else (network, Wi-Fi, error flags). Every firmware callback goes through invoke(): an exception is
// printed as "Uncaught ..." and the loop carries on, and a callback that runs longer than the watchdog allows in
// real time resets the device.
import vm from "node:vm";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createEspruinoContext, globalOf } from "../espruino/context";
import { VirtualClock } from "./clock";
import { ConsoleDevices } from "./console-devices";
import { ConsoleLog, formatPrinted } from "./console-log";
import { cryptoModule } from "./crypto";
import { EspruinoE } from "./espruino-e";
import { Host, Listeners } from "./host";
import { loud } from "./loud";
import { MemoryMeter } from "./memory";
import { Network } from "./net";
import type { Evaluation } from "./repl";
import { Flash } from "./storage";
import { ByteSource, gpioFatal, settingsFromSetup, Uart, uartPins } from "./uart";
import { installVirtualDate } from "./virtual-date";
import { WifiOptions, WifiRadio } from "./wifi";

/** Bytes a Serial holds for read() when nothing listens for 'data' (STREAM_MAX_BUFFER_SIZE, src/jswrap_stream.h). */
const SERIAL_BUFFER = 512;

export interface EmulatorOptions {
  /** The firmware: bundle source, or a bundle file. It is written to Storage as ".bootcde", which the device
   *  boots (and load() reloads). Without either, the device boots what Storage already holds. */
  code?: string;
  bundle?: string;
  /** JSON file backing Storage; memory only when absent. */
  storage?: string;
  /** Files put into Storage before booting (e.g. "han.json"). */
  files?: { [name: string]: string };
  /** What the meter sends on the HAN line. */
  source?: ByteSource;
  /** The UART driver's poll period in ms (5 on the ESP32); longer makes fast-forward cheaper. */
  serialPollMs?: number;
  wifi?: WifiOptions;
  /** UTC ms of the real world when the emulator starts: what SNTP sets the clock to. Default 2024-01-15 00:00Z. */
  startMs?: number;
  /** process.memory().total. Default 12000 variables. */
  memoryTotal?: number;
  /** The firmware's process.memory() reuses an estimate younger than this (virtual ms). Default 600000. */
  memoryRefreshMs?: number;
  /** getSerial(): the station MAC as Espruino prints it. */
  serial?: string;
  seed?: number;
  /** Console lines and the emulator's notes also go to stderr. */
  verbose?: boolean;
  /** The real clock, in ms, that the watchdog measures callbacks with. Default performance.now. */
  realNow?: () => number;
  /** Extra globals, for tests that need a hook inside the context. */
  globals?: { [name: string]: unknown };
}

export interface ResetReport {
  /** Virtual ms. */
  at: number;
  reason: "watchdog" | "power" | "load" | "reset";
  detail: string;
}

export interface MemoryFigures {
  free: number;
  usage: number;
  total: number;
  history: number;
  gc: number;
  gctime: number;
  blocksize: number;
}

export interface CallbackStats {
  count: number;
  totalMs: number;
  maxMs: number;
}

export interface RealtimeRun {
  stop(): void;
  /** Settles when stopped, or when `untilMs` (virtual) is reached. */
  done: Promise<void>;
}

/** Globals Espruino has on the ESP32 that the emulator does not provide: reading one is a loud error. */
const NOT_EMULATED_GLOBALS = ["Serial3", "Telnet", "SPI1", "SPI2", "I2C1",
  "I2C2", "ESP32", "Pin", "Serial", "SPI", "I2C", "OneWire", "Waveform", "Flash", "Modules", "digitalRead",
  "digitalPulse", "analogRead", "analogWrite", "pinMode", "getPinMode", "setWatch", "clearWatch",
  "changeInterval", "setDeepSleep", "setSleepIndicator", "setBusyIndicator", "setTime", "save", "dump", "edit",
  "echo", "trace", "peek8", "peek16", "peek32", "poke8", "poke16", "poke32", "LED1", "BTN1", "HIGH", "LOW"]
  .concat(Array.from({ length: 40 }, function (_, i) { return "D" + i; }));

/** Built-in modules of the ESP32 build that the emulator does not provide. */
const MODULES_NOT_EMULATED = ["http", "dgram", "ESP32", "Flash", "neopixel", "fs", "heatshrink",
  "NetworkJS", "Graphics"];

const DEFAULT_START = Date.UTC(2024, 0, 15, 0, 0, 0);
/** Slices after socket activity during which the timeline moves in steps rather than jumping to the next event,
 *  so that replies come back at a plausible virtual time. */
const BUSY_SLICES = 4;
/** Event loop turns without socket news before a busy network counts as settled, and the most turns per slice. */
const QUIET_TURNS = 3;
const SETTLE_TURNS = 12;

type Pending = { kind: "load"; file: string } | { kind: "reset" } | { kind: "watchdog" | "power"; detail: string };

export class Emulator {
  readonly clock = new VirtualClock();
  readonly console: ConsoleLog;
  readonly storage: Flash;
  readonly wifi: WifiRadio;
  readonly net: Network;
  readonly serial: Uart;
  /** Serial1 (the USB console) and the loopback pair; where the REPL is. */
  readonly consoles: ConsoleDevices;
  /** Output pins the firmware drove with digitalWrite (the LED), by pin number. */
  readonly pins: { [pin: number]: boolean } = {};
  readonly resets: ResetReport[] = [];
  /** What the emulator tells the person running it about the emulated world (why Wi-Fi does not connect, ...):
   *  not on the device's console, where host tools would read it as the firmware's. */
  readonly notes: string[] = [];
  /** Firmware callbacks by where they came from, in real ms: serial data, timers, everything else. */
  readonly callbacks: { serial: CallbackStats; timer: CallbackStats; event: CallbackStats };
  /** The boot's E state: console lock, telnet, watchdog. */
  e: EspruinoE;
  readonly startMs: number;
  private readonly o: EmulatorOptions;
  private readonly realNow: () => number;
  private readonly host: Host;
  private realm: Record<string, unknown> = {};
  private context: vm.Context | null = null;
  private serialListeners = new Listeners();
  /** What Serial2 received while it had no 'data' listener, for Serial2.read() (src/jswrap_stream.c). */
  private serialBuffer = "";
  private serialObject: object = {};
  private bootAt = 0;
  /** Wall time = virtual time + offset once SNTP has set it; time since boot before. */
  private wallOffset: number | null = null;
  private pending: Pending | null = null;
  private depth = 0;
  private meter: MemoryMeter | null = null;
  /** Built-in modules the firmware has required, and what Serial2.setup() keeps: for the memory estimate. */
  private requiredModules: { [name: string]: object } = {};
  private serialSetup: { baud: unknown; options: unknown } | null = null;
  /** The realm's JSON, taken before the memory estimate watches the firmware's first use of it. */
  private realmJSON: JSON = JSON;
  private memoryCache: { at: number; figures: MemoryFigures } | null = null;
  private realtime: { stop: () => void } | null = null;

  constructor(options: EmulatorOptions) {
    this.o = options;
    this.startMs = options.startMs === undefined ? DEFAULT_START : options.startMs;
    this.realNow = options.realNow || function () { return performance.now(); };
    const self = this;
    this.console = new ConsoleLog(!!options.verbose, function () { return (self.clock.now / 1000).toFixed(3); });
    this.callbacks = { serial: zeroStats(), timer: zeroStats(), event: zeroStats() };
    this.consoles = new ConsoleDevices(function (code) { return self.evaluate(code); });
    this.host = {
      clock: this.clock,
      boot: 0,
      call: function (fn, thisArg, args) { self.invoke(fn, thisArg, args, "event"); },
      error: function (message) { return self.error(message); },
      data: function (value) { return self.toRealm(value); },
      loud: function (label, target) { return loud(label, target, function (m) { return self.error(m); }); },
    };
    const files: { [name: string]: string } = Object.assign({}, options.files);
    const code = options.code !== undefined ? options.code :
      options.bundle !== undefined ? readFileSync(options.bundle, "latin1") : undefined;
    if (code !== undefined) files[".bootcde"] = code;
    this.storage = new Flash(options.storage || null, files);
    this.net = new Network(function () { return self.wifi.state.associated; });
    this.wifi = new WifiRadio(options.wifi, function () { self.net.killAll(); },
      function () { self.wallOffset = self.startMs; }, function (text) { self.note(text); });
    const source = options.source || null;
    if (source && source.attach) source.attach(function () { return self.clock.now; });
    this.serial = new Uart(source, options.serialPollMs || 5, options.seed || 1);
    this.e = this.newE();
    this.boot(".bootcde");
  }

  // ---- time -----------------------------------------------------------------------------------------------

  /** The device's wall clock in ms: since boot until SNTP sets it, then UTC. */
  wallMs(): number {
    return this.wallOffset === null ? this.clock.now - this.bootAt : this.clock.now + this.wallOffset;
  }

  /** Runs the timeline `ms` forward as fast as possible. A slice of the timeline ends when the firmware touches
   *  the network, or after `stepMs` of virtual time; between slices Node's event loop turns, until the sockets
   *  have gone quiet if they were busy, so that a broker's replies come back at (nearly) the virtual instant they
   *  were asked for, as on a LAN. While nothing happens on the network the timeline jumps from one firmware event
   *  to the next. */
  async advance(ms: number, stepMs?: number): Promise<void> {
    await this.advanceTo(this.clock.now + ms, stepMs || 100, always);
  }

  /** advance() to virtual time `end`, slice by slice while `going()` holds. */
  private async advanceTo(end: number, step: number, going: () => boolean): Promise<void> {
    const stats = this.net.stats;
    let busy = 0;
    while (this.clock.now < end && going()) {
      if (this.net.awaitingAnswer()) {
        // The device awaits a broker's answer (net.ts mqttRequest): what is due now runs, the timeline holds.
        this.processUntil(this.clock.now);
        await yieldToNode(true);
        continue;
      }
      let sliceEnd = Math.min(end, this.clock.now + step);
      if (busy === 0 && stats.waiting === 0) sliceEnd = Math.min(end, Math.max(sliceEnd, this.nextEventAt()));
      const before = stats.activity;
      this.processUntil(sliceEnd);
      if (await this.settle(stats.activity !== before)) busy = BUSY_SLICES;
      else if (busy > 0) busy--;
    }
  }

  /** Turns Node's event loop once, and on until the sockets have been quiet for a few turns if they were busy.
   *  True when anything happened on them. */
  private async settle(busy: boolean): Promise<boolean> {
    const stats = this.net.stats;
    let any = busy;
    let quiet = 0;
    for (let turn = 0; turn < SETTLE_TURNS && (turn === 0 || any && quiet < QUIET_TURNS); turn++) {
      const before = stats.activity;
      await yieldToNode(stats.waiting > 0);
      if (stats.activity !== before) {
        any = true;
        quiet = 0;
      } else {
        quiet++;
      }
    }
    return any;
  }

  /** Advances until `done()` holds, checking every `checkMs` of virtual time; false if `maxMs` passes first. */
  async advanceUntil(done: () => boolean, maxMs: number, checkMs?: number, stepMs?: number): Promise<boolean> {
    const end = this.clock.now + maxMs;
    while (!done()) {
      if (this.clock.now >= end) return false;
      await this.advance(Math.min(checkMs || 1000, end - this.clock.now), stepMs);
    }
    return true;
  }

  /** Virtual time follows the real clock times `speed`, until stopped or until `untilMs` of virtual time. It moves
   *  in advance()'s slices, never in one leap: at a high speed a stall of Node's event loop (a garbage collection,
   *  a module compiled) is seconds of virtual time, and one leap over them while a broker's reply was on its way
   *  ran the firmware's timeouts (no CONNACK, the keep-alive) before the reply, already there, was handed over:
   *  the broker then published the last will. The timeline falls behind the real clock while the network is
   *  busy, and catches up after. */
  runRealtime(speed: number, untilMs?: number): RealtimeRun {
    if (this.realtime) this.realtime.stop();
    const self = this;
    const realStart = this.realNow();
    const virtualStart = this.clock.now;
    const limit = untilMs === undefined ? Infinity : untilMs;
    let running = true;
    const handle = { stop: function (): void { running = false; } };
    const going = function (): boolean { return running; };
    this.realtime = handle;
    const done = (async function (): Promise<void> {
      while (running && self.clock.now < limit) {
        const target = Math.min(limit, virtualStart + (self.realNow() - realStart) * speed);
        if (target > self.clock.now) await self.advanceTo(target, 100, going);
        // Caught up: the real clock moves on a few milliseconds before the next look at it.
        if (running && self.clock.now < limit) await new Promise(function (resolve) { setTimeout(resolve, 5); });
      }
      if (self.realtime === handle) self.realtime = null;
    })();
    return { stop: handle.stop, done: done };
  }

  /** A line for the person running the emulator: kept in `notes`, and on stderr when verbose. */
  note(text: string): void {
    this.notes.push(text);
    if (this.o.verbose) process.stderr.write("[" + (this.clock.now / 1000).toFixed(3) + "] emulator: " + text + "\n");
  }

  // ---- test controls --------------------------------------------------------------------------------------

  /** The power goes and comes back at once: RAM, timers, sockets, the radio's association and the clock are lost;
   *  Storage keeps what reached the flash. Inside a firmware callback (a cut during a Storage write) the rest of
   *  that callback runs on a dead device: nothing it does reaches the flash or the network, and the device boots
   *  when it returns. */
  powerCut(detail?: string): void {
    this.host.boot++;
    this.clock.clearAllTimers();
    this.net.forgetAll();
    this.pending = { kind: "power", detail: detail || "power cut" };
    if (this.depth === 0) this.performPending();
  }

  /** Cuts the power during the `nth` Storage write from now (1: the next; only writes to files whose name starts
   *  with `prefix` count) once `bytes` bytes of its data are in flash, the byte after them half-programmed
   *  (./storage.ts); a write of `bytes` or fewer completes, and the power goes right after it. */
  cutPowerAtStorageWrite(nth: number, bytes: number, prefix?: string): void {
    const self = this;
    this.storage.cutPowerAt(nth, bytes, prefix || "", function () {
      self.powerCut("power cut during a Storage write, after " + bytes + " bytes of it");
    });
  }

  /** Raises an Espruino error flag (FIFO_FULL, LOW_MEMORY, ...). */
  raiseErrorFlag(flag: string): void {
    this.e.raise(flag);
  }

  /** A fresh estimate of the firmware's variables (see ./memory.ts). */
  memory(): MemoryFigures {
    return this.measure(false);
  }

  /** `stack`: the firmware asks, and the functions it is running hold variables too. */
  private measure(stack: boolean): MemoryFigures {
    if (!this.meter) throw new Error("no firmware context");
    const usage = this.meter.count({
      global: this.realm,
      timers: this.clock.timerList().map(function (t) { return { fn: t.fn, args: t.args, repeat: t.interval > 0 }; }),
      listeners: this.serialListeners.all().concat(this.wifi.callbacks(), this.net.callbacks(), this.e.callbacks(),
        this.consoles.callbacks()),
      sockets: this.net.stats.open,
      socketsUnsent: this.net.unsentBytes(),
      modules: Object.keys(this.requiredModules).length,
      serialSetup: this.serialSetup,
      serialBuffered: this.serialBuffer.length,
      stack: stack,
    });
    const total = this.o.memoryTotal || 12000;
    const figures = { free: total - usage, usage: usage, total: total, history: 0, gc: 0, gctime: 0,
      blocksize: 14 };
    this.memoryCache = { at: this.clock.now, figures: figures };
    return figures;
  }

  /** The context's global object: what the firmware left there. */
  global(): Record<string, unknown> {
    return this.realm;
  }

  close(): void {
    if (this.realtime) this.realtime.stop();
    this.host.boot++;
    this.clock.clearAllTimers();
    this.net.forgetAll();
    this.serial.close();
  }

  // ---- boot -----------------------------------------------------------------------------------------------

  /** A fresh interpreter that runs Storage file `file` (null: nothing, as after reset()). Flash, the radio and the
   *  clock carry on. */
  private boot(file: string | null): void {
    this.host.boot++;
    this.clock.clearAllTimers();
    this.net.forgetAll();
    this.serialListeners = new Listeners();
    this.serialBuffer = "";
    this.serial.reset();
    this.e = this.newE();
    this.memoryCache = null;
    const self = this;
    const print = function (...args: unknown[]): void {
      const text = formatPrinted(args);
      self.console.print(text);
      self.consoles.printed(text);
    };
    const context = createEspruinoContext({ print: print });
    const realm = globalOf(context);
    this.context = context;
    this.realm = realm;
    this.realmJSON = realm.JSON as JSON;
    installVirtualDate(context, function () { return self.wallMs(); });
    this.installGlobals(realm, print, file === null);
    for (const name of Object.keys(this.o.globals || {})) realm[name] = (this.o.globals as Record<string, unknown>)[name];
    this.serialSetup = null;
    // The update loader (firmware/loader.ts) runs the firmware from a Storage slot through eval(), at the top level
    // of its script: the firmware's code is then what the memory estimate must read.
    const evaluate = realm.eval as (code: unknown) => unknown;
    realm.eval = function (source: unknown) {
      if (typeof source === "string" && self.meter) self.meter.addCode(source);
      return evaluate(source);
    };
    const code = file === null ? undefined : this.storage.read(file);
    this.meter = new MemoryMeter((realm.Function as FunctionConstructor).prototype, realm,
      code === undefined ? [] : [code]);
    if (file === null) return;
    if (code === undefined) {
      this.console.print("Storage file " + file + " not found: nothing to run");
      return;
    }
    this.invoke(function () { vm.runInContext(code, context, { filename: file }); }, undefined, [], "event");
  }

  private newE(): EspruinoE {
    const consoles = this.consoles;
    return new EspruinoE(this.host, function (device) { consoles.setConsole(device); });
  }

  private installGlobals(realm: Record<string, unknown>, print: (...args: unknown[]) => void, prompt: boolean): void {
    const self = this;
    const host = this.host;
    const clock = this.clock;
    const modules: { [name: string]: object } = {};
    this.requiredModules = modules;
    const timer = function (repeat: boolean) {
      return function (fn: unknown, ms: unknown, ...args: unknown[]): number {
        if (typeof fn === "string") throw self.error("Espruino API setTimeout(string) is not emulated");
        if (typeof fn !== "function") throw self.error("Function or String not supplied!");
        return clock.addTimer(fn as (...a: unknown[]) => unknown, Number(ms), args, repeat);
      };
    };
    const clear = function (what: string) {
      return function (id?: unknown): void {
        if (!clock.clearTimer(id)) throw self.error("Unknown " + what);
      };
    };
    this.serialObject = host.loud("Serial2", Object.assign(this.serialListeners.methods(host, "Serial2"), {
      setup: function (baud: unknown, options?: { [key: string]: unknown }) {
        const connected = uartPins(options, clock.now - self.bootAt, print, function (m) { return self.error(m); });
        self.serialSetup = { baud: baud, options: options };
        self.serial.setup(settingsFromSetup(baud, options), options && options.rx, options && options.tx, clock.now,
          connected);
      },
      /** Bytes held while there is no 'data' listener (0 when there is one). */
      available: function () { return self.serialBuffer.length; },
      /** Takes `chars` held bytes, or all of them when absent or 0. */
      read: function (chars?: unknown) {
        const n = typeof chars === "number" && chars > 0 ? chars : self.serialBuffer.length;
        const out = self.serialBuffer.substr(0, n);
        self.serialBuffer = self.serialBuffer.substr(n);
        return out;
      },
    }));
    const globals: { [name: string]: unknown } = {
      setTimeout: timer(false),
      setInterval: timer(true),
      clearTimeout: clear("Timeout"),
      clearInterval: clear("Interval"),
      getTime: function () { return self.wallMs() / 1000; },
      getSerial: function () { return self.o.serial || "7c9ebd4a-2f18"; },
      print: print,
      console: host.loud("console", { log: print, debug: print, info: print, warn: print, error: print }),
      E: this.e.object(realm as unknown as { Uint8Array: Uint8ArrayConstructor; ArrayBuffer: ArrayBufferConstructor }),
      Serial2: this.serialObject,
      digitalWrite: function (pin: unknown, value: unknown) {
        const fatal = gpioFatal(Number(pin), "digitalWrite");
        if (fatal) throw self.error(fatal);
        self.pins[Number(pin)] = !!value;
      },
      process: host.loud("process", {
        memory: function () { return self.toRealm(self.firmwareMemory()); },
        version: "2v29",
        env: this.toRealm({ VERSION: "2v29", BOARD: "ESP32", CONSOLE: "Serial1",
          MODULES: "Wifi,net,tls,Storage,TelnetServer,crypto" }),
      }),
      require: function (name: unknown) {
        const n = String(name);
        if (!modules[n]) modules[n] = self.module(n);
        return modules[n];
      },
      load: function (file?: unknown) {
        self.pending = { kind: "load", file: typeof file === "string" ? file : ".bootcde" };
      },
      reset: function () { self.pending = { kind: "reset" }; },
    };
    Object.assign(globals, this.consoles.install(host, prompt));
    for (const name of Object.keys(globals)) realm[name] = globals[name];
    for (const name of NOT_EMULATED_GLOBALS) {
      Object.defineProperty(realm, name, {
        configurable: true,
        get: function () { throw self.error("Espruino API " + name + " is not emulated"); },
      });
    }
  }

  private module(name: string): object {
    switch (name) {
      case "Wifi": return this.wifi.module(this.host);
      case "net": return this.net.module(this.host, false);
      case "tls": return this.net.module(this.host, true);
      case "Storage": return this.storage.module(this.host);
      case "TelnetServer": return this.e.telnet();
      case "crypto": return cryptoModule(this.host, this.realm.ArrayBuffer as ArrayBufferConstructor,
        this.realm.print as (text: string) => void);
    }
    if (MODULES_NOT_EMULATED.indexOf(name) >= 0) throw this.error("Espruino API require(\"" + name + "\") is not emulated");
    throw this.error("Module " + name + " not found");
  }

  private firmwareMemory(): MemoryFigures {
    const cache = this.memoryCache;
    const refresh = this.o.memoryRefreshMs === undefined ? 600000 : this.o.memoryRefreshMs;
    if (cache && this.clock.now - cache.at < refresh) return cache.figures;
    return this.measure(true);
  }

  // ---- the event loop -------------------------------------------------------------------------------------

  private nextEventAt(): number {
    return Math.min(this.serial.nextPoll(this.clock.now), this.clock.nextTimerDue(), this.clock.nextEventDue(),
      this.kickDeadline());
  }

  /** A watchdog the firmware must kick itself, when it falls due. */
  private kickDeadline(): number {
    const w = this.e.console.watchdog;
    return w && !w.auto ? w.lastKick + w.timeoutMs : Infinity;
  }

  /** Runs the events due up to `target`. It stops early, at the instant of the event, when that event touched
   *  the network: Node's event loop must turn for the bytes to go out and the replies to come in, as they would
   *  while the device's own loop carries on. */
  private processUntil(target: number): void {
    const clock = this.clock;
    const activity = this.net.stats.activity;
    for (;;) {
      if (this.pending) this.performPending();
      if (this.net.stats.activity !== activity) return;
      const tSerial = this.serial.nextPoll(clock.now);
      const tTimer = clock.nextTimerDue();
      const tEvent = clock.nextEventDue();
      const tKick = this.kickDeadline();
      const t = Math.min(tSerial, tTimer, tEvent, tKick);
      if (t > target) break;
      clock.now = Math.max(clock.now, t);
      if (tSerial <= t) {
        this.deliverSerial(clock.now);
      } else if (tTimer <= t) {
        const timer = clock.dueTimer(clock.now);
        if (timer) {
          this.invoke(timer.fn, undefined, timer.args, "timer");
          clock.finishTimer(timer);
        }
      } else if (tEvent <= t) {
        const event = clock.takeEvent(clock.now);
        if (event) event();
      } else {
        this.pending = { kind: "watchdog", detail: "E.kickWatchdog() not called within " +
          (this.e.console.watchdog as { timeoutMs: number }).timeoutMs + " ms" };
      }
    }
    if (this.pending) this.performPending();
    clock.now = Math.max(clock.now, target);
  }

  private deliverSerial(t: number): void {
    const chunks = this.serial.poll(t);
    if (this.serialListeners.all().length === 0) {
      // Espruino keeps what arrives for read(), up to STREAM_MAX_BUFFER_SIZE; the rest is lost, and flagged.
      for (const chunk of chunks) {
        const room = SERIAL_BUFFER - this.serialBuffer.length;
        if (chunk.length > room) this.e.raise("BUFFER_FULL");
        this.serialBuffer += chunk.substr(0, Math.max(0, room));
      }
      return;
    }
    for (const chunk of chunks) {
      for (const fn of this.serialListeners.all()) this.invoke(fn, this.serialObject, [chunk], "serial");
    }
  }

  private invoke(fn: unknown, thisArg: unknown, args: unknown[], kind: "serial" | "timer" | "event"): void {
    if (typeof fn !== "function") return;
    // A callback that calls into the emulator, which calls back (e.g. boot code): part of the outer one.
    if (this.depth > 0) {
      fn.apply(thisArg, args);
      return;
    }
    this.depth++;
    const start = this.realNow();
    try {
      fn.apply(thisArg, args);
    } catch (e) {
      this.consoles.printed(this.console.reportUncaught(e));
    } finally {
      this.depth--;
    }
    const took = this.realNow() - start;
    const s = this.callbacks[kind];
    s.count++;
    s.totalMs += took;
    if (took > s.maxMs) s.maxMs = took;
    const w = this.e.console.watchdog;
    if (w && took > w.timeoutMs) {
      this.pending = { kind: "watchdog", detail: "a " + kind + " callback ran " + Math.round(took) +
        " ms in real time; the watchdog allows " + w.timeoutMs + " ms" };
    }
  }

  private performPending(): void {
    const p = this.pending as Pending;
    this.pending = null;
    if (p.kind === "watchdog" || p.kind === "power") {
      this.resets.push({ at: this.clock.now, reason: p.kind, detail: p.detail });
      if (p.kind === "watchdog") this.console.print("WATCHDOG RESET: " + p.detail);
      // A hardware reset: the radio and the clock start over too.
      this.wifi.powerCycle();
      this.wallOffset = null;
      this.bootAt = this.clock.now;
      this.boot(".bootcde");
    } else if (p.kind === "load") {
      this.resets.push({ at: this.clock.now, reason: "load", detail: p.file });
      this.boot(p.file);
    } else {
      this.resets.push({ at: this.clock.now, reason: "reset", detail: "reset()" });
      this.boot(null);
    }
  }

  /** The REPL runs a line in the firmware's interpreter, as Espruino's idle loop does with console input. */
  private evaluate(code: string): Evaluation {
    const context = this.context;
    let result: Evaluation = { threw: true, value: undefined };
    this.invoke(function () {
      const value = context ? vm.runInContext(code, context, { filename: "REPL", displayErrors: false }) : undefined;
      result = { threw: false, value: value };
    }, undefined, [], "serial");
    return result;
  }

  // ---- the firmware's realm -------------------------------------------------------------------------------

  private error(message: string): Error {
    const E = this.realm.Error as ErrorConstructor | undefined;
    return E ? new E(message) : new Error(message);
  }

  private toRealm<T>(value: T): T {
    if (value === undefined || !this.context) return value;
    return this.realmJSON.parse(JSON.stringify(value)) as T;
  }
}

function zeroStats(): CallbackStats {
  return { count: 0, totalMs: 0, maxMs: 0 };
}

function always(): boolean {
  return true;
}

/** One turn of Node's event loop; a real millisecond while a socket waits for its first reply, so that a broker
 *  in another process has time to answer before the connect timeout's virtual seconds run out. */
function yieldToNode(waiting: boolean): Promise<void> {
  return new Promise(function (resolve) {
    if (waiting) setTimeout(resolve, 1);
    else setImmediate(resolve);
  });
}
