// The wired M-Bus frame reader (EN 13757-2), for meters that push DLMS over M-Bus (Austrian and Polish Kaifa
// MA309, han-spec.md 2.4): cuts the byte stream into frames, checks them, reassembles the transport segments of
// one APDU and hands it on, plain or ciphered, as the HDLC reader hands on an information field.
//   long frame     68 L L 68 | C A CI | data | CS 16    (L counts C to the end of the data, CS is their sum mod 256)
//   control frame  68 03 03 68 | C A CI | CS 16         (a long frame without data)
//   short frame    10 | C A | CS 16
//   single ack     E5
// CI 00..1F is reserved for DLMS: its low nibble numbers the segments of one APDU from 0, bit 4 marks the last,
// and the data of every segment starts with the two transport SAPs before the APDU's bytes.
// Short and control frames, and long frames of other applications (CI 72 and the like), are valid frames that
// carry no DLMS: counted and skipped. Resynchronising tries each start byte in turn; every buffer has a fixed size.
import type { FrameCounters, FrameReaderOptions } from "../hdlc/frame-reader";

const enum Mbus {
  Start = 0x68,
  Stop = 0x16,
  Short = 0x10,
  Ack = 0xe5,
  /** 68 L L 68 */
  Header = 4,
  /** C, A, CI: a control frame's whole body. */
  ControlLength = 3,
  /** C, A, CI and the two transport SAPs that open a DLMS segment's data. */
  SegmentHeader = 5,
  /** Sagemcom meters send a body of 257 bytes as L = 01 (the count wrapped): a body can hold no less than 3. */
  Wrap = 256,
  /** Header + the longest body (L wrapped) + CS + stop. */
  MaxFrame = 4 + 2 + 256 + 2,
  DlmsLastCi = 0x1f,
  LastSegment = 0x10,
}

export interface MbusCounters extends FrameCounters {
  /** Segments that did not follow the one before (lost, repeated, or a message joined half way): each drops the
   *  message it belonged to. */
  segments_lost: number;
  /** Valid frames that carry no DLMS: short and control frames, other applications' data. */
  other_frames: number;
}

export interface MbusReaderOptions {
  /** Largest reassembled APDU (default 2048 bytes, eight full frames). */
  maxMessageSize?: number;
  /** A complete APDU. Valid until the callback returns. */
  onMessage: (apdu: Uint8Array) => void;
  /** Every frame that passed its checks. Valid until the callback returns. */
  onFrame?: (frame: Uint8Array) => void;
}

export class MbusFrameReader {
  counters: MbusCounters;
  private buf: Uint8Array;
  private len: number;
  /** Bytes buffered before scanning can get further. */
  private need: number;
  private msg: Uint8Array | null;
  private msgMax: number;
  private msgLen: number;
  /** The sequence number the next segment of the message being collected must have; -1: no message open. */
  private next: number;
  /** The open message outgrew the buffer: its remaining segments are passed over. */
  private skipping: boolean;
  private onMessage: (apdu: Uint8Array) => void;
  private onFrame: ((frame: Uint8Array) => void) | undefined;

  constructor(options: MbusReaderOptions) {
    this.buf = new Uint8Array(Mbus.MaxFrame);
    this.len = 0;
    this.need = 0;
    this.msg = null;
    this.msgMax = options.maxMessageSize || 2048;
    this.msgLen = 0;
    this.next = -1;
    this.skipping = false;
    this.onMessage = options.onMessage;
    this.onFrame = options.onFrame;
    this.counters = { bytes_in: 0, frames_ok: 0, hcs_errors: 0, fcs_errors: 0, length_errors: 0, bytes_dropped: 0,
      oversize_frames: 0, segments_lost: 0, other_frames: 0 };
  }

