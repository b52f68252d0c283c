// DSMR P1 telegrams from the simulator's values, written the way the meters of each DSMR version write them
// (DSMR P1 companion standard 5.0.2 6.12; 4.2; 2.2 with its gas value on the line after), with M-Bus gas, water
// and heat sub-meters; and Luxembourg's encrypted form (Smarty: the telegram inside a general-glo-ciphering-shaped
// frame, AES-128-GCM by Node's own crypto). The writing half of lib/p1/: each telegram comes with the values a
// correct decoder reports for it, worked out from the digits written, not by decoding.
import { createCipheriv } from "node:crypto";
import { crc16arc } from "../../lib/p1/telegram-reader";
import { civilTime, cetOffsetMinutes, isEuSummerTime } from "./wallclock";

export type P1Version = "2.2" | "4.2" | "5.0";

/** An M-Bus device behind the meter: EN 13757-3 device type 3 gas, 7 water, 4 heat. */
export interface SubMeter {
  channel: number;
  type: 3 | 4 | 7;
  /** Equipment identifier, ASCII (written in hex). */
  id: string;
  /** m3 for gas and water, GJ for heat. */
  value: number;
  /** UTC ms at which the sub-meter captured the value. */
  capturedAt: number;
}

export interface P1WriterOptions {
  version: P1Version;
  phases: 1 | 3;
  /** Equipment identifier, ASCII; written in hex. */
  meterId: string;
  /** The identification line after "/"; the DSMR example meter's by default. */
  ident?: string;
}

/** What a decoder must report for a telegram: values by key, and the sub-meters' capture times. */
export interface P1Expected {
  values: { [key: string]: number };
  times: { [key: string]: string };
}

export interface P1Telegram {
  text: string;
  bytes: Uint8Array;
  expected: P1Expected;
}

const KIND: { [type: number]: string } = { 3: "gas_volume", 7: "water_volume", 4: "heat_energy" };

/** n as a whole number of at least `width` digits. */
function pad(n: number, width: number): string {
  let s = "" + n;
  while (s.length < width) s = "0" + s;
  return s;
}

/** A non-negative quantity in units of 10^-decimals, written with `whole` integer digits: 1581123, 3, 6 ->
 *  "001581.123". */
function fixed(units: number, decimals: number, whole: number): string {
  if (decimals === 0) return pad(units, whole);
  const scale = Math.pow(10, decimals);
  return pad(Math.floor(units / scale), whole) + "." + pad(units % scale, decimals);
}

/** "YYMMDDhhmmss" of a UTC instant in Central European time, with the S/W flag (DSMR 4 and 5) or without (2.2). */
function timeStamp(utcMs: number, flag: boolean): string {
  const t = civilTime(utcMs, cetOffsetMinutes(utcMs));
  return pad(t.year % 100, 2) + pad(t.month, 2) + pad(t.day, 2) + pad(t.hour, 2) + pad(t.minute, 2) + pad(t.second, 2) +
    (flag ? (isEuSummerTime(utcMs) ? "S" : "W") : "");
}

function wallText(stamp: string): string {
  return "20" + stamp.substr(0, 2) + "-" + stamp.substr(2, 2) + "-" + stamp.substr(4, 2) + "T" + stamp.substr(6, 2) + ":" +
    stamp.substr(8, 2) + ":" + stamp.substr(10, 2);
}

function hex(text: string): string {
  return Buffer.from(text, "latin1").toString("hex").toUpperCase();
}

/** The Dutch low tariff (1) by night and at weekends, the normal one (2) otherwise. */
function tariffAt(utcMs: number): 1 | 2 {
  const t = civilTime(utcMs, cetOffsetMinutes(utcMs));
  return t.weekday >= 6 || t.hour < 7 || t.hour >= 23 ? 1 : 2;
}

/** Writes a meter's telegrams. Stateful as a meter is: its registers per tariff take each rise of the total at
 *  the tariff of the moment. */
