// require("crypto") on the ESP32 build (libs/crypto/jswrap_crypto.c): the digests the firmware uses, over binary
// strings, returning an ArrayBuffer of the firmware's realm. Everything else in the module is a loud error.
import { createHash } from "node:crypto";
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

export function cryptoModule(host: Host, realmArrayBuffer: ArrayBufferConstructor): object {
  return host.loud("crypto", {
    SHA1: digest("sha1", realmArrayBuffer),
    SHA256: digest("sha256", realmArrayBuffer),
    SHA512: digest("sha512", realmArrayBuffer),
  });
}
