// HDLC frame format type 3 as HAN meters send it (han-spec.md 2.1-2.3): the writing half of lib/hdlc/.
//   7E | A0|S|length(11) | destination | source | control | HCS | information | FCS | 7E
import { crc16x25 } from "../../lib/crc16";

const FLAG = 0x7e;
const FORMAT_TYPE_3 = 0xa000;
const SEGMENTED = 0x0800;
const MAX_LENGTH = 0x7ff;

/** LLC header of every HAN information field: destination LSAP E6, source LSAP E7 (a response), quality 00. */
export const LLC_HEADER = [0xe6, 0xe7, 0x00];

/** Addresses as HDLC address values, most significant part first: a client address is one part (0x20 for
 *  Aidon); a server address is one part, or two (upper, lower: Aidon's [4, 65]), or four. Each part is 7 bits;
 *  on the wire it is shifted left and the last byte of each address gets LSB 1. */
export interface HdlcAddressing {
  destination: number[];
  source: number[];
  control: number;
}

function addressBytes(parts: number[], out: number[]): void {
  if (parts.length !== 1 && parts.length !== 2 && parts.length !== 4) throw new Error("an HDLC address has 1, 2 or 4 bytes");
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p !== Math.floor(p) || p < 0 || p > 0x7f) throw new Error("an HDLC address part has 7 bits: " + p);
    out.push((p << 1) | (i === parts.length - 1 ? 1 : 0));
  }
}

/** The information field of a DLMS APDU: the LLC header, then the APDU. */
export function llcPayload(apdu: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(LLC_HEADER.length + apdu.length);
  out.set(LLC_HEADER, 0);
  for (let i = 0; i < apdu.length; i++) out[LLC_HEADER.length + i] = apdu[i];
  return out;
}

function putCrc(frame: Uint8Array, end: number): void {
  const crc = crc16x25(frame, 1, end);
  frame[end] = crc & 0xff;
  frame[end + 1] = crc >> 8;
}

/** One frame carrying info[start..end). `segmented` sets the S bit: more segments of this message follow.
 *  A frame without information has no HCS. */
export function hdlcFrame(info: ArrayLike<number>, start: number, end: number, addressing: HdlcAddressing,
  segmented: boolean): Uint8Array {
  const header: number[] = [];
  addressBytes(addressing.destination, header);
  addressBytes(addressing.source, header);
  if (addressing.control !== Math.floor(addressing.control) || addressing.control < 0 || addressing.control > 0xff) {
    throw new Error("control is one byte");
  }
  header.push(addressing.control);
  const infoLength = end - start;
  // Length counts format, addresses, control, HCS, information and FCS: everything between the flags.
  const length = 2 + header.length + (infoLength > 0 ? 2 + infoLength : 0) + 2;
  if (length > MAX_LENGTH) throw new Error("frame of " + length + " bytes exceeds the 11-bit length; segment it");
  const frame = new Uint8Array(length + 2);
  const format = FORMAT_TYPE_3 | (segmented ? SEGMENTED : 0) | length;
  frame[0] = FLAG;
  frame[1] = format >> 8;
  frame[2] = format & 0xff;
  frame.set(header, 3);
  let pos = 3 + header.length;
  if (infoLength > 0) {
    putCrc(frame, pos);
    pos += 2;
    for (let i = start; i < end; i++) frame[pos++] = info[i];
  }
  putCrc(frame, pos);
  frame[length + 1] = FLAG;
  return frame;
}

/** Splits an information field over frames of at most maxInfo information bytes each, with the S bit on all but
 *  the last. The LLC header, being the start of the field, lands in the first segment only. */
export function hdlcSegments(info: ArrayLike<number>, addressing: HdlcAddressing, maxInfo: number): Uint8Array[] {
  if (maxInfo < 1) throw new Error("maxInfo must be at least 1");
  const frames: Uint8Array[] = [];
  let start = 0;
  do {
    const end = Math.min(info.length, start + maxInfo);
    frames.push(hdlcFrame(info, start, end, addressing, end < info.length));
    start = end;
  } while (start < info.length);
  return frames;
}
