// The device side of the encrypted-meter checks (test/dlms-espruino.test.ts) and of the decryption bench
// (scripts/bench-decrypt.ts): the decoder with createUnwrap on Espruino's own require("crypto").AES, decoding
// frames and timing the opening of a ciphered APDU. It is bundled for Espruino, so it keeps to the rules of lib/.
import { HanDecoder } from "../../lib/han-decoder";
import { createUnwrap } from "../../lib/dlms/unwrap";
import { fromHex } from "../../lib/bytes";
import type { Reading } from "../../lib/reading";
import type { BlockCipher } from "../../lib/dlms/aes-gcm";

declare function getTime(): number;

export interface SecuredResult {
  values: Reading["values"][];
  counters: { [name: string]: number };
  refused: string[];
}

function keyOf(hex: string | null): Uint8Array | null {
  return hex ? fromHex(hex) : null;
}

/** Decodes HDLC frames (hex) with the keys; the readings' values, the counters and the refusals. The cipher is
 *  Espruino's unless one is given (Node has no require("crypto").AES). */
export function decodeSecured(frames: string[], key: string | null, authKey: string | null,
  cipher?: BlockCipher): SecuredResult {
  const values: Reading["values"][] = [];
  const refused: string[] = [];
  const decoder = new HanDecoder({
    unwrap: createUnwrap({ key: keyOf(key), authKey: keyOf(authKey), cipher: cipher,
      onRefused: function (why) { refused.push(why); } }),
    onReading: function (r) { values.push(r.values); },
  });
  for (let i = 0; i < frames.length; i++) decoder.push(fromHex(frames[i]));
  return { values: values, counters: decoder.counters as unknown as { [name: string]: number }, refused: refused };
}

/** Ms per opening of `apdus` (ciphered APDUs, hex, frame counters rising), each by a fresh unwrap so that the
 *  replay check passes; and ms of the yardstick loop `for (var i=0;i<10000;i++){}` around them. */
export function timeOpen(apdus: string[], key: string, authKey: string | null,
  yardstick: () => number): { ms: number; yardstick: number; opened: number } {
  const bytes = apdus.map(function (h) { return fromHex(h); });
  const counters = { decode_errors: 0 } as unknown as HanDecoder["counters"];
  let opened = 0;
  const before = yardstick();
  const unwrap = createUnwrap({ key: keyOf(key), authKey: keyOf(authKey) });
  const t = getTime();
  for (let i = 0; i < bytes.length; i++) if (unwrap(bytes[i], 0, counters)) opened++;
  const ms = (getTime() - t) * 1000 / bytes.length;
  return { ms: ms, yardstick: (before + yardstick()) / 2, opened: opened };
}

(globalThis as unknown as { __secured: object }).__secured = { decodeSecured: decodeSecured, timeOpen: timeOpen };