export class P1Writer {
  private o: P1WriterOptions;
  /** Wh per direction (import, export) per tariff, as the registers stand; null before the first telegram. */
  private registers: number[] | null;
  private totals: number[];

  constructor(options: P1WriterOptions) {
    this.o = options;
    this.registers = null;
    this.totals = [0, 0];
  }

  /** A telegram at utcMs of the simulator's values (base units under the keys of lib/obis.ts; totals for the
   *  energy registers) and its sub-meters. */
  telegram(utcMs: number, values: { [key: string]: number }, subMeters: SubMeter[]): P1Telegram {
    const v2 = this.o.version === "2.2";
    const tariff = tariffAt(utcMs);
    const lines: string[] = [];
    const expected: P1Expected = { values: {}, times: {} };
    const e = expected.values;
    const line = function (code: string, value: string): void { lines.push(code + "(" + value + ")"); };
    /** A quantity in base units written in k-units with `decimals`; returns what it reads back as. */
    const kilo = function (code: string, key: string, base: number, decimals: number, whole: number, unit: string): void {
      const units = Math.round(Math.max(0, base) / Math.pow(10, 3 - decimals));
      line(code, fixed(units, decimals, whole) + "*" + unit);
      e[key] = units * Math.pow(10, 3 - decimals);
    };

    const totals = [Math.max(0, values.active_energy_import || 0), Math.max(0, values.active_energy_export || 0)];
    if (this.registers === null) {
      // A meter that has run for a while: some 40 % of its energy booked at the low tariff.
      this.registers = [totals[0] * 0.4, totals[0] * 0.6, totals[1] * 0.4, totals[1] * 0.6];
    } else {
      for (let d = 0; d < 2; d++) this.registers[2 * d + tariff - 1] += Math.max(0, totals[d] - this.totals[d]);
    }
    this.totals = totals;

    if (!v2) line("1-3:0.2.8", this.o.version === "5.0" ? "50" : "42");
    if (!v2) line("0-0:1.0.0", timeStamp(utcMs, true));
    line("0-0:96.1.1", hex(this.o.meterId));
    const names = ["active_energy_import", "active_energy_export"];
    for (let d = 0; d < 2; d++) {
      let sum = 0;
      for (let t = 1; t <= 2; t++) {
        kilo("1-0:" + (d + 1) + ".8." + t, names[d] + "_t" + t, this.registers[2 * d + t - 1], 3, v2 ? 5 : 6, "kWh");
        sum += e[names[d] + "_t" + t];
      }
      e[names[d]] = sum;
    }
    line("0-0:96.14.0", pad(tariff, 4));
    kilo("1-0:1.7.0", "active_power_import", values.active_power_import || 0, v2 ? 2 : 3, v2 ? 4 : 2, "kW");
    kilo("1-0:2.7.0", "active_power_export", values.active_power_export || 0, v2 ? 2 : 3, v2 ? 4 : 2, "kW");
    if (v2) {
      line("0-0:17.0.0", "0999.00*kW");
      line("0-0:96.3.10", "1");
      line("0-0:96.13.1", "");
    } else {
      line("0-0:96.7.21", "00004");
      line("0-0:96.7.9", "00002");
      lines.push("1-0:99.97.0(2)(0-0:96.7.19)(" + timeStamp(utcMs - 86400000, true) + ")(0000000240*s)(" +
        timeStamp(utcMs - 172800000, true) + ")(0000000301*s)");
      for (let k = 1; k <= this.o.phases; k++) line("1-0:" + (12 + 20 * k) + ".32.0", "00002");
      for (let k = 1; k <= this.o.phases; k++) line("1-0:" + (12 + 20 * k) + ".36.0", "00000");
    }
    line("0-0:96.13.0", "");
    if (!v2) {
      for (let k = 1; k <= this.o.phases; k++) {
        if (this.o.version === "5.0") {
          const dv = Math.round((values["voltage_l" + k] || 0) * 10);
          line("1-0:" + (12 + 20 * k) + ".7.0", fixed(dv, 1, 3) + "*V");
          e["voltage_l" + k] = dv / 10;
        }
        const amps = Math.round(Math.abs(values["current_l" + k] || 0));
        line("1-0:" + (11 + 20 * k) + ".7.0", pad(amps, 3) + "*A");
        e["current_l" + k] = amps;
      }
      for (let dir = 0; dir < 2; dir++) {
        for (let k = 1; k <= this.o.phases; k++) {
          const key = "active_power_" + (dir ? "export" : "import") + "_l" + k;
          kilo("1-0:" + (20 * k + 1 + dir) + ".7.0", key, values[key] || 0, 3, 2, "kW");
        }
      }
    }
    for (let i = 0; i < subMeters.length; i++) {
      const m = subMeters[i];
      const b = "0-" + m.channel + ":";
      const units = Math.round(m.value * 1000);
      const unit = m.type === 4 ? "GJ" : "m3";
      const stamp = timeStamp(m.capturedAt, !v2);
      line(b + "24.1.0", v2 ? "" + m.type : pad(m.type, 3));
      line(b + "96.1.0", hex(m.id));
      if (v2) {
        lines.push(b + "24.3.0(" + stamp + ")(08)(60)(1)(" + b + "24.2.1)(" + unit + ")");
        lines.push("(" + fixed(units, 3, 5) + ")");
        line(b + "24.4.0", "1");
      } else {
        line(b + "24.2.1", stamp + ")(" + fixed(units, 3, 5) + "*" + unit);
      }
      if (e[KIND[m.type]] === undefined) {
        e[KIND[m.type]] = units / 1000;
        expected.times[KIND[m.type]] = wallText(stamp);
      }
    }
    const body = "/" + (this.o.ident || "ISk5\\2MT382-1000") + "\r\n\r\n" + lines.join("\r\n") + "\r\n!";
    const raw = Buffer.from(body, "latin1");
    const text = v2 ? body : body + crc16arc(raw, 0, raw.length).toString(16).toUpperCase().padStart(4, "0");
    return { text, bytes: new Uint8Array(Buffer.from(text + "\r\n", "latin1")), expected };
  }
}

