// The normalized reading: what one received list means, independent of which maker's layout carried it.

/** NVE list number: 1 = active power only, 2 = instantaneous values, 3 = with energy registers; "other" = any
 *  list carrying objects outside the Norwegian NVE set (Swedish 27-element list, Danish 65-element list, ...). */
export type ListKind = 1 | 2 | 3 | "other";

export type Unit = "W" | "var" | "VA" | "A" | "V" | "Wh" | "varh" | "VAh" | "Hz" | "%" | null;

export interface ObisValue {
  /** Scaled to the base unit; strings for identification items and date-times. */
  value: number | string;
  unit: Unit;
}

export interface MeterIdentity {
  id: string | null;
  type: string | null;
  list_version: string | null;
  manufacturer: string | null;
}

/** A COSEM date-time as the meter sent it. The meter clock is a label, not a time base (han-spec.md 3.4). */
export interface MeterClock {
  /** The 12 bytes in hex. */
  raw: string;
  /** Wall-clock fields as sent, "YYYY-MM-DDThh:mm:ss"; unspecified fields become "??". */
  local: string;
  /** Minutes, UTC = local + deviation; null when the meter leaves it unspecified (0x8000). */
  deviation: number | null;
  /** 1 = Monday ... 7 = Sunday; null when unspecified. */
  weekday: number | null;
  /** clock_status byte; null when unspecified (0xFF). */
  status: number | null;
  /** The daylight-saving bit of clock_status. */
  dst: boolean;
  /** UTC ISO 8601 when the meter gives its deviation and all fields; otherwise null. */
  utc: string | null;
}

export interface Reading {
  list: ListKind;
  /** The layout that decoded the frame: "aidon", "kaifa", "kamstrup", "generic". */
  layout: string;
  meter: MeterIdentity;
  /** The meter's clock register, or the Data-Notification header time when the list has no clock register. */
  clock: MeterClock | null;
  /** Values in base units under stable snake_case keys (see lib/obis.ts). */
  values: { [key: string]: number };
  /** Every value the meter sent, by OBIS code "A-B:C.D.E.F". */
  obis: { [code: string]: ObisValue };
}
