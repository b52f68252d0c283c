// The P1 decoder: where the bytes of a DSMR/P1 port enter and readings leave, the P1 counterpart of
// lib/han-decoder.ts with the same options and counters. Bytes -> (Smarty frames -> AES-GCM, when a key is given:
// lib/p1/smarty.ts) -> telegrams (lib/p1/telegram-reader.ts) -> Reading (lib/p1/telegram.ts). Nothing here throws
// at the caller: every rejected input is counted.
import { P1TelegramReader, P1Counters } from "./telegram-reader";
import { SmartyReader } from "./smarty";
import { readTelegram } from "./telegram";
import { toBytes } from "../bytes";
import type { BlockCipher } from "../dlms/aes-gcm";
import { espruinoCipher } from "../dlms/unwrap";
import type { Reading } from "../reading";

export interface P1DecoderCounters extends P1Counters {
  readings: number;
  /** Telegrams with a good CRC that are still no telegram (no identification line). */
  decode_errors: number;
  /** Objects of a telegram that this decoder does not know, each time one comes. */
  unknown_lines: number;
  /** Encrypted frames: tags that did not match, frame counters that did not grow, modes not read. */
  decrypt_errors: number;
  replays: number;
  unsupported: number;
}

export interface P1DecoderOptions {
  onReading: (reading: Reading) => void;
  /** A message that failed to decode, with the reason, for the log. */
  onError?: (why: string) => void;
  /** Every telegram that passed its checks, as text (decrypted, for Smarty), for a raw topic. */
  onTelegram?: (text: string) => void;
  /** Largest telegram accepted, in bytes (default 4096). */
  maxTelegram?: number;
  /** Encrypted P1 (Luxembourg's Smarty): AES-128 with the meter's key. Without it, the line is plain P1. */
  cipher?: BlockCipher;
  /** The authentication key of encrypted P1; Smarty's published one when left out. */
  authKey?: Uint8Array;
}

export class P1Decoder {
  counters: P1DecoderCounters;
  private reader: P1TelegramReader;
  private smarty: SmartyReader | null;

  constructor(options: P1DecoderOptions) {
    if (options.authKey && options.authKey.length !== 16) {
      throw new Error("authKey must be 16 bytes (32 hex digits); got " + options.authKey.length);
    }
    const self = this;
    this.reader = new P1TelegramReader({
      maxTelegram: options.maxTelegram,
      onTelegram (text) {
        if (options.onTelegram) options.onTelegram(text);
        self.decode(text, options);
      },
    });
    const c = this.reader.counters as P1DecoderCounters;
    c.readings = 0;
    c.decode_errors = 0;
    c.unknown_lines = 0;
    c.decrypt_errors = 0;
    c.replays = 0;
    c.unsupported = 0;
    this.counters = c;
    const reader = this.reader;
    this.smarty = !options.cipher ? null : new SmartyReader({
      cipher: options.cipher, authKey: options.authKey || null, counters: c, onError: options.onError,
      // Room for the telegram and the frame around it.
      maxFrame: (options.maxTelegram || 4096) + 64,
      onPlaintext (plain) {
        // One frame holds one whole telegram: what is open at its end stays incomplete.
        reader.push(plain);
        reader.flush();
        // The line's bytes were counted as they came; the plaintext is not more of them.
        c.bytes_in -= plain.length;
      },
    });
  }

  /** Feeds a chunk of the line, split anywhere. */
  push(chunk: string | Uint8Array): void {
    const bytes = typeof chunk === "string" ? toBytes(chunk) : chunk;
    if (this.smarty) {
      this.counters.bytes_in += bytes.length;
      this.smarty.push(bytes);
    } else {
      this.reader.push(bytes);
    }
  }

  /** End of input, or the line has gone quiet: a telegram still incomplete is counted. */
  flush(): void {
    if (this.smarty) this.smarty.flush();
    this.reader.flush();
  }

  private decode(text: string, options: P1DecoderOptions): void {
    let result;
    try {
      result = readTelegram(text);
    } catch (e) {
      this.counters.decode_errors++;
      if (options.onError) options.onError((e as Error).message);
      return;
    }
    this.counters.unknown_lines += result.unknown;
    this.counters.readings++;
    options.onReading(result.reading);
  }
}

/** The decoder a device makes for a P1 line (lib/device.ts), with `key` (han.key: a Smarty meter) under Espruino's
 *  AES: on the device a part's function, called once per decoder, so that a meter of another framing carries none
 *  of this code. */
export function createP1Decoder(options: P1DecoderOptions, key: Uint8Array | null): P1Decoder {
  return new P1Decoder(key ? Object.assign({ cipher: espruinoCipher(key) }, options) : options);
}
