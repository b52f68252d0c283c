// Turns (OBIS code, A-XDR value, scaler, unit) items into a normalized Reading: scaled values in base units,
// the meter's identity and clock, and the by-OBIS map that keeps everything the meter sent.
import type { AxdrNode } from "../dlms/axdr";
import { T_OCTET_STRING, T_DATE_TIME, T_NULL } from "../dlms/tags";
import { readCosemDateTime } from "../dlms/cosem-datetime";
import { obisInfo } from "../obis";
import { listKind } from "../reading";
import type { Reading, Unit, MeterClock } from "../reading";
import type { ScalingProfile } from "../scaling";
import { impliedScaler } from "./implied-scaling";
import { toHex, toBinaryString } from "../bytes";

// Lookups below are code rather than tables: the interpreter would hold a table for as long as it runs.

/** DLMS unit enumeration (Blue Book 4.3.2) for the units a HAN list carries. */
function unitOf(code: number): Unit {
  switch (code) {
    case 27: return "W";
    case 28: return "VA";
    case 29: return "var";
    case 30: return "Wh";
    case 31: return "VAh";
    case 32: return "varh";
    case 33: return "A";
    case 35: return "V";
    case 44: return "Hz";
    case 56: return "%";
    default: return null;
  }
}

/** raw x 10^scaler, exact where the result can be: powers of ten by multiplication (Espruino's Math.pow is off
 *  in the last bits), and a negative scaler divides, so that 193 at -1 is exactly 19.3. */
export function scale(raw: number, scaler: number): number {
  const n = scaler < 0 ? -scaler : scaler;
  let p = 1;
  if (n > 22) p = Math.pow(10, n);
  else for (let i = 0; i < n; i++) p *= 10;
  return scaler >= 0 ? raw * p : raw / p;
}

/** Embriq pads the meter id with NULs; drop trailing padding of any kind. */
function trimPadding(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) <= 32) end--;
  return s.substring(0, end);
}

export class ReadingBuilder {
  reading: Reading;
  /** A Kamstrup current-transformer meter, whose currents come in mA: the layout finds out before it adds them. */
  ct: boolean;
  private profile: ScalingProfile;

  constructor(layout: string, profile: ScalingProfile) {
    this.profile = profile;
    this.ct = profile.ct;
    this.reading = {
      list: 2,
      layout,
      meter: { id: null, type: null, list_version: null, manufacturer: null },
      clock: null,
      values: {},
      obis: {},
    };
  }

  /** Adds one object: its OBIS code as obisKey() gives it, and its A-XDR tag and value. scaler/unitCode come
   *  from the frame's scaler_unit, or are null for the implied scaling. */
  add(code: string, tag: number, value: AxdrNode["value"], scaler: number | null, unitCode: number | null): void {
    if (tag === T_NULL) return;
    const r = this.reading;
    const info = obisInfo(code);
    const slot = info.slot;
    if (slot === "clock" && (tag === T_OCTET_STRING || tag === T_DATE_TIME) && (value as Uint8Array).length === 12) {
      const clock = readCosemDateTime(value as Uint8Array, 0) as MeterClock;
      r.clock = clock;
      r.obis[info.text] = { value: clock.local, unit: null };
      return;
    }
    if (typeof value === "number") {
      const key = info.key;
      const unit = unitCode !== null ? unitOf(unitCode) : info.unit || null;
      const profile = this.profile;
      const s = scaler !== null ? scaler : impliedScaler(r.layout, this.ct, code.charCodeAt(2), unit, profile);
      let v = s === 0 ? value : scale(value, s);
      if (profile.ctRatio !== 1 && unit !== null && unit !== "V" && unit !== "Hz" && unit !== "%") v = v * profile.ctRatio;
      r.obis[info.text] = { value: v, unit };
      if (key !== undefined) r.values[key] = v;
      else if (slot === "id") r.meter.id = "" + value;
      return;
    }
    let t: string;
    if (typeof value === "string") {
      t = value;
    } else if (tag === T_OCTET_STRING) {
      // Printable ASCII (NUL padding allowed) reads as text, anything else as hex.
      t = toBinaryString(value as Uint8Array);
      if (!/^[\x00\x20-\x7e]*$/.test(t)) t = toHex(value as Uint8Array);
    } else {
      return;
    }
    r.obis[info.text] = { value: t, unit: null };
    if (slot === "list_version") r.meter.list_version = t;
    else if (slot === "id") r.meter.id = trimPadding(t);
    else if (slot === "type") r.meter.type = trimPadding(t);
  }

  /** Completes the reading; `manufacturer` is the layout's default when the list id names none. */
  finish(headerTime: MeterClock | null, manufacturer: string | null): Reading {
    const r = this.reading;
    const check = this.profile.ctCheck;
    if (!r.clock) r.clock = headerTime;
    // The maker the list id names, if any.
    const id = r.meter.list_version || "";
    r.meter.manufacturer = id.indexOf("AIDON") === 0 ? "Aidon" : id.indexOf("KFM") === 0 ? "Kaifa" :
      id.indexOf("Kamstrup") === 0 ? "Kamstrup" : id.indexOf("EMBRIQ") === 0 ? "Landis+Gyr" : manufacturer;
    r.list = listKind(r.values);
    if (check && !this.ct) check(r, this.profile);
    return r;
  }
}
