// CRC-16/X-25, the HDLC frame check of han-spec.md 2.1: polynomial 0x1021 reflected (0x8408), initial value
// 0xFFFF, final XOR 0xFFFF. Frames carry the result least-significant byte first.

let table: Uint16Array | null = null;

/** One table entry per byte value: the ESP32 runs this for every received frame, and eight shift steps per byte
 *  cost too much in the interpreter. Built on first use rather than at boot. */
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
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ t[(crc ^ bytes[i]) & 0xff];
  return (crc ^ 0xffff) & 0xffff;
}
