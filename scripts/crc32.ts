// CRC-32 as zlib and Espruino's E.CRC32 compute it (reflected, polynomial 0xEDB88320, inverted in and out): the
// host tools compare a file they wrote to Storage with what the device reads back, and the emulator gives the
// firmware's realm the same function.

const TABLE: number[] = [];
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE.push(c >>> 0);
}

/** CRC-32 of a binary string (one byte per character) or of byte values; unsigned. */
export function crc32(data: string | ArrayLike<number>): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    const byte = typeof data === "string" ? data.charCodeAt(i) & 0xff : Number(data[i]) & 0xff;
    crc = TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
