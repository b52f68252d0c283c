// The HAN UART (Serial2): the receiver end of the line. Bytes from the ByteSource arrive at the line rate; the
// ESP32 driver's task polls the UART and hands Espruino what came in, at most 256 bytes at a time, which the
// firmware gets as 'data' events (A3 in ../shared/docs/espruino.md). The poll period is 5 ms on the device; a
// longer one makes fast-forward cheaper (fewer, larger chunks) without changing what is received.
import { charMs, converterFor, Converter, LineSettings, Parity, Transmission } from "./line";

export interface ByteSource {
  /** The settings the bytes are sent with; null for a real serial port, whose UART frames them itself. */
  readonly line: LineSettings | null;
  /** Transmissions starting at or before `untilMs` (virtual ms) not returned before, oldest first. */
  take(untilMs: number): Transmission[];
  /** Bytes arrive by themselves (a real port): asked at every poll rather than ahead of time. */
  readonly live?: boolean;
  /** Called when the firmware sets the receiver up; a real port reopens with these settings. */
  configure?(rx: LineSettings): void;
  /** Given once, before anything else: the virtual clock, for sources whose bytes arrive by themselves. */
  attach?(now: () => number): void;
  close(): void;
  describe(): string;
}

export interface UartSetup {
  at: number;
  settings: LineSettings;
  rx: unknown;
  tx: unknown;
}

/** Espruino's reading of Serial.setup options (src/jsserial.c): parity 'e'/'even'/2, 'o'/'odd'/1, anything else
 *  none; bytesize 7 or else 8; stopbits 1 (or absent) or else 2. */
export function settingsFromSetup(baud: unknown, options: { [key: string]: unknown } | undefined): LineSettings {
  const o = options || {};
  const p = o.parity;
  let parity: Parity = "none";
  if (p === "e" || p === "even" || p === 2) parity = "even";
  else if (p === "o" || p === "odd" || p === 1) parity = "odd";
  const b = typeof baud === "number" && baud > 0 ? baud : 9600;
  return { baud: b, bytesize: o.bytesize === 7 ? 7 : 8, parity: parity,
    stopbits: o.stopbits === undefined || o.stopbits === 1 ? 1 : 2 };
}

/** Why the ESP32 cannot give GPIO `pin` to `use` and carry on; null when it can. GPIOs 6-11 drive the SPI flash:
 *  taken from it, the flash loses its line and the chip crashes at its next access to it, and again at every boot
 *  that takes the pin. GPIOs 1 and 3 are UART0, the USB console: the emulator does not model a console losing
 *  its line. */
export function gpioFatal(pin: number, use: string): string | null {
  const what = use + " on GPIO " + pin + ": ";
  if (pin >= 6 && pin <= 11) {
    return what + "it drives the ESP32's SPI flash; taken from it, the chip crashes at its next flash access " +
      "(and again at every boot)";
  }
  if (pin === 1 || pin === 3) {
    return what + "it is the USB console's " + (pin === 1 ? "TX" : "RX") + "; taken from it, the console " +
      (pin === 1 ? "falls silent" : "stops hearing") + " (not emulated)";
  }
  return null;
}

/** A pin option as Espruino reads it: a number below 40 is that GPIO (jshIsPinValid; ESP32.py defines D0-D39);
 *  absent, or a number with no pin, the port's default. */
function pinOption(v: unknown, fallback: number, name: string, error: (message: string) => Error): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number") {
    throw error("Serial2.setup: " + name + " given as " + typeof v + " is not emulated (a GPIO number is)");
  }
  return v >= 0 && v < 40 ? Math.floor(v) : fallback;
}

/** What the ESP32 makes of Serial2 on the pins that `options` names, as `print` shows it: Espruino's initUart
 *  (targets/esp32/jshardwareUart.c; defaults tx 4, rx 5) ignores what ESP-IDF's uart_set_pin returns, which checks
 *  tx (a GPIO that can drive: none of 34-39) and then rx (a GPIO the chip has: none of 20, 24, 28-31), and on a
 *  failure logs the error on the console and routes no pin, so that nothing is received. Throws, in the
 *  firmware's realm (`error`), where the chip would stop (gpioFatal). False when nothing will be received. */
export function uartPins(options: { [key: string]: unknown } | undefined, sinceBootMs: number,
  print: (text: string) => void, error: (message: string) => Error): boolean {
  const o = options || {};
  const tx = pinOption(o.tx, 4, "tx", error);
  const rx = pinOption(o.rx, 5, "rx", error);
  const refused = tx > 33 || !hasGpio(tx) ? "tx_io_num" : !hasGpio(rx) ? "rx_io_num" : null;
  if (refused) {
    print("E (" + Math.floor(sinceBootMs) + ") uart: uart_set_pin: " + refused + " error");
    return false;
  }
  const fatal = gpioFatal(rx, "Serial2 rx") || gpioFatal(tx, "Serial2 tx");
  if (fatal) throw error(fatal);
  return true;
}

function hasGpio(pin: number): boolean {
  return pin <= 39 && pin !== 20 && pin !== 24 && (pin < 28 || pin > 31);
}

