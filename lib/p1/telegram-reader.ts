// The P1 telegram reader: cuts the ASCII byte stream of a DSMR/P1 port into whole telegrams ("/" identification
// line ... "!" + CRC + CR LF, han-spec.md 2.5), checks the CRC of DSMR 4/5 telegrams and the structure of DSMR
// 2.2/3 ones (which carry none), and resynchronises on every "/". Its counters have the HDLC reader's names, so
// that the serial autodetector judges a P1 line as it judges an HDLC one. The buffer has a fixed size: a line that
// never ends, or a telegram that never reaches its "!", is dropped when the buffer is full.
import { toBinaryString } from "../bytes";
import type { FrameCounters } from "../hdlc/frame-reader";

const enum C {
  SLASH = 0x2f,
  BANG = 0x21,
  CR = 0x0d,
  LF = 0x0a,
  OPEN = 0x28,
  CLOSE = 0x29,
  /** The identification line is "/XXXZ..." (IEC 62056-21): longer than this, it is noise that began with "/". */
  HEADER_MAX = 96,
  /** A telegram as DSMR 5.0.2 allows it: its longest item, the 1024-character text message, written in hex, and
   *  the rest of a three-phase telegram with four M-Bus devices. */
  DEFAULT_MAX = 4096,
}

/** The HDLC reader's counters, as a P1 line gives them: frames_ok, telegrams delivered (with a good CRC, or without
 *  one and well formed); hcs_errors, a "/" not followed by an identification line; fcs_errors, a CRC that does not
 *  match or is not 4 hex digits, or a telegram without a CRC after ones with a CRC; length_errors, a telegram cut
 *  short by the next "/" or the end of input, or one without a CRC that is not well formed; bytes_dropped, bytes
 *  outside telegrams; oversize_frames, telegrams longer than the buffer. */
export interface P1Counters extends FrameCounters {
  /** Telegrams delivered without a CRC to check (DSMR 2.2 and 3). */
  unchecked: number;
}

export interface P1ReaderOptions {
  /** A whole telegram, "/" to the end of its CRC (or to its "!" when it has none), as a binary string. */
  onTelegram: (text: string) => void;
  /** Largest telegram accepted, in bytes (default 4096). */
  maxTelegram?: number;
}

let table: Uint16Array | null = null;

/** CRC-16/ARC (polynomial 0x8005 reflected, 0xA001; initial value 0; no final XOR) of bytes[start .. end), the
 *  P1 telegram's CRC (DSMR 5.0.2 6.2). Table-driven like lib/crc16.ts, for the same reasons. */
export function crc16arc(bytes: Uint8Array, start: number, end: number): number {
  if (table === null) {
    table = new Uint16Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
      table[n] = c;
    }
  }
  const t = table;
  const b = bytes;
  let c = 0;
  let i = start;
  while (i < end - 3) {
    c = c >> 8 ^ t[c & 255 ^ b[i]];
    c = c >> 8 ^ t[c & 255 ^ b[i + 1]];
    c = c >> 8 ^ t[c & 255 ^ b[i + 2]];
    c = c >> 8 ^ t[c & 255 ^ b[i + 3]];
    i += 4;
  }
  while (i < end) c = c >> 8 ^ t[c & 255 ^ b[i++]];
  return c;
}

/** The value of an upper- or lower-case hex digit, or -1. */
function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

