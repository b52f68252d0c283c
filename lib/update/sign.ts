// What signs a firmware image for one device: an HMAC-SHA256 with the device's remote.secret over a text naming
// the device, the update number, the image's length and its SHA-256. The host (scripts/update.ts) makes it, the
// device (./receiver.ts) checks it. The text starts with its own word, so that no signed command (whose text
// starts with a base topic, lib/remote/commands.ts) can ever pass for an update, nor the other way round. The
// digest is taken a piece at a time (imageDigest): the device holds no string longer than 65,535 bytes, and a slot
// file, the firmware's script with its parts, may be longer.
import { hmacSha256, Sha256 } from "../remote/hmac";
import { toBytes, toHex } from "../bytes";

/** The MAC, 64 lower-case hex digits; `sha256Hex` is the image's digest in lower-case hex. */
export function updateMac(sha256: Sha256, secret: string, deviceId: string, update: number, length: number,
  sha256Hex: string): string {
  const text = "han-update\n" + deviceId + "\n" + update + "\n" + length + "\n" + sha256Hex;
  return toHex(toBytes(hmacSha256(sha256, secret, text)));
}

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Image {
  /** Bytes of the image hashed at a time. */
  PIECE = 32768,
}

/** The image's digest as an update signs it, 32 bytes: the SHA-256 of the SHA-256s of its pieces of PIECE bytes, in
 *  order. `piece(at, length)` reads that range of the image (undefined: it is not there). */
export function imageDigest(sha256: Sha256, piece: (at: number, length: number) => string | undefined,
  length: number): string {
  let digests = "";
  for (let at = 0; at < length; at += Image.PIECE) {
    digests += sha256(piece(at, Math.min(Image.PIECE, length - at)) || "");
  }
  return sha256(digests);
}