/** Largest chunk the ESP32 UART task reads at once. */
const MAX_CHUNK = 256;
/** How far ahead of the timeline the source is asked for transmissions. */
const LOOKAHEAD_MS = 60000;

export class Uart {
  settings: LineSettings | null = null;
  readonly setups: UartSetup[] = [];
  bytesDelivered = 0;
  chunksDelivered = 0;
  private listeningSince = Infinity;
  private converter: Converter | null = null;
  private queue: Transmission[] = [];
  /** Index of the next unconverted byte of queue[0]. */
  private pos = 0;
  private outBytes: number[] = [];
  private outTimes: number[] = [];
  private takenUntil = -Infinity;
  private readonly lineCharMs: number;

  constructor(private readonly source: ByteSource | null, private readonly pollMs: number,
    private readonly seed: number) {
    this.lineCharMs = source && source.line ? charMs(source.line) : 0;
  }

  /** `connected` false: the pins were refused (uartPins), and the driver receives nothing. */
  setup(settings: LineSettings, rx: unknown, tx: unknown, now: number, connected = true): void {
    this.settings = settings;
    this.setups.push({ at: now, settings: settings, rx: rx, tx: tx });
    // Reconfiguring reinstalls the driver: what it held is gone, and a character in flight is lost.
    this.outBytes = [];
    this.outTimes = [];
    this.listeningSince = now;
    this.converter = this.source && connected ?
      converterFor(this.source.line, settings, this.seed + this.setups.length) : null;
    if (this.source && this.source.configure) this.source.configure(settings);
  }

  /** After a reset of the interpreter the UART is not set up: nothing is received until setup() again. */
  reset(): void {
    this.settings = null;
    this.converter = null;
    this.listeningSince = Infinity;
    this.outBytes = [];
    this.outTimes = [];
  }

  /** The next poll instant after `now` at which there is something to deliver, or Infinity. */
  nextPoll(now: number): number {
    this.fill(now);
    let first = this.outTimes.length > 0 ? this.outTimes[0] : Infinity;
    if (this.queue.length > 0) first = Math.min(first, this.queue[0].at + (this.pos + 1) * this.lineCharMs);
    // Nothing known yet: come back when the source must be asked again.
    if (first === Infinity) return this.source && !this.source.live ? Math.max(now, this.takenUntil) : Infinity;
    return Math.max(now, Math.ceil(first / this.pollMs - 1e-9) * this.pollMs);
  }

  /** The chunks the driver hands over at poll instant `t`, as binary strings. */
  poll(t: number): string[] {
    this.fill(t);
    this.convertUntil(t);
    let n = 0;
    while (n < this.outTimes.length && this.outTimes[n] <= t + 1e-9) n++;
    const bytes = this.outBytes.splice(0, n);
    this.outTimes.splice(0, n);
    const chunks: string[] = [];
    for (let i = 0; i < bytes.length; i += MAX_CHUNK) {
      chunks.push(String.fromCharCode.apply(null, bytes.slice(i, i + MAX_CHUNK)));
    }
    this.bytesDelivered += bytes.length;
    this.chunksDelivered += chunks.length;
    return chunks;
  }

  close(): void {
    if (this.source) this.source.close();
  }

  private fill(now: number): void {
    if (!this.source) return;
    const until = this.source.live ? now : now + LOOKAHEAD_MS;
    if (until <= this.takenUntil && !this.source.live) return;
    this.takenUntil = until;
    for (const t of this.source.take(until)) this.enqueue(t);
  }

  /** One line: a transmission that starts where the previous ends continues the same burst, and one that would
   *  overlap it (injected noise, or a source that runs late) waits for it and follows back to back. */
  private enqueue(t: Transmission): void {
    if (t.bytes.length === 0) return;
    const last = this.queue.length > 0 ? this.queue[this.queue.length - 1] : null;
    if (last && this.lineCharMs > 0 && t.at <= last.at + (last.bytes.length + 0.5) * this.lineCharMs) {
      const merged = new Uint8Array(last.bytes.length + t.bytes.length);
      merged.set(last.bytes, 0);
      merged.set(t.bytes, last.bytes.length);
      last.bytes = merged;
      return;
    }
    this.queue.push({ at: t.at, bytes: t.bytes });
  }

  private convertUntil(t: number): void {
    const outBytes = this.outBytes;
    const outTimes = this.outTimes;
    const sink = function (byte: number, at: number): void {
      outBytes.push(byte);
      outTimes.push(at);
    };
    while (this.queue.length > 0) {
      const tr = this.queue[0];
      const n = tr.bytes.length;
      while (this.pos < n) {
        const start = tr.at + this.pos * this.lineCharMs;
        if (start + this.lineCharMs > t + 1e-9) return;
        if (this.converter && start >= this.listeningSince - 1e-9) {
          this.converter.char(tr.bytes[this.pos], start, this.pos === n - 1, sink);
        }
        this.pos++;
      }
      this.queue.shift();
      this.pos = 0;
    }
  }
}