function letter(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

export class P1TelegramReader {
  counters: P1Counters;
  private buf: Uint8Array;
  /** Bytes in buf; buf[0] is "/" whenever it is above 0. */
  private len: number;
  /** Where the search for "!" (and for a "/" that cuts the telegram short) goes on. */
  private scanned: number;
  /** True once buf's identification line has been checked. */
  private header: boolean;
  /** Line-end bytes still expected after the last telegram, which are not counted as dropped. */
  private eol: number;
  /** True once a telegram with a CRC has come: the meter sends DSMR 4 or 5, so one without is damaged. */
  private crcSeen: boolean;
  private onTelegram: (text: string) => void;

  constructor(options: P1ReaderOptions) {
    this.buf = new Uint8Array(options.maxTelegram || C.DEFAULT_MAX);
    this.len = 0;
    this.scanned = 1;
    this.header = false;
    this.eol = 0;
    this.crcSeen = false;
    this.onTelegram = options.onTelegram;
    this.counters = { bytes_in: 0, frames_ok: 0, hcs_errors: 0, fcs_errors: 0, length_errors: 0, bytes_dropped: 0,
      oversize_frames: 0, unchecked: 0 };
  }

  /** Feeds a chunk of the line, split anywhere. */
  push(bytes: Uint8Array): void {
    const n = bytes.length;
    this.counters.bytes_in += n;
    let at = 0;
    while (at < n) {
      if (this.len === 0) {
        // Between telegrams the chunk is searched where it lies, natively, and nothing is copied.
        at = this.skipEol(bytes, at, n);
        const s = bytes.indexOf(C.SLASH, at);
        if (s < 0) {
          this.counters.bytes_dropped += n - at;
          return;
        }
        this.counters.bytes_dropped += s - at;
        at = s;
      }
      let k = this.buf.length - this.len;
      if (k > n - at) k = n - at;
      this.buf.set(at === 0 && k === n ? bytes : bytes.subarray(at, at + k), this.len);
      this.len += k;
      at += k;
      this.scan();
      if (this.len === this.buf.length) {
        // Full without an end: what follows up to the next "/" belongs to the same overlong telegram.
        this.counters.oversize_frames++;
        this.reset();
      }
    }
  }

  /** End of input: a telegram without a CRC may end at its "!"; any other one still open never will. */
  flush(): void {
    if (this.len > 0) {
      const bang = this.len - 1;
      if (this.header && this.buf[bang] === C.BANG) {
        this.finish(bang, bang + 1, false);
      } else {
        this.counters.length_errors++;
      }
    }
    this.reset();
    this.eol = 0;
  }

  private reset(): void {
    this.len = 0;
    this.scanned = 1;
    this.header = false;
  }

  /** Skips the CR LF that ends the last telegram, from bytes[at]; returns where the rest begins. */
  private skipEol(bytes: Uint8Array, at: number, end: number): number {
    while (this.eol > 0 && at < end && (bytes[at] === C.CR || bytes[at] === C.LF)) {
      at++;
      this.eol--;
    }
    if (at < end) this.eol = 0;
    return at;
  }

  /** Drops buf[0 .. from) and whatever follows up to the next "/", counting what is not a line end expected. */
  private resync(from: number): void {
    const b = this.buf;
    const at = this.skipEol(b, from, this.len);
    let s = b.subarray(at, this.len).indexOf(C.SLASH);
    s = s < 0 ? this.len : at + s;
    this.counters.bytes_dropped += s - at;
    b.set(b.subarray(s, this.len), 0);
    this.len -= s;
    this.scanned = 1;
    this.header = false;
  }

  /** 1: buf starts with a whole identification line; 0: too few bytes yet; -1: it is no identification line. */
  private checkHeader(): number {
    const b = this.buf;
    for (let i = 1; i < this.len; i++) {
      const c = b[i];
      if (i <= 3 ? !letter(c) : i === 4 ? c < 0x21 || c > 0x7e : c === C.CR) {
        return i > 4 && c === C.CR ? 1 : -1;
      }
      if (c < 0x20 || c > 0x7e || i >= C.HEADER_MAX) return -1;
    }
    return 0;
  }

  private scan(): void {
    for (;;) {
      if (this.len === 0) return;
      if (!this.header) {
        const h = this.checkHeader();
        if (h === 0) return;
        if (h < 0) {
          this.counters.hcs_errors++;
          this.resync(1);
          continue;
        }
        this.header = true;
      }
      const b = this.buf;
      const from = this.scanned;
      // Searched as a string: a string's indexOf costs the interpreter a fraction of a typed array's.
      const part = toBinaryString(b.subarray(from, this.len));
      const bang = part.indexOf("!");
      const slash = part.indexOf("/");
      if (slash >= 0 && (bang < 0 || slash < bang)) {
        this.counters.length_errors++;
        this.resync(from + slash);
        continue;
      }
      if (bang < 0) {
        this.scanned = this.len;
        return;
      }
      const p = from + bang;
      // The "!" is looked at again when the bytes after it come.
      this.scanned = p;
      if (this.len < p + 2) return;
      const next = b[p + 1];
      if (next === C.CR || next === C.LF) {
        this.finish(p, p + 1, false);
        continue;
      }
      if (this.len < p + 5) return;
      let crc = 0;
      for (let i = p + 1; i < p + 5; i++) {
        const d = hexDigit(b[i]);
        crc = d < 0 || crc < 0 ? -1 : crc * 16 + d;
      }
      if (crc < 0 || crc !== crc16arc(b, 0, p + 1)) {
        this.counters.fcs_errors++;
        this.resync(p + 1);
        continue;
      }
      this.finish(p, p + 5, true);
    }
  }

  /** Delivers buf[0 .. end), whose "!" is at bang, if it may be; then takes it out of the buffer. */
  private finish(bang: number, end: number, checked: boolean): void {
    const c = this.counters;
    let ok = checked;
    if (checked) {
      this.crcSeen = true;
    } else if (this.crcSeen) {
      c.fcs_errors++;
    } else if (!this.wellFormed(bang)) {
      c.length_errors++;
    } else {
      ok = true;
      c.unchecked++;
    }
    if (ok) {
      c.frames_ok++;
      this.onTelegram(toBinaryString(this.buf.subarray(0, end)));
    }
    this.eol = 2;
    this.resync(end);
  }

  /** The structure that stands in for a CRC: after the identification line, CR LF-separated lines, each empty, an
   *  object ("1-0:1.8.1(...)") or a continuation of one ("(...)", DSMR 2.2's gas value), of printable ASCII; and
   *  the "!" at the start of its own line. */
  private wellFormed(bang: number): boolean {
    const b = this.buf;
    let i = 1;
    while (b[i] !== C.CR) i++;
    while (i < bang) {
      if (b[i] !== C.CR || b[i + 1] !== C.LF) return false;
      i += 2;
      const start = i;
      while (i < bang && b[i] >= 0x20 && b[i] <= 0x7e) i++;
      if (i === bang) return i === start;
      if (i > start) {
        const first = b[start];
        if (!((first >= 0x30 && first <= 0x39) || first === C.OPEN) || b[i - 1] !== C.CLOSE) return false;
      }
    }
    return false;
  }
}
