// The Data-Notification APDU (han-spec.md 3.1) with its date-time field in any of the four encodings meters use:
// the writing half of lib/dlms/notification.ts.
import { AxdrWriter, cosemDateTime, DateTimeFields } from "./axdr-writer";
import { APDU_DATA_NOTIFICATION } from "../../lib/dlms/notification";

/** "none": 00 (Aidon, Embriq, Swedish Kaifa); "octet-string": 0C + 12 (Kamstrup, Austrian lists);
 *  "tagged-octet-string": 09 0C + 12 (Norwegian Kaifa, old Kamstrup firmware); "date-time": 19 + 12. */
export type TimeEncoding = "none" | "octet-string" | "tagged-octet-string" | "date-time";

/** invokeId is the whole long-invoke-id-and-priority word (0x40000000 for Aidon and Kaifa). */
export function dataNotification(invokeId: number, encoding: TimeEncoding, time: DateTimeFields | null,
  body: ArrayLike<number>): Uint8Array {
  if (invokeId !== Math.floor(invokeId) || invokeId < 0 || invokeId > 0xffffffff) throw new Error("invoke id is 32 bits");
  const w = new AxdrWriter().raw([APDU_DATA_NOTIFICATION, (invokeId >>> 24) & 0xff, (invokeId >>> 16) & 0xff,
    (invokeId >>> 8) & 0xff, invokeId & 0xff]);
  if (encoding === "none") {
    w.raw([0]);
  } else {
    if (time === null) throw new Error("date-time encoding " + encoding + " needs a time");
    if (encoding === "octet-string") w.raw([12]).raw(cosemDateTime(time));
    else if (encoding === "tagged-octet-string") w.dateTimeOctets(time);
    else w.dateTime(time);
  }
  return w.raw(body).bytes();
}
