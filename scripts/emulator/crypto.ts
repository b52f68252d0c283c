// require("crypto") on the ESP32 build (libs/crypto/jswrap_crypto.c): the digests the firmware uses, over binary
// strings, returning an ArrayBuffer of the firmware's realm; and AES in the two modes the decoder of encrypted
// meters may use, ECB and CTR encryption, with the device's argument forms and its quirks: CTR starts from a zeroed
// counter whatever `iv` says, ECB leaves a partial last block zero, and the errors mbedTLS reports are printed as
// "ERROR: ..." with undefined returned rather than thrown. Everything else in the module is a loud error.
import { createCipheriv, createDecipheriv, createHash } from "node:crypto";
import type { Host } from "./host";

function digest(algorithm: string, realmArrayBuffer: ArrayBufferConstructor) {
  return function (message: unknown): ArrayBuffer {
    const bytes = typeof message === "string" ? Buffer.from(message, "latin1") :
      Buffer.from(message as Uint8Array);
    const hash = createHash(algorithm).update(bytes).digest();
    const out = new realmArrayBuffer(hash.length);
    new Uint8Array(out).set(hash);
    return out;
  };
}

/** The bytes of a message or key as Espruino reads them (JSV_GET_AS_CHAR_ARRAY); undefined for undefined. */
function bytesOf(host: Host, what: string, v: unknown): Buffer | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string") return Buffer.from(v, "latin1");
  if (Array.isArray(v)) return Buffer.from(v.map((n) => Number(n) & 255));
  const tag = Object.prototype.toString.call(v);
  if (tag === "[object ArrayBuffer]") return Buffer.from(new Uint8Array(v as ArrayBuffer));
  if (ArrayBuffer.isView(v) || /Array\]$/.test(tag)) {
    const view = v as Uint8Array;
    return Buffer.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  }
  throw host.error("AES: a " + what + " of type " + tag + " is not emulated");
}

const MODES = ["CBC", "CFB", "CTR", "OFB", "ECB"];

function aes(host: Host, realmArrayBuffer: ArrayBufferConstructor, print: (text: string) => void, encrypt: boolean) {
  const name = encrypt ? "AES.encrypt" : "AES.decrypt";
  return function (message: unknown, key: unknown, options?: unknown): ArrayBuffer | undefined {
    let mode = "CBC";
    if (typeof options === "object" && options !== null) {
      const m = (options as { mode?: unknown }).mode;
      if (m !== undefined) {
        mode = String(m);
        if (MODES.indexOf(mode) < 0) throw host.error("Unknown Crypto mode \"" + mode + "\"");
      }
    } else if (options !== undefined) {
      print("ERROR: 'options' must be undefined, or an Object");
      return undefined;
    }
    const data = bytesOf(host, "message", message);
    const k = bytesOf(host, "key", key);
    if (!data || !k) return undefined;
    if (k.length !== 16 && k.length !== 24 && k.length !== 32) {
      print("ERROR: Unknown error: -0x20");
      return undefined;
    }
    const algorithm = "aes-" + k.length * 8;
    let out: Buffer;
    if (mode === "ECB") {
      const whole = data.length - data.length % 16;
      const c = encrypt ? createCipheriv(algorithm + "-ecb", k, null) : createDecipheriv(algorithm + "-ecb", k, null);
      c.setAutoPadding(false);
      out = Buffer.concat([c.update(data.subarray(0, whole)), c.final(), Buffer.alloc(data.length - whole)]);
    } else if (mode === "CTR" && encrypt) {
      const c = createCipheriv(algorithm + "-ctr", k, Buffer.alloc(16));
      out = Buffer.concat([c.update(data), c.final()]);
    } else {
      // CTR decryption runs the cipher on the decryption key schedule: its output is no CTR keystream.
      throw host.error("Espruino API " + name + " in " + mode + " mode is not emulated (ECB, and CTR encryption, are)");
    }
    const result = new realmArrayBuffer(out.length);
    new Uint8Array(result).set(out);
    return result;
  };
}

export function cryptoModule(host: Host, realmArrayBuffer: ArrayBufferConstructor, print: (text: string) => void): object {
  return host.loud("crypto", {
    SHA1: digest("sha1", realmArrayBuffer),
    SHA256: digest("sha256", realmArrayBuffer),
    SHA512: digest("sha512", realmArrayBuffer),
    AES: host.loud("crypto.AES", {
      encrypt: aes(host, realmArrayBuffer, print, true),
      decrypt: aes(host, realmArrayBuffer, print, false),
    }),
  });
}