  push(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      let n = this.buf.length - this.len;
      if (n > bytes.length - at) n = bytes.length - at;
      this.buf.set(bytes.subarray(at, at + n), this.len);
      this.len += n;
      this.counters.bytes_in += n;
      at += n;
      if (this.len >= this.need) this.scan();
    }
  }

  /** End of input, or the line has gone quiet: an incomplete frame or message never will be complete. */
  flush(): void {
    // A frame cut short counts once; what it was hiding is scanned again.
    let cut = false;
    for (;;) {
      this.scan();
      if (this.len === 0) break;
      if (!cut) this.counters.length_errors++;
      cut = true;
      this.drop(1, true);
    }
    this.need = 0;
    if (this.next >= 0) {
      this.counters.length_errors++;
      this.close();
    }
  }

  private drop(n: number, counted: boolean): void {
    if (counted) this.counters.bytes_dropped += n;
    this.buf.set(this.buf.subarray(n, this.len), 0);
    this.len -= n;
  }

  private scan(): void {
    const b = this.buf;
    const c = this.counters;
    for (;;) {
      let start = 0;
      // Single acknowledgements are M-Bus characters, not noise.
      while (start < this.len && b[start] !== Mbus.Start && b[start] !== Mbus.Short) {
        if (b[start] !== Mbus.Ack) c.bytes_dropped++;
        start++;
      }
      if (start > 0) this.drop(start, false);
      this.need = 0;
      if (this.len === 0) return;
      if (b[0] === Mbus.Short) {
        this.need = 5;
        if (this.len < 5) return;
        if (b[4] === Mbus.Stop && ((b[1] + b[2]) & 255) === b[3]) {
          c.frames_ok++;
          c.other_frames++;
          if (this.onFrame) this.onFrame(b.subarray(0, 5));
          this.drop(5, false);
        } else {
          this.drop(1, true);
        }
        continue;
      }
      this.need = Mbus.Header;
      if (this.len < Mbus.Header) return;
      if (b[1] !== b[2] || b[3] !== Mbus.Start) {
        // Two start bytes around two lengths that differ: a header damaged on the line. Anything else is noise.
        if (b[3] === Mbus.Start) c.hcs_errors++;
        this.drop(1, true);
        continue;
      }
      const body = b[1] < Mbus.ControlLength ? b[1] + Mbus.Wrap : b[1];
      const total = Mbus.Header + body + 2;
      this.need = total;
      if (this.len < total) return;
      if (b[total - 1] !== Mbus.Stop) {
        c.length_errors++;
        this.drop(1, true);
        continue;
      }
      let sum = 0;
      for (let i = Mbus.Header; i < Mbus.Header + body; i++) sum += b[i];
      if ((sum & 255) !== b[total - 2]) {
        c.fcs_errors++;
        this.drop(1, true);
        continue;
      }
      c.frames_ok++;
      if (this.onFrame) this.onFrame(b.subarray(0, total));
      this.segment(b[Mbus.Header + 2], body);
      this.drop(total, false);
    }
  }

  /** A valid long or control frame with CI `ci` and `body` bytes from C on. */
  private segment(ci: number, body: number): void {
    const c = this.counters;
    if (ci > Mbus.DlmsLastCi || body < Mbus.SegmentHeader) {
      // A DLMS CI on a frame too short for its transport header belongs to no APDU either.
      c.other_frames++;
      return;
    }
    const seq = ci & 15;
    const last = (ci & Mbus.LastSegment) !== 0;
    if (this.next >= 0 && seq !== this.next) {
      c.segments_lost++;
      this.close();
      if (seq !== 0) return;
    } else if (this.next < 0 && seq !== 0) {
      // The rest of a message whose start was missed.
      c.segments_lost++;
      return;
    }
    const from = Mbus.Header + Mbus.SegmentHeader;
    const data = this.buf.subarray(from, Mbus.Header + body);
    if (last && this.next < 0) {
      this.onMessage(data);
      return;
    }
    this.next = (seq + 1) & 15;
    if (!this.skipping && this.msgLen + data.length > this.msgMax) {
      c.oversize_frames++;
      this.skipping = true;
    }
    if (!this.skipping) {
      if (!this.msg) this.msg = new Uint8Array(this.msgMax);
      this.msg.set(data, this.msgLen);
      this.msgLen += data.length;
    }
    if (!last) return;
    const whole = this.skipping ? null : (this.msg as Uint8Array).subarray(0, this.msgLen);
    this.close();
    if (whole) this.onMessage(whole);
  }

  private close(): void {
    this.next = -1;
    this.msgLen = 0;
    this.skipping = false;
  }
}

/** The reader the decoder is given for an M-Bus line (DecoderOptions.reader); on the device a part's function,
 *  called once per decoder, so that a meter of another framing carries none of this code. */
export function createMbusReader(options: FrameReaderOptions): MbusFrameReader {
  return new MbusFrameReader({ onMessage: options.onMessage, onFrame: options.onFrame });
}
