// Ciphered APDUs (general-glo-ciphering 0xDB, general-ded-ciphering 0xDD) and general block transfer (0xE0), as
// meters send them (han-spec.md 2.3, 3.2): the writing half of lib/dlms/ciphering.ts and block-transfer.ts. The
// encryption is Node's own AES-GCM, so that the decoder's GHASH is checked against an implementation it shares
// nothing with.
import { createCipheriv } from "node:crypto";
import { encodeApdu, addressingOf, ListInput } from "./layouts";
import { hdlcFrame, llcPayload } from "./hdlc-writer";

export interface Security {
  /** The encryption key (GUEK), 16 bytes. */
  key: Uint8Array;
  /** The authentication key (GAK), 16 bytes. */
  authKey: Uint8Array;
  /** 8 bytes: 3 letters of the maker's FLAG id and 5 of serial. */
  systemTitle: Uint8Array;
  /** The frame (invocation) counter, 32 bits. */
  counter: number;
  /** Security control: 0x30 authenticated encryption (default), 0x20 encryption only, 0x10 authentication only;
   *  the low nibble is the suite. */
  control?: number;
  /** 0xDD (general-ded-ciphering) rather than 0xDB. */
  dedicated?: boolean;
}

function axdrLength(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x100) return [0x81, n];
  if (n < 0x10000) return [0x82, n >> 8, n & 255];
  throw new Error("A-XDR length over 65535 not written: " + n);
}

function concat(parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The ciphered APDU carrying `apdu`. */
export function cipheredApdu(apdu: Uint8Array, s: Security): Uint8Array {
  const sc = s.control === undefined ? 0x30 : s.control;
  if (s.key.length !== 16 || s.authKey.length !== 16) throw new Error("keys are 16 bytes");
  if (s.systemTitle.length !== 8) throw new Error("a system title is 8 bytes");
  if (s.counter !== Math.floor(s.counter) || s.counter < 0 || s.counter > 0xffffffff) throw new Error("counter is 32 bits");
  const ic = [s.counter >>> 24, (s.counter >>> 16) & 255, (s.counter >>> 8) & 255, s.counter & 255];
  const encrypted = (sc & 0x20) !== 0;
  const authenticated = (sc & 0x10) !== 0;
  const gcm = createCipheriv("aes-128-gcm", s.key, concat([s.systemTitle, ic]));
  if (authenticated) gcm.setAAD(concat([[sc], s.authKey, encrypted ? [] : apdu]));
  const ciphertext = Buffer.concat([gcm.update(encrypted ? apdu : new Uint8Array(0)), gcm.final()]);
  const body = concat([[sc], ic, encrypted ? ciphertext : apdu, authenticated ? gcm.getAuthTag().subarray(0, 12) : []]);
  return concat([[s.dedicated ? 0xdd : 0xdb, 8], s.systemTitle, axdrLength(body.length), body]);
}

/** `apdu` in general-block-transfer blocks of at most `blockSize` data bytes, numbered from 1, streamed (as a push
 *  is: nothing acknowledged), the last with its last-block bit. */
export function blockTransfer(apdu: Uint8Array, blockSize: number): Uint8Array[] {
  if (blockSize < 1) throw new Error("blockSize must be at least 1");
  const blocks: Uint8Array[] = [];
  for (let at = 0, n = 1; at < apdu.length; at += blockSize, n++) {
    const data = apdu.subarray(at, Math.min(apdu.length, at + blockSize));
    const last = at + blockSize >= apdu.length;
    blocks.push(concat([[0xe0, (last ? 0x80 : 0) | 0x40, n >> 8, n & 255, 0, 0], axdrLength(data.length), data]));
  }
  return blocks;
}

/** How a simulated meter protects its lists: ciphering, and optionally block transfer of the ciphered APDU. */
export interface MeterSecurity {
  key: Uint8Array;
  authKey: Uint8Array;
  /** Default: "SIM" and five bytes of zeros and ones. */
  systemTitle?: Uint8Array;
  control?: number;
  dedicated?: boolean;
  /** Data bytes per block transfer block; absent: no block transfer. */
  blockSize?: number;
}

const SIM_TITLE = new Uint8Array([0x53, 0x49, 0x4d, 0, 1, 0, 1, 0]);

/** The ciphered APDU of `input`'s list, whatever frames then carry it. */
export function securedApdu(input: ListInput, s: MeterSecurity, counter: number): Uint8Array {
  return cipheredApdu(encodeApdu(input), { key: s.key, authKey: s.authKey, systemTitle: s.systemTitle || SIM_TITLE,
    counter, control: s.control, dedicated: s.dedicated });
}

/** The list of `input` as the meter sends it protected: its HDLC frames back to back, one per block, the LLC header
 *  in the first only (as Landis+Gyr's block transfers have it). */
export function encodeSecured(input: ListInput, s: MeterSecurity, counter: number): Uint8Array {
  const apdu = securedApdu(input, s, counter);
  const blocks = s.blockSize ? blockTransfer(apdu, s.blockSize) : [apdu];
  const addressing = addressingOf(input);
  return concat(blocks.map((b, i) => {
    const info = i === 0 ? llcPayload(b) : b;
    return hdlcFrame(info, 0, info.length, addressing, false);
  }));
}