export interface SmartyFraming {
  /** 16 bytes. */
  key: Uint8Array;
  /** 8 bytes: "SAG" and the meter's number in Sagemcom's meters. */
  systemTitle: Uint8Array;
  frameCounter: number;
  /** Smarty's published authentication key when left out. */
  authKey?: Uint8Array;
  /** 0x30 (authenticated encryption, Smarty) or 0x20 (encryption only). */
  security?: number;
}

/** Smarty's authentication key: 00 11 22 ... FF. */
export function smartyAuthKey(): Uint8Array {
  const ak = new Uint8Array(16);
  for (let i = 0; i < 16; i++) ak[i] = i * 0x11;
  return ak;
}

/** A telegram inside Luxembourg's encrypted frame: DB 08 <system title> 82 <length> <security byte> <frame
 *  counter> <ciphertext> <tag 12>. */
export function smartyFrame(telegram: Uint8Array, f: SmartyFraming): Uint8Array {
  const sc = f.security === undefined ? 0x30 : f.security;
  const tagged = (sc & 0x10) !== 0;
  const fc = Buffer.alloc(4);
  fc.writeUInt32BE(f.frameCounter >>> 0);
  const iv = Buffer.concat([Buffer.from(f.systemTitle), fc]);
  const cipher = createCipheriv("aes-128-gcm", f.key, iv, { authTagLength: tagged ? 12 : 16 });
  if (tagged) cipher.setAAD(Buffer.concat([Buffer.from([sc]), Buffer.from(f.authKey || smartyAuthKey())]));
  const ct = Buffer.concat([cipher.update(telegram), cipher.final()]);
  const tag = tagged ? cipher.getAuthTag() : Buffer.alloc(0);
  const length = 5 + ct.length + tag.length;
  return new Uint8Array(Buffer.concat([Buffer.from([0xdb, 0x08]), Buffer.from(f.systemTitle),
    Buffer.from([0x82, length >> 8, length & 255, sc]), fc, ct, tag]));
}
