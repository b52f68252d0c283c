// The DLMS Data-Notification APDU (tag 0x0F, han-spec.md 3.1): invoke id, an optional date-time in any of the
// four encodings meters use, and one Data value as the body.
import { cursor, readData, AxdrNode } from "./axdr";
import { T_OCTET_STRING, T_DATE_TIME, APDU_DATA_NOTIFICATION } from "./tags";
import { readCosemDateTime } from "./cosem-datetime";
import type { MeterClock } from "../reading";

// The tag lives in ./tags.ts, where the bundler writes it into the code; the encoders take it from here.
export { APDU_DATA_NOTIFICATION };

export interface DataNotification {
  invokeId: number;
  /** The header date-time, or null when the meter sends none. */
  time: MeterClock | null;
  body: AxdrNode;
}

/** The header of a Data-Notification, and where its body starts. */
export interface NotificationHeader {
  invokeId: number;
  time: MeterClock | null;
  bodyAt: number;
}

/** Parses the header of the APDU at bytes[start..end); throws a readable Error on malformed input. */
export function readNotificationHeader(bytes: Uint8Array, start: number, end: number): NotificationHeader {
  let p = start;
  if (end - p < 6 || bytes[p] !== APDU_DATA_NOTIFICATION) throw new Error("not a Data-Notification");
  p++;
  const invokeId = ((bytes[p] * 256 + bytes[p + 1]) * 256 + bytes[p + 2]) * 256 + bytes[p + 3];
  p += 4;
  const kind = bytes[p];
  let time: MeterClock | null = null;
  if (kind === 0x00) {
    p += 1;
  } else if (kind === 0x0c || kind === T_DATE_TIME) {
    if (end - p < 13) throw new Error("Data-Notification: truncated date-time");
    time = readCosemDateTime(bytes, p + 1);
    p += 13;
  } else if (kind === T_OCTET_STRING && bytes[p + 1] === 0x0c) {
    if (end - p < 14) throw new Error("Data-Notification: truncated date-time");
    time = readCosemDateTime(bytes, p + 2);
    p += 14;
  } else {
    throw new Error("Data-Notification: unknown date-time encoding 0x" + kind.toString(16));
  }
  return { invokeId, time, bodyAt: p };
}

/** Parses the APDU at bytes[start..end); throws a readable Error on malformed input. */
export function readDataNotification(bytes: Uint8Array, start: number, end: number): DataNotification {
  const h = readNotificationHeader(bytes, start, end);
  return { invokeId: h.invokeId, time: h.time, body: readData(cursor(bytes, h.bodyAt, end), 0) };
}
