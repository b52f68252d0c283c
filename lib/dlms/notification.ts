// The DLMS Data-Notification APDU (tag 0x0F, han-spec.md 3.1): invoke id, an optional date-time in any of the
// four encodings meters use, and one Data value as the body.
import { cursor, readData, AxdrNode, T_OCTET_STRING, T_DATE_TIME } from "./axdr";
import { readCosemDateTime } from "./cosem-datetime";
import type { MeterClock } from "../reading";

export const APDU_DATA_NOTIFICATION = 0x0f;
export const APDU_GENERAL_GLO_CIPHERING = 0xdb;
export const APDU_GENERAL_BLOCK_TRANSFER = 0xe0;

export interface DataNotification {
  invokeId: number;
  /** The header date-time, or null when the meter sends none. */
  time: MeterClock | null;
  body: AxdrNode;
}

/** Parses the APDU at bytes[start..end); throws a readable Error on malformed input. */
export function readDataNotification(bytes: Uint8Array, start: number, end: number): DataNotification {
  const c = cursor(bytes, start, end);
  if (c.end - c.pos < 6 || bytes[c.pos] !== APDU_DATA_NOTIFICATION) throw new Error("not a Data-Notification");
  c.pos++;
  const invokeId = ((bytes[c.pos] * 256 + bytes[c.pos + 1]) * 256 + bytes[c.pos + 2]) * 256 + bytes[c.pos + 3];
  c.pos += 4;
  const kind = bytes[c.pos];
  let time: MeterClock | null = null;
  if (kind === 0x00) {
    c.pos += 1;
  } else if (kind === 0x0c || kind === T_DATE_TIME) {
    if (c.end - c.pos < 13) throw new Error("Data-Notification: truncated date-time");
    time = readCosemDateTime(bytes, c.pos + 1);
    c.pos += 13;
  } else if (kind === T_OCTET_STRING && bytes[c.pos + 1] === 0x0c) {
    if (c.end - c.pos < 14) throw new Error("Data-Notification: truncated date-time");
    time = readCosemDateTime(bytes, c.pos + 2);
    c.pos += 14;
  } else {
    throw new Error("Data-Notification: unknown date-time encoding 0x" + kind.toString(16));
  }
  const body = readData(c, 0);
  return { invokeId, time, body };
}
