// The one entry to what a meter sends wrapped: ciphered APDUs (./ciphering.ts) and general block transfer
// (./block-transfer.ts), in any nesting (a block transfer of a ciphered APDU). Given to the decoder as
// DecoderOptions.unwrap, so that a meter that sends neither carries none of this code.
import type { BlockCipher } from "./aes-gcm";
import { decipherer, DecipherCounters } from "./ciphering";
import { reassembler, BlockCounters } from "./block-transfer";
import { APDU_GENERAL_GLO_CIPHERING, APDU_GENERAL_DED_CIPHERING, APDU_GENERAL_BLOCK_TRANSFER } from "./tags";
import type { DecoderCounters } from "../han-decoder";

export interface UnwrapOptions {
  /** han.key, 16 bytes; null: a ciphered APDU is refused as "no key". */
  key: Uint8Array | null;
  /** han.authKey, 16 bytes; set, every ciphered APDU must carry a tag that matches. */
  authKey: Uint8Array | null;
  /** AES-128 under `key`; by default Espruino's require("crypto").AES in ECB mode. */
  cipher?: BlockCipher;
  /** Largest block transfer reassembled, bytes (default 4096). */
  maxBlockTransfer?: number;
  /** Longest wait for a transfer's next block, ms (default 10,000: meters send the blocks back to back). */
  blockTimeoutMs?: number;
  /** The clock, ms (default Date.now). */
  now?: () => number;
  /** Why an APDU was refused or a block transfer dropped, for the log; the counters count it too. */
  onRefused?: (why: string) => void;
}

/** The counters this adds to the decoder's (and so to diag), from the first wrapped APDU on. */
export type UnwrapCounters = DecipherCounters & BlockCounters;

/** DecoderOptions.unwrap: the APDU inside the one at info[start..], or null (awaiting blocks, or refused). */
export type Unwrap = (info: Uint8Array, start: number, counters: DecoderCounters) => Uint8Array | null;

/** AES-128 under `key` with Espruino's crypto.AES, ECB: also Smarty P1's (lib/p1/decoder.ts). */
export function espruinoCipher(key: Uint8Array): BlockCipher {
  const aes = require("crypto").AES;
  return function (blocks) { return new Uint8Array(aes.encrypt(blocks, key, { mode: "ECB" })); };
}

export function createUnwrap(o: UnwrapOptions): Unwrap {
  const decipher = decipherer({
    cipher: o.cipher || (o.key ? espruinoCipher(o.key) : null),
    authKey: o.authKey,
  });
  const reassemble = reassembler({
    maxBytes: o.maxBlockTransfer || 4096,
    timeoutMs: o.blockTimeoutMs || 10000,
    now: o.now || Date.now,
  });
  return function (info, start, decoderCounters) {
    const counters = decoderCounters as DecoderCounters & UnwrapCounters;
    if (counters.replays === undefined) {
      counters.decrypt_errors = counters.no_key = counters.replays = counters.blocks_lost =
        counters.blocks_out_of_order = counters.blocks_duplicated = 0;
    }
    let inner: Uint8Array | string | null = info.subarray(start);
    // A ciphered APDU inside a block transfer, or the other way round; no deeper.
    for (let depth = 0; depth < 3 && typeof inner === "object" && inner !== null; depth++) {
      const tag = inner[0];
      if (tag === APDU_GENERAL_GLO_CIPHERING || tag === APDU_GENERAL_DED_CIPHERING) inner = decipher(inner, counters);
      else if (tag === APDU_GENERAL_BLOCK_TRANSFER) inner = reassemble(inner, counters);
      else break;
      if (inner && typeof inner === "object" && inner.length === 0) {
        counters.decode_errors++;
        inner = "wrapped APDU: empty";
      }
    }
    if (typeof inner !== "string") return inner;
    if (o.onRefused) o.onRefused(inner);
    return null;
  };
}
