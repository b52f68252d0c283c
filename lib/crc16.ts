// CRC-16/X-25, the HDLC frame check of han-spec.md 2.1: polynomial 0x1021 reflected (0x8408), initial value
// 0xFFFF, final XOR 0xFFFF. Frames carry the result least-significant byte first.

let table: Uint16Array | null = null;

/** What each byte value contributes, in a flat typed array: 512 bytes of RAM, where an array of numbers would cost
 *  a variable per entry (and a table for eight bytes at a time, 4 KB, for a few per cent of a frame's time). Built
 *  on first use rather than at boot. */
function buildTable(): Uint16Array {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    t[n] = c;
  }
  return t;
}

/** CRC of bytes[start .. end) (end exclusive). */
export function crc16x25(bytes: Uint8Array, start: number, end: number): number {
  if (table === null) table = buildTable();
  const t = table;
  const b = bytes;
  let c = 0xffff;
  let i = start;
  // Eight bytes per loop step: the interpreter's cost is per statement, and the loop's test is one.
  while (i < end - 7) {
    c = c >> 8 ^ t[c & 255 ^ b[i]];
    c = c >> 8 ^ t[c & 255 ^ b[i + 1]];
    c = c >> 8 ^ t[c & 255 ^ b[i + 2]];
    c = c >> 8 ^ t[c & 255 ^ b[i + 3]];
    c = c >> 8 ^ t[c & 255 ^ b[i + 4]];
    c = c >> 8 ^ t[c & 255 ^ b[i + 5]];
    c = c >> 8 ^ t[c & 255 ^ b[i + 6]];
    c = c >> 8 ^ t[c & 255 ^ b[i + 7]];
    i += 8;
  }
  while (i < end) c = c >> 8 ^ t[c & 255 ^ b[i++]];
  return c ^ 0xffff;
}
