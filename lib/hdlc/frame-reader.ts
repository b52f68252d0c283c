// The HDLC frame reader: cuts a byte stream into frames by their 11-bit length field (HAN uses no byte stuffing,
// so 0x7E and 0x7D occur inside frames), checks HCS and FCS, reassembles segmented frames, and resynchronises
// after garbage, truncation and oversize frames. Every buffer has a fixed size.
//
// Resynchronising tries each flag in turn as a frame start, so candidate frames that fail their FCS can overlap:
// in a stream of headers with a valid HCS every 9 bytes, each announcing a 1 KB frame, every byte would go through
// some 110 FCS checks. The FCS work is paid from an allowance instead: Hdlc.CrcPerByte CRC bytes earned per byte
// received, at most two full frames' worth saved up. A line's own frames need one per byte and never run short;
// a candidate frame the allowance cannot pay for counts as a bad FCS. The HCS, over a header of at most 11 bytes,
// is checked for every candidate.
import { crc16x25 } from "../crc16";

const enum Hdlc {
  Flag = 0x7e,
  /** Format (2) + destination (1) + source (1) + control (1) + FCS (2): the smallest frame body. */
  MinLength = 7,
  MaxAddressBytes = 4,
  /** FCS bytes the allowance grows by per byte received. */
  CrcPerByte = 2,
}

export interface FrameCounters {
  bytes_in: number;
  frames_ok: number;
  hcs_errors: number;
  fcs_errors: number;
  length_errors: number;
  bytes_dropped: number;
  oversize_frames: number;
}

export interface FrameReaderOptions {
  /** Largest frame accepted, flags included (default 1024). */
  maxFrameSize?: number;
  /** Largest reassembled information field of a segmented message (default 4 frames). */
  maxMessageSize?: number;
  /** A complete information field: one frame's, or a segmented message's. Valid until the callback returns. */
  onMessage: (info: Uint8Array) => void;
  /** Every frame that passed its checks, flags included. Valid until the callback returns. */
  onFrame?: (frame: Uint8Array) => void;
}

export class FrameReader {
  counters: FrameCounters;
  private buf: Uint8Array;
  private len: number;
  /** The reassembly buffer, made at the first segmented frame: most meters never segment, and it is the largest
   *  buffer (4 KB by default, some 300 of the interpreter's variables). */
  private seg: Uint8Array | null;
  private segMax: number;
  private segLen: number;
  /** True while the segments of a message are being collected. */
  private segActive: boolean;
  /** Bytes buffered before scanning can get further: a frame's whole length while it arrives, so that the UART's
   *  small chunks cost no scan each. */
  private need: number;
  /** FCS bytes checked since start, never counted below what the allowance can save up (see above). */
  private crcSpent: number;
  private onMessage: (info: Uint8Array) => void;
  private onFrame: ((frame: Uint8Array) => void) | undefined;

  constructor(options: FrameReaderOptions) {
    const maxFrame = options.maxFrameSize || 1024;
    this.buf = new Uint8Array(maxFrame);
    this.len = 0;
    this.seg = null;
    this.segMax = options.maxMessageSize || maxFrame * 4;
    this.segLen = 0;
    this.segActive = false;
    this.need = 0;
    this.crcSpent = 0;
    this.onMessage = options.onMessage;
    this.onFrame = options.onFrame;
    this.counters = { bytes_in: 0, frames_ok: 0, hcs_errors: 0, fcs_errors: 0, length_errors: 0, bytes_dropped: 0,
      oversize_frames: 0 };
  }

  push(bytes: Uint8Array): void {
    const size = bytes.length;
    // The usual case, a UART chunk that fits, in as few statements as can be: it comes dozens of times a frame.
    if (this.len + size <= this.buf.length) {
      this.counters.bytes_in += size;
      this.buf.set(bytes, this.len);
      this.len += size;
      if (this.len >= this.need) this.scan();
      return;
    }
    let at = 0;
    while (at < size) {
      let n = this.buf.length - this.len;
      if (n > size - at) n = size - at;
      this.buf.set(n === size ? bytes : bytes.subarray(at, at + n), this.len);
      this.len += n;
      // Counted as they enter the buffer: the CRC allowance grows with the bytes there are to check.
      this.counters.bytes_in += n;
      at += n;
      if (this.len >= this.need) this.scan();
    }
  }

  /** End of input, or the line has gone quiet (a meter sends each frame without pauses): a frame still
   *  incomplete never will be, so it is counted, and whatever it was hiding is scanned again. */
  flush(): void {
    for (;;) {
      this.scan();
      let i = 0;
      while (i < this.len && this.buf[i] === Hdlc.Flag) i++;
      if (i === this.len) break;
      this.counters.length_errors++;
      this.drop(1, true);
    }
    this.len = 0;
    this.need = 0;
    if (this.segActive) {
      this.counters.length_errors++;
      this.segActive = false;
      this.segLen = 0;
    }
  }

