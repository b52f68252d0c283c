// Turns (OBIS code, A-XDR value, scaler, unit) items into a normalized Reading: scaled values in base units,
// the meter's identity and clock, and the by-OBIS map that keeps everything the meter sent.
import type { AxdrNode } from "../dlms/axdr";
import { T_OCTET_STRING, T_DATE_TIME, T_NULL } from "../dlms/axdr";
import { readCosemDateTime } from "../dlms/cosem-datetime";
import { obisMeaning, identitySlot } from "../obis";
import { listKind } from "../reading";
import type { Reading, Unit, MeterClock } from "../reading";
import type { ScalingProfile } from "../scaling";
import { toHex, toBinaryString } from "../bytes";

/** DLMS unit enumeration (Blue Book 4.3.2) for the units a HAN list carries. */
const UNITS: { [code: number]: Unit } = { 27: "W", 28: "VA", 29: "var", 30: "Wh", 31: "VAh", 32: "varh", 33: "A",
  35: "V", 44: "Hz", 56: "%" };

const RATIO_UNITS: { [u: string]: boolean } = { W: true, var: true, VA: true, A: true, Wh: true, varh: true, VAh: true };

const LIST_IDS: [string, string][] = [["AIDON", "Aidon"], ["KFM", "Kaifa"], ["Kamstrup", "Kamstrup"],
  ["EMBRIQ", "Landis+Gyr"]];

function unitOf(code: number): Unit {
  const u = UNITS[code];
  return u === undefined ? null : u;
}

export function scale(raw: number, scaler: number): number {
  return scaler >= 0 ? raw * Math.pow(10, scaler) : raw / Math.pow(10, -scaler);
}

function printable(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0 && (b < 0x20 || b > 0x7e)) return false;
  }
  return true;
}

function text(node: AxdrNode): string | null {
  if (typeof node.value === "string") return node.value;
  if (node.tag === T_OCTET_STRING) {
    const bytes = node.value as Uint8Array;
    return printable(bytes) ? toBinaryString(bytes) : toHex(bytes);
  }
  return null;
}

/** Embriq pads the meter id with NULs; drop trailing padding of any kind. */
function trimPadding(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) <= 32) end--;
  return s.substring(0, end);
}

function clockOf(node: AxdrNode): MeterClock | null {
  if (node.tag !== T_OCTET_STRING && node.tag !== T_DATE_TIME) return null;
  const bytes = node.value as Uint8Array;
  return bytes.length === 12 ? readCosemDateTime(bytes, 0) : null;
}

/** Scaler and base unit for a value sent without scaler_unit: the maker's convention (han-spec.md 4.3, 4.4). */
export type ImpliedScaling = (code: string, unit: Unit) => number;

export class ReadingBuilder {
  reading: Reading;
  private profile: ScalingProfile;

  constructor(layout: string, profile: ScalingProfile) {
    this.profile = profile;
    this.reading = {
      list: 2,
      layout,
      meter: { id: null, type: null, list_version: null, manufacturer: null },
      clock: null,
      values: {},
      obis: {},
    };
  }

  /** Adds one object. scaler/unitCode come from the frame's scaler_unit, or are null to use `implied`. */
  add(code: string, node: AxdrNode, scaler: number | null, unitCode: number | null, implied: ImpliedScaling): void {
    if (node.tag === T_NULL) return;
    const r = this.reading;
    const slot = identitySlot(code);
    if (slot === "clock") {
      const clock = clockOf(node);
      if (clock) {
        r.clock = clock;
        r.obis[code] = { value: clock.local, unit: null };
        return;
      }
    }
    if (typeof node.value === "number") {
      const meaning = obisMeaning(code);
      const unit = unitCode !== null ? unitOf(unitCode) : (meaning ? meaning.unit : null);
      const s = scaler !== null ? scaler : implied(code, unit);
      let value = scale(node.value, s);
      if (unit !== null && RATIO_UNITS[unit] && this.profile.ctRatio !== 1) value = value * this.profile.ctRatio;
      r.obis[code] = { value, unit };
      if (meaning) r.values[meaning.key] = value;
      else if (slot === "id") r.meter.id = "" + node.value;
      return;
    }
    const t = text(node);
    if (t === null) return;
    r.obis[code] = { value: t, unit: null };
    if (slot === "list_version") r.meter.list_version = t;
    else if (slot === "id") r.meter.id = trimPadding(t);
    else if (slot === "type") r.meter.type = trimPadding(t);
  }

  /** Completes the reading; `manufacturer` is the layout's default when the list id names none. */
  finish(headerTime: MeterClock | null, manufacturer: string | null): Reading {
    const r = this.reading;
    if (!r.clock) r.clock = headerTime;
    r.meter.manufacturer = manufacturer;
    const id = r.meter.list_version;
    for (let i = 0; i < LIST_IDS.length; i++) {
      if (id !== null && id.indexOf(LIST_IDS[i][0]) === 0) r.meter.manufacturer = LIST_IDS[i][1];
    }
    r.list = listKind(r.values);
    return r;
  }
}
