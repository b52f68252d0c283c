// What signs a firmware image for one device: an HMAC-SHA256 with the device's remote.secret over a text naming
// the device, the update number, the image's length and its SHA-256. The host (scripts/update.ts) makes it, the
// device (./receiver.ts) checks it. The text starts with its own word, so that no signed command (whose text
// starts with a base topic, lib/remote/commands.ts) can ever pass for an update, nor the other way round.
import { hmacSha256, Sha256 } from "../remote/hmac";
import { toBytes, toHex } from "../bytes";

/** The MAC, 64 lower-case hex digits; `sha256Hex` is the image's digest in lower-case hex. */
export function updateMac(sha256: Sha256, secret: string, deviceId: string, update: number, length: number,
  sha256Hex: string): string {
  const text = "han-update\n" + deviceId + "\n" + update + "\n" + length + "\n" + sha256Hex;
  return toHex(toBytes(hmacSha256(sha256, secret, text)));
}