  /** Drops n bytes from the front; flags between frames are not counted as dropped. */
  private drop(n: number, counted: boolean): void {
    if (counted) {
      for (let i = 0; i < n; i++) if (this.buf[i] !== Hdlc.Flag) this.counters.bytes_dropped++;
    }
    this.buf.set(this.buf.subarray(n, this.len), 0);
    this.len -= n;
  }

  private scan(): void {
    for (;;) {
      let start = 0;
      while (start < this.len && this.buf[start] !== Hdlc.Flag) start++;
      if (start > 0) this.drop(start, true);
      // A flag waits for the length field; anything after nothing may be noise to count at once.
      this.need = this.len > 0 ? 3 : 0;
      if (this.len < 3) return;
      const f0 = this.buf[1];
      if ((f0 & 0xf0) !== 0xa0) {
        // A flag followed by a flag is the gap between two frames; anything else is noise.
        this.counters.bytes_dropped += f0 === Hdlc.Flag ? 0 : 1;
        this.drop(1, false);
        continue;
      }
      const length = ((f0 & 0x07) << 8) | this.buf[2];
      if (length + 2 > this.buf.length) {
        this.counters.oversize_frames++;
        this.drop(1, true);
        continue;
      }
      if (length < Hdlc.MinLength) {
        this.counters.length_errors++;
        this.drop(1, true);
        continue;
      }
      this.need = length + 2;
      if (this.len < length + 2) return;
      if (this.buf[length + 1] !== Hdlc.Flag) {
        this.counters.length_errors++;
        this.drop(1, true);
        continue;
      }
      if (!this.checkFrame(length)) {
        this.drop(1, true);
        continue;
      }
      // The closing flag stays: it may also open the next frame.
      this.drop(length + 1, false);
    }
  }

  /** Validates the frame at buf[0 .. length+1] and delivers it; false if it must be skipped. */
  private checkFrame(length: number): boolean {
    const b = this.buf;
    let h = 3;
    for (let part = 0; part < 2; part++) {
      let n = 0;
      while (h < length && (b[h] & 1) === 0 && n < Hdlc.MaxAddressBytes) { h++; n++; }
      if (n >= Hdlc.MaxAddressBytes || h >= length) {
        this.counters.length_errors++;
        return false;
      }
      h++;
    }
    h++; // control
    const fcsAt = length - 1;
    let info = h;
    if (fcsAt > h) {
      if (fcsAt < h + 2) {
        this.counters.length_errors++;
        return false;
      }
      const hcs = crc16x25(b, 1, h);
      if (b[h] !== (hcs & 255) || b[h + 1] !== (hcs >> 8)) {
        this.counters.hcs_errors++;
        return false;
      }
      info = h + 2;
    }
    const earned = this.counters.bytes_in * Hdlc.CrcPerByte;
    const floor = earned - b.length * Hdlc.CrcPerByte;
    if (this.crcSpent < floor) this.crcSpent = floor;
    if (this.crcSpent + fcsAt > earned) {
      this.counters.fcs_errors++;
      return false;
    }
    this.crcSpent += fcsAt;
    const fcs = crc16x25(b, 1, fcsAt);
    if (b[fcsAt] !== (fcs & 255) || b[fcsAt + 1] !== (fcs >> 8)) {
      this.counters.fcs_errors++;
      return false;
    }
    this.counters.frames_ok++;
    if (this.onFrame) this.onFrame(b.subarray(0, length + 2));
    this.deliver(b.subarray(info, fcsAt), (b[1] & 0x08) !== 0);
    return true;
  }

  private deliver(info: Uint8Array, segmented: boolean): void {
    if (!segmented && !this.segActive) {
      this.onMessage(info);
      return;
    }
    let from = 0;
    // The LLC header belongs to the first segment only; some meters repeat it.
    if (this.segActive && info.length >= 3 && info[0] === 0xe6 && info[1] === 0xe7 && info[2] === 0x00) from = 3;
    if (this.segLen + info.length - from > this.segMax) {
      this.counters.oversize_frames++;
      this.segActive = false;
      this.segLen = 0;
      return;
    }
    if (!this.seg) this.seg = new Uint8Array(this.segMax);
    this.seg.set(info.subarray(from), this.segLen);
    this.segLen += info.length - from;
    this.segActive = segmented;
    if (!segmented) {
      const whole = this.seg.subarray(0, this.segLen);
      this.segLen = 0;
      this.onMessage(whole);
    }
  }
}
