// The `E` object and the console-related bits of one boot: the byte conversions of ../espruino/e-extras.ts, the
// console password and lock, the watchdog, the error flags, and E.CRC32, with which the host tools check what
// they wrote to Storage (src/jswrap_espruino.c). A test raises flags (FIFO_FULL, LOW_MEMORY, ...) and reads what
// the firmware asked for.
import { makeEspruinoE } from "../espruino/e-extras";
import { crc32 } from "../crc32";
import { Host, Listeners } from "./host";

export interface Watchdog {
  timeoutMs: number;
  /** Kicked by the idle loop; false means the firmware must call E.kickWatchdog(). */
  auto: boolean;
  lastKick: number;
}

export interface ConsoleState {
  passwordSet: boolean;
  locked: boolean;
  /** TelnetServer.setOptions({mode}); Espruino starts the telnet console on every boot ("on"). */
  telnet: string;
  watchdog: Watchdog | null;
}

/** The error flags Espruino knows (src/jsutils.h JsErrorFlags). */
const ERROR_FLAGS = ["FIFO_FULL", "BUFFER_FULL", "CALLBACK", "LOW_MEMORY", "MEMORY", "MEMORY_BUSY",
  "UART_OVERFLOW"];

export class EspruinoE {
  readonly console: ConsoleState = { passwordSet: false, locked: false, telnet: "on", watchdog: null };
  private flags: string[] = [];
  private readonly listeners = new Listeners();
  private api: object | null = null;

  constructor(private readonly host: Host, private readonly setConsole: (device: unknown) => void) {}

  /** The E object, made with the realm's typed arrays so that `instanceof Uint8Array` holds in the firmware. */
  object(realm: { Uint8Array: Uint8ArrayConstructor; ArrayBuffer: ArrayBufferConstructor }): object {
    const host = this.host;
    const self = this;
    const listeners = this.listeners;
    this.api = host.loud("E", Object.assign(makeEspruinoE(realm), {
      setConsole: function (device: unknown) { self.setConsole(device); },
      setPassword: function (password: unknown) {
        self.console.passwordSet = typeof password === "string" && password !== "";
      },
      lockConsole: function () { self.console.locked = true; },
      enableWatchdog: function (timeout: unknown, isAuto?: unknown) {
        // The ESP32 rounds the timeout to whole seconds (esp_task_wdt_init).
        const seconds = Math.max(1, Math.round(Number(timeout) || 1));
        self.console.watchdog = { timeoutMs: seconds * 1000, auto: isAuto !== false, lastKick: host.clock.now };
      },
      kickWatchdog: function () {
        if (self.console.watchdog) self.console.watchdog.lastKick = host.clock.now;
      },
      CRC32: function (data: unknown) {
        if (typeof data === "string") return crc32(data);
        if (Object.prototype.toString.call(data) === "[object ArrayBuffer]") return crc32(new Uint8Array(data as ArrayBuffer));
        if (data !== null && typeof data === "object" && typeof (data as ArrayLike<number>).length === "number") {
          return crc32(data as ArrayLike<number>);
        }
        return crc32("");
      },
      getErrorFlags: function () {
        const out = self.flags;
        self.flags = [];
        return host.data(out);
      },
    }, listeners.methods(host, "E")));
    return this.api;
  }

  telnet(): object {
    const self = this;
    return this.host.loud("TelnetServer", {
      setOptions: function (options: { mode?: unknown } | undefined) {
        if (options && options.mode !== undefined) self.console.telnet = String(options.mode);
      },
    });
  }

  /** Raises a flag as the interpreter would; 'errorFlag' fires only for a flag not already raised and unread. */
  raise(flag: string): void {
    if (ERROR_FLAGS.indexOf(flag) < 0) throw new Error("unknown Espruino error flag " + flag);
    if (this.flags.indexOf(flag) >= 0) return;
    this.flags.push(flag);
    const host = this.host;
    const self = this;
    const boot = host.boot;
    host.clock.at(host.clock.now, function () {
      if (host.boot === boot) self.listeners.emit(host, self.api, "errorFlag", [host.data([flag])]);
    });
  }

  callbacks(): unknown[] {
    return this.listeners.all();
  }
}
