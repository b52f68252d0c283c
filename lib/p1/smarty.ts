// Encrypted P1 (Luxembourg's Smarty meters, Sagemcom T210-D; han-spec.md 2.5): each telegram is sent whole inside
// a frame shaped like DLMS general-glo-ciphering, DB 08 <system title 8> <length> <security byte> <frame counter 4>
// <ciphertext> <tag 12>, AES-128-GCM with IV = system title || frame counter and, when the security byte says
// authenticated (0x30), AAD = security byte || authentication key; Smarty's authentication key is the published
// 00112233445566778899AABBCCDDEEFF (Smarty P1 specification 1.1.3, 3.2.5). This cuts such frames from the byte
// stream by their length, refuses a bad tag and a frame counter that does not grow, and hands the plaintext on.
import { gcmOpen, BlockCipher } from "../dlms/aes-gcm";

const enum S {
  GLO_CIPHERING = 0xdb,
  TITLE_LENGTH = 8,
  /** Security byte: authenticated, encrypted; suite 0 in its low bits. */
  AUTHENTICATED = 0x10,
  ENCRYPTED = 0x20,
  TAG = 12,
  /** DB 08, the system title and the longest length field (82 xx xx). */
  HEADER_MAX = 13,
}

export interface SmartyCounters {
  bytes_dropped: number;
  length_errors: number;
  oversize_frames: number;
  /** Frames whose tag did not match: a wrong key, or damage. */
  decrypt_errors: number;
  /** Frames whose frame counter was not above the last one accepted from the same system title. */
  replays: number;
  /** Frames of a security suite or mode this does not read (compressed, broadcast key, authentication only). */
  unsupported: number;
}

export interface SmartyOptions {
  /** AES-128 with the meter's encryption key. */
  cipher: BlockCipher;
  /** The authentication key (16 bytes); Smarty's published one when null. */
  authKey: Uint8Array | null;
  /** Largest frame, in bytes. */
  maxFrame: number;
  counters: SmartyCounters;
  /** The telegram a frame carried, checked; valid until the call returns. */
  onPlaintext: (bytes: Uint8Array) => void;
  onError?: (why: string) => void;
}

export class SmartyReader {
  private o: SmartyOptions;
  private buf: Uint8Array;
  private len: number;
  /** Bytes needed before the frame at buf[0] can be judged further. */
  private need: number;
  private aad: Uint8Array;
  /** System title and frame counter of the last frame accepted; the counter is -1 before the first. */
  private title: Uint8Array;
  private counter: number;

  constructor(options: SmartyOptions) {
    this.o = options;
    this.buf = new Uint8Array(options.maxFrame);
    this.len = 0;
    this.need = 0;
    this.aad = new Uint8Array(17);
    const ak = options.authKey;
    for (let i = 0; i < 16; i++) this.aad[i + 1] = ak ? ak[i] : i * 0x11;
    this.title = new Uint8Array(S.TITLE_LENGTH);
    this.counter = -1;
  }

  push(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      let k = this.buf.length - this.len;
      if (k > bytes.length - at) k = bytes.length - at;
      this.buf.set(bytes.subarray(at, at + k), this.len);
      this.len += k;
      at += k;
      if (this.len >= this.need) this.scan();
    }
  }

  /** End of input: a frame still incomplete never will be. */
  flush(): void {
    if (this.len > 0) {
      this.o.counters.length_errors++;
      this.o.counters.bytes_dropped += this.len;
    }
    this.len = 0;
    this.need = 0;
  }

  /** Drops n bytes, and whatever follows up to the next DB as bytes outside frames. */
  private drop(n: number): void {
    const b = this.buf;
    let s = b.subarray(n, this.len).indexOf(S.GLO_CIPHERING);
    s = s < 0 ? this.len : n + s;
    this.o.counters.bytes_dropped += s - n;
    b.set(b.subarray(s, this.len), 0);
    this.len -= s;
    this.need = 0;
  }

  /** Counted by the caller; the search goes on from the next byte, since a length field damaged on the line can
   *  make a frame of several good ones. */
  private refuse(why: string): void {
    if (this.o.onError) this.o.onError(why);
    this.drop(1);
  }

  private scan(): void {
    const c = this.o.counters;
    const b = this.buf;
    for (;;) {
      this.drop(0);
      if (this.len < S.HEADER_MAX) {
        this.need = S.HEADER_MAX;
        return;
      }
      const form = b[10];
      const at = form < 0x80 ? 11 : form === 0x81 ? 12 : form === 0x82 ? 13 : 0;
      const length = at === 11 ? form : at === 12 ? b[11] : b[11] << 8 | b[12];
      if (b[1] !== S.TITLE_LENGTH || at === 0 || length < 5) {
        c.length_errors++;
        c.bytes_dropped++;
        this.drop(1);
        continue;
      }
      const total = at + length;
      if (total > b.length) {
        c.oversize_frames++;
        c.bytes_dropped++;
        this.drop(1);
        continue;
      }
      if (this.len < total) {
        this.need = total;
        return;
      }
      const sc = b[at];
      const tagged = (sc & S.AUTHENTICATED) !== 0;
      if ((sc & ~S.AUTHENTICATED) !== S.ENCRYPTED || (tagged && length < 5 + S.TAG)) {
        c.unsupported++;
        this.refuse("encrypted P1 frame with security byte 0x" + sc.toString(16) + " (read: 0x20, 0x30)");
        continue;
      }
      const fc = ((b[at + 1] << 24) >>> 0) + (b[at + 2] << 16 | b[at + 3] << 8 | b[at + 4]);
      let same = true;
      for (let i = 0; i < S.TITLE_LENGTH; i++) if (b[2 + i] !== this.title[i]) same = false;
      if (same && fc <= this.counter) {
        c.replays++;
        this.refuse("encrypted P1 frame refused: frame counter " + fc + " not above " + this.counter);
        continue;
      }
      const iv = new Uint8Array(12);
      iv.set(b.subarray(2, 10), 0);
      iv.set(b.subarray(at + 1, at + 5), 8);
      this.aad[0] = sc;
      const end = tagged ? total - S.TAG : total;
      const plain = gcmOpen(this.o.cipher, iv, this.aad, b.subarray(at + 5, end), tagged ? b.subarray(end, total) : null);
      if (plain === null) {
        c.decrypt_errors++;
        this.refuse("encrypted P1 frame refused: its tag does not match (wrong key or authentication key?)");
        continue;
      }
      this.title.set(b.subarray(2, 10), 0);
      this.counter = fc;
      this.drop(total);
      this.o.onPlaintext(plain);
    }
  }
}
