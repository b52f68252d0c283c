// HMAC-SHA256 (RFC 2104) over binary strings, around a SHA-256 the platform supplies: Espruino's native
// require("crypto").SHA256 on the device, Node's crypto on the host.

/** SHA-256 of a binary string (one char per byte), as a 32-char binary string. */
export type Sha256 = (message: string) => string;

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Sha {
  BLOCK = 64,
}

function xorPad(key: string, pad: number): string {
  let out = "";
  for (let i = 0; i < Sha.BLOCK; i++) out += String.fromCharCode((i < key.length ? key.charCodeAt(i) : 0) ^ pad);
  return out;
}

export function hmacSha256(sha256: Sha256, key: string, message: string): string {
  const k = key.length > Sha.BLOCK ? sha256(key) : key;
  return sha256(xorPad(k, 0x5c) + sha256(xorPad(k, 0x36) + message));
}

/** Compares without stopping at the first difference, so the time taken tells nothing about the secret. */
export function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
