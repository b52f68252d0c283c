// The block cipher of lib/dlms/aes-gcm.ts on the host: Node's AES-128 in ECB mode. The device uses Espruino's
// require("crypto").AES instead (lib/dlms/unwrap.ts).
import { createCipheriv } from "node:crypto";
import type { BlockCipher } from "../lib/dlms/aes-gcm";

export function nodeBlockCipher(key: Uint8Array): BlockCipher {
  if (key.length !== 16) throw new Error("an AES-128 key is 16 bytes, got " + key.length);
  return function (blocks: Uint8Array): Uint8Array {
    const cipher = createCipheriv("aes-128-ecb", key, null);
    cipher.setAutoPadding(false);
    return new Uint8Array(Buffer.concat([cipher.update(blocks), cipher.final()]));
  };
}
