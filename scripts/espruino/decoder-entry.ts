// The entry the Espruino gate bundles: the decoder, driven the way the firmware drives it, with everything it
// reports gathered into one JSON-serializable result. The same module runs in plain Node (imported) and, bundled,
// in the Espruino-shaped context (via globalThis.__gate), so the two results can be compared. It is bundled for
// the device, so it keeps to the same language rules as lib/.
import { HanDecoder, DecoderCounters } from "../../lib/han-decoder";
import { fromHex, toBytes, toHex } from "../../lib/bytes";
import { createMbusReader } from "../../lib/mbus/frame-reader";
import { ctFromPowers } from "../../lib/meters/ct-from-powers";
import { createUnwrap } from "../../lib/dlms/unwrap";
import type { BlockCipher } from "../../lib/dlms/aes-gcm";
import type { Reading } from "../../lib/reading";
import type { ScalingProfile } from "../../lib/scaling";

export interface GateOptions {
  /** "string": Espruino binary strings, as a Serial 'data' event delivers them; "bytes": Uint8Array. */
  input: "string" | "bytes";
  /** "stream": through push() and the HDLC reader; "message": decodeMessage(), for input without HDLC. */
  mode: "stream" | "message";
  /** Bytes per push(), since the UART splits anywhere; 0 pushes each frame whole. */
  chunk: number;
  layout?: string;
  /** "hdlc" (default) or "mbus" (lib/mbus/frame-reader.ts, bundled here for the gate). */
  framing?: string;
  /** Leaves a current-transformer meter to the frames (lib/meters/ct-from-powers.ts). */
  ctFromPowers?: boolean;
  scaling?: Partial<ScalingProfile>;
  /** Opens ciphered and block-transfer APDUs (lib/dlms/unwrap.ts); the cipher is the host's, the context having
   *  no require("crypto"). Refusals land in `errors`. */
  unwrap?: { key: string | null; authKey: string | null; cipher?: BlockCipher };
}

export interface GateResult {
  readings: Reading[];
  /** Every frame the reader accepted, in hex. */
  frames: string[];
  unsupported: string[];
  errors: string[];
  counters: DecoderCounters;
}

function binaryString(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function feed(decoder: HanDecoder, bytes: Uint8Array, options: GateOptions): void {
  if (options.mode === "message") {
    decoder.decodeMessage(options.input === "string" ? toBytes(binaryString(bytes)) : bytes);
    return;
  }
  const size = options.chunk > 0 ? options.chunk : bytes.length;
  for (let at = 0; at < bytes.length; at += size) {
    const part = bytes.subarray(at, at + size);
    decoder.push(options.input === "string" ? binaryString(part) : part);
  }
}

export function decodeHexList(hexes: string[], options: GateOptions): GateResult {
  const readings: Reading[] = [];
  const frames: string[] = [];
  const unsupported: string[] = [];
  const errors: string[] = [];
  const decoder = new HanDecoder({
    layout: options.layout,
    reader: options.framing === "mbus" ? createMbusReader : undefined,
    scaling: options.ctFromPowers ? Object.assign({ ctCheck: ctFromPowers }, options.scaling) : options.scaling,
    onReading: function (reading) { readings.push(reading); },
    onFrame: function (frame) { frames.push(toHex(frame)); },
    onUnsupported: function (why) { unsupported.push(why); },
    onError: function (why) { errors.push(why); },
    unwrap: options.unwrap ? createUnwrap({ key: options.unwrap.key ? fromHex(options.unwrap.key) : null,
      authKey: options.unwrap.authKey ? fromHex(options.unwrap.authKey) : null, cipher: options.unwrap.cipher,
      onRefused: function (why) { errors.push(why); } }) : undefined,
  });
  for (let i = 0; i < hexes.length; i++) feed(decoder, fromHex(hexes[i]), options);
  if (options.mode === "stream") decoder.flush();
  return { readings: readings, frames: frames, unsupported: unsupported, errors: errors, counters: decoder.counters };
}

/** For the throughput figure: converts the frames to binary strings once, then returns a function that pushes
 *  them all `rounds` times into one decoder and returns the number of readings. */
export function prepareBench(hexes: string[]): (rounds: number) => number {
  const chunks: string[] = [];
  for (let i = 0; i < hexes.length; i++) chunks.push(binaryString(fromHex(hexes[i])));
  return function (rounds) {
    let count = 0;
    const decoder = new HanDecoder({ onReading: function () { count++; } });
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < chunks.length; i++) decoder.push(chunks[i]);
    }
    return count;
  };
}

export interface GateApi {
  decodeHexList: typeof decodeHexList;
  prepareBench: typeof prepareBench;
}

(globalThis as unknown as { __gate: GateApi }).__gate = { decodeHexList: decodeHexList, prepareBench: prepareBench };
