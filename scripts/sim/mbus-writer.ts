// Wired M-Bus frames (EN 13757-2) as DLMS meters push them (han-spec.md 2.4): the writing half of lib/mbus/.
//   68 L L 68 | C A CI | STSAP DTSAP | APDU bytes | CS 16
// An APDU longer than one frame holds goes out in segments, CI = sequence number (from 0) + 0x10 on the last.

const START = 0x68;
const STOP = 0x16;
/** C = SND_UD with the FCV bit, A = broadcast, as the Kaifa MA309 sends them. */
export const MBUS_C = 0x53;
export const MBUS_A = 0xff;
/** The transport SAPs every DLMS segment opens with (Kaifa MA309). */
export const MBUS_SAPS = [0x01, 0x67];
/** APDU bytes per segment: the Kaifa MA309 fills L = 250 (C, A, CI, the two SAPs and 245 bytes). */
export const MBUS_SEGMENT_DATA = 245;
/** CI bit 4: the last segment of an APDU. */
const LAST = 0x10;

function checked(n: number, max: number, what: string): void {
  if (n !== Math.floor(n) || n < 0 || n > max) throw new Error(what + " must be an integer 0.." + max + ", got " + n);
}

/** A long frame (a control frame when `data` is empty): 68 L L 68 C A CI data CS 16. A body of 256 to 258 bytes
 *  is written with its length wrapped (L = body - 256), as Sagemcom meters do; longer bodies cannot be framed. */
export function mbusLongFrame(c: number, a: number, ci: number, data: ArrayLike<number>): Uint8Array {
  checked(c, 255, "C");
  checked(a, 255, "A");
  checked(ci, 255, "CI");
  const body = 3 + data.length;
  if (body > 258) throw new Error("an M-Bus frame body holds at most 258 bytes, got " + body + "; segment it");
  const frame = new Uint8Array(body + 6);
  frame[0] = frame[3] = START;
  frame[1] = frame[2] = body & 255;
  frame[4] = c;
  frame[5] = a;
  frame[6] = ci;
  for (let i = 0; i < data.length; i++) frame[7 + i] = data[i];
  let sum = 0;
  for (let i = 4; i < 4 + body; i++) sum += frame[i];
  frame[4 + body] = sum & 255;
  frame[5 + body] = STOP;
  return frame;
}

/** A short frame: 10 C A CS 16. */
export function mbusShortFrame(c: number, a: number): Uint8Array {
  checked(c, 255, "C");
  checked(a, 255, "A");
  return new Uint8Array([0x10, c, a, (c + a) & 255, STOP]);
}

/** The frames of one APDU, each carrying at most `perFrame` of its bytes (default MBUS_SEGMENT_DATA); at most 16
 *  segments, the sequence number's range. */
export function mbusSegments(apdu: ArrayLike<number>, perFrame?: number): Uint8Array[] {
  const size = perFrame === undefined ? MBUS_SEGMENT_DATA : perFrame;
  checked(size, 253, "perFrame");
  if (size < 1) throw new Error("perFrame must be at least 1");
  const count = Math.max(1, Math.ceil(apdu.length / size));
  if (count > 16) throw new Error("an APDU of " + apdu.length + " bytes needs " + count + " segments; at most 16");
  const frames: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const part: number[] = MBUS_SAPS.slice();
    for (let i = k * size; i < Math.min(apdu.length, (k + 1) * size); i++) part.push(apdu[i]);
    frames.push(mbusLongFrame(MBUS_C, MBUS_A, k | (k === count - 1 ? LAST : 0), part));
  }
  return frames;
}

/** The segments of one APDU back to back, as they go on the line. */
export function mbusTelegram(apdu: ArrayLike<number>, perFrame?: number): Uint8Array {
  const frames = mbusSegments(apdu, perFrame);
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}
