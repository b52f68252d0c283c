// The normalized reading: what one received list means, independent of which maker's layout carried it.

/** NVE list number: 1 = active power only, 2 = instantaneous values, 3 = with energy registers; "other" = any
 *  list carrying objects outside the Norwegian NVE set (Swedish 27-element list, Danish 65-element list, ...). */
export type ListKind = 1 | 2 | 3 | "other";

export type Unit = "W" | "var" | "VA" | "A" | "V" | "Wh" | "varh" | "VAh" | "Hz" | "%" | "m3" | "GJ" | null;

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
  /** The layout that decoded the frame: "aidon", "kaifa", "kamstrup", "burgenland" (Austrian, positional), "push"
   *  (a list that sends its push object list), "generic". */
  layout: string;
  meter: MeterIdentity;
  /** The meter's clock register, or the Data-Notification header time when the list has no clock register. */
  clock: MeterClock | null;
  /** Values in base units under stable snake_case keys (see lib/obis.ts). */
  values: { [key: string]: number };
  /** Every value the meter sent, by OBIS code "A-B:C.D.E.F". */
  obis: { [code: string]: ObisValue };
  /** For a value captured at a time of its own (a P1 meter's M-Bus gas, water and heat meters): that time, the
   *  sub-meter's local wall time "YYYY-MM-DDThh:mm:ss", by value key. */
  times?: { [key: string]: string };
}

/** Which list a set of values is, from the values alone: the same answer whichever maker's layout carried it. */
export function listKind(values: { [key: string]: number }): ListKind {
  const keys = Object.keys(values);
  // The objects of the Norwegian NVE lists, each between spaces: a string in the code rather than a table, which the
  // interpreter would hold for as long as it runs. It ends in "." rather than a space: Espruino's indexOf takes the
  // end of the text for a match when that end begins what it looks for ("abc".indexOf("cd") is 2).
  const nve = " active_power_import active_power_export reactive_power_import reactive_power_export current_l1 " +
    "current_l2 current_l3 voltage_l1 voltage_l2 voltage_l3 active_energy_import active_energy_export " +
    "reactive_energy_import reactive_energy_export .";
  let energy = false;
  for (let i = 0; i < keys.length; i++) {
    if (nve.indexOf(" " + keys[i] + " ") < 0) return "other";
    if (keys[i].indexOf("_energy_") > 0) energy = true;
  }
  if (energy) return 3;
  return keys.length === 1 && keys[0] === "active_power_import" ? 1 : 2;
}
