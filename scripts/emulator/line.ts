// The wire between the meter and the ESP32's UART: what a receiver gets from bytes sent with some serial
// settings when it listens with the same or with other settings. Wrong settings are modelled deterministically.
// The ESP32 port of Espruino installs the UART driver without an event queue (targets/esp32/jshardwareUart.c), so
// a character with a parity or framing error is delivered as received and nothing flags it (A3 and B in
// ../shared/docs/espruino.md); only the frames' CRCs tell a wrong setting from a right one.
//
// - Same baud, other framing (parity, stop bits, data bits): a bit-level receiver. The line's bits (start 0, data
//   LSB first, parity, stop 1s, idle 1s between transmissions) are read in the receiver's framing, and every
//   character framed is delivered; after a stop bit read as 0 the receiver waits for the line to go high and
//   takes the next falling edge as a start bit (how the ESP32 resynchronises is not documented; this choice
//   matches 8E1 meters being readable at 8N1 on ESP32 boards). What follows:
//   * 8E1 sent, read as 8N1: the parity bit lands where the stop bit should be. A byte whose even-parity bit is
//     0 has a framing error but arrives all the same, with its data bits intact, and the receiver stays in step
//     because the real stop bit that follows reads as idle: every byte arrives as sent, and frames are valid.
//   * 8N1 sent, read as 8E1: the stop bit is read as the parity bit and the next bit as the stop bit. The first
//     byte of a burst arrives intact; a byte followed at once by another reads that byte's start bit as its stop
//     bit, and the receiver then falls out of step, inside the following byte: the rest of a burst arrives as
//     bytes that were never sent, in step again only now and then for a byte.
// - Other baud: garbage of the proportionate length (the number of characters the receiver frames in the time
//   the line was busy), from a seeded generator.
import { createRng, Rng } from "../sim/random";

export type Parity = "none" | "even" | "odd";

export interface LineSettings {
  baud: number;
  bytesize: 7 | 8;
  parity: Parity;
  stopbits: 1 | 2;
}

/** Bytes put on the line back to back from `at` (virtual ms) on. */
export interface Transmission {
  at: number;
  bytes: Uint8Array;
}

/** Start + data + parity + stop bits. */
export function bitsPerChar(s: LineSettings): number {
  return 1 + s.bytesize + (s.parity === "none" ? 0 : 1) + s.stopbits;
}

export function charMs(s: LineSettings): number {
  return bitsPerChar(s) * 1000 / s.baud;
}

function sameFraming(a: LineSettings, b: LineSettings): boolean {
  return a.bytesize === b.bytesize && a.parity === b.parity && a.stopbits === b.stopbits;
}

function parityBit(data: number, parity: Parity): number {
  let ones = 0;
  for (let x = data; x !== 0; x >>= 1) ones += x & 1;
  return parity === "even" ? ones & 1 : (ones & 1) ^ 1;
}

/** Where received characters go: the byte and the virtual ms its last bit ended. */
export type Sink = (byte: number, at: number) => void;

/** Turns the line's characters into the receiver's, one sent character at a time, in order. */
export interface Converter {
  /** One character sent from `start` (virtual ms). `last` is true when the line goes idle after it. */
  char(byte: number, start: number, last: boolean, out: Sink): void;
}

class PassThrough implements Converter {
  constructor(private readonly ms: number, private readonly mask: number) {}

  char(byte: number, start: number, _last: boolean, out: Sink): void {
    out(byte & this.mask, start + this.ms);
  }
}

const IDLE = 0;
const IN_CHAR = 1;
const WAIT_HIGH = 2;

/** A UART receiver fed bit by bit, at the line's own bit rate (same baud). */
class BitReceiver implements Converter {
  private state = IDLE;
  private bits: number[] = [];
  private readonly bitMs: number;
  private readonly need: number;

  constructor(private readonly line: LineSettings, private readonly rx: LineSettings) {
    this.bitMs = 1000 / line.baud;
    this.need = rx.bytesize + (rx.parity === "none" ? 0 : 1) + rx.stopbits;
  }

  char(byte: number, start: number, last: boolean, out: Sink): void {
    const l = this.line;
    let t = start;
    const data = byte & ((1 << l.bytesize) - 1);
    this.bit(0, t += this.bitMs, out);
    for (let i = 0; i < l.bytesize; i++) this.bit((data >> i) & 1, t += this.bitMs, out);
    if (l.parity !== "none") this.bit(parityBit(data, l.parity), t += this.bitMs, out);
    for (let i = 0; i < l.stopbits; i++) this.bit(1, t += this.bitMs, out);
    // The line idles after a burst: enough high bits to finish any character the receiver is still reading.
    if (last) while (this.state === IN_CHAR) this.bit(1, t += this.bitMs, out);
    if (last && this.state === WAIT_HIGH) this.state = IDLE;
  }

  private bit(b: number, end: number, out: Sink): void {
    if (this.state === WAIT_HIGH) {
      if (b === 1) this.state = IDLE;
      return;
    }
    if (this.state === IDLE) {
      if (b === 0) {
        this.state = IN_CHAR;
        this.bits = [];
      }
      return;
    }
    this.bits.push(b);
    if (this.bits.length < this.need) return;
    let data = 0;
    for (let i = 0; i < this.rx.bytesize; i++) data |= this.bits[i] << i;
    // Parity and stop bits are checked by the UART, and what it makes of them reaches no one: the byte goes on.
    out(data, end);
    this.state = this.bits[this.need - 1] === 1 ? IDLE : WAIT_HIGH;
  }
}

/** A receiver at another baud frames characters out of whatever the line does: their count follows the time
 *  the line is busy, their values mean nothing. */
class Garbage implements Converter {
  private owed = 0;
  private readonly perChar: number;
  private readonly lineMs: number;

  constructor(line: LineSettings, rx: LineSettings, private readonly rng: Rng) {
    this.lineMs = charMs(line);
    this.perChar = this.lineMs / charMs(rx);
  }

  char(_byte: number, start: number, _last: boolean, out: Sink): void {
    this.owed += this.perChar;
    const n = Math.floor(this.owed);
    this.owed -= n;
    for (let i = 1; i <= n; i++) out(Math.floor(this.rng() * 256), start + this.lineMs * i / n);
  }
}

/** The converter for a line read with the receiver's settings; `line` null means the bytes come from a real
 *  UART that already framed them. */
export function converterFor(line: LineSettings | null, rx: LineSettings, seed: number): Converter {
  if (line === null) return new PassThrough(0, 0xff);
  if (line.baud !== rx.baud) return new Garbage(line, rx, createRng(seed));
  if (sameFraming(line, rx)) return new PassThrough(charMs(line), (1 << rx.bytesize) - 1);
  return new BitReceiver(line, rx);
}
