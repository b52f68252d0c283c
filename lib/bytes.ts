// Byte input in both shapes the decoder meets: Espruino's Serial 'data' events deliver binary strings
// (one char per byte, 0-255); Node and typed-array sources deliver Uint8Array.

export function toBytes(chunk: string | Uint8Array): Uint8Array {
  if (typeof chunk !== "string") return chunk;
  const out = new Uint8Array(chunk.length);
  for (let i = 0; i < chunk.length; i++) out[i] = chunk.charCodeAt(i) & 255;
  return out;
}

/** Espruino's E, where the code runs in it (on the device, in the emulator); Node has none. */
declare const E: { toString(bytes: Uint8Array): string | undefined } | undefined;

/** The inverse: bytes as a binary string, one char per byte (as Espruino's sockets and strings hold them). In
 *  Espruino one native call (E.toString), which gives no string when memory is short; else one native call per
 *  256 bytes rather than an interpreted step per byte: Espruino's apply takes at most 256 arguments, and its
 *  subarray does not stop at the end by itself. */
export function toBinaryString(bytes: Uint8Array): string {
  const whole = typeof E === "undefined" ? undefined : E.toString(bytes);
  if (typeof whole === "string") return whole;
  let s = "";
  for (let i = 0; i < bytes.length; i += 256) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(i + 256, bytes.length)) as unknown as number[]);
  }
  return s;
}

const HEX = "0123456789abcdef";

export function toHex(bytes: Uint8Array, start?: number, end?: number): string {
  const from = start === undefined ? 0 : start;
  const to = end === undefined ? bytes.length : end;
  let s = "";
  for (let i = from; i < to; i++) s += HEX.charAt(bytes[i] >> 4) + HEX.charAt(bytes[i] & 15);
  return s;
}

/** Bytes of a hex string; whitespace, colons and a leading 0x are ignored. Throws on anything else. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/^0x/i, "").replace(/[\s:]/g, "");
  if (clean.length % 2 !== 0) throw new Error("hex has an odd number of digits");
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw new Error("not hex: contains characters other than 0-9, a-f");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}
