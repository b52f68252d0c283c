// The MQTT topic contract, as data: every topic the device publishes or reads, with its retain flag and QoS, and
// the payload keys with their units. docs/mqtt.md states the same; test/mqtt-contract.test.ts keeps them in step.
import { obisMeaning } from "../obis";

export interface TopicSpec {
  /** Appended to the base topic ("status" -> "<base>/status"); "<key>" stands for each value key. */
  suffix: string;
  retain: boolean;
  qos: number;
  /** The device subscribes instead of publishing. */
  subscribed: boolean;
  /** Off unless the configuration turns it on. */
  optional: boolean;
}

function spec(suffix: string, retain: boolean, qos: number, subscribed: boolean, optional: boolean): TopicSpec {
  return { suffix, retain, qos, subscribed, optional };
}

export const TOPICS = {
  status: spec("status", true, 1, false, false),
  power: spec("power", false, 0, false, false),
  instant: spec("instant", false, 0, false, false),
  energy: spec("energy", true, 1, false, false),
  meter: spec("meter", true, 1, false, false),
  diag: spec("diag", false, 0, false, false),
  log: spec("log", false, 0, false, false),
  value: spec("<key>", false, 0, false, true),
  raw: spec("raw", false, 0, false, true),
  cmd: spec("cmd", false, 1, true, false),
};


/** Keys that every data payload carries besides the values. */
export const COMMON_KEYS: { [key: string]: string } = {
  ts: "device time of reception, UTC ISO 8601 (absent until the device clock is set)",
  meter_time: "the meter's clock as sent, local wall time \"YYYY-MM-DDThh:mm:ss\" (absent when the list has none)",
};

/** Keys only the energy payload carries. */
export const ENERGY_KEYS: { [key: string]: string } = {
  hour_start: "start of the hour the registers close, UTC ISO 8601",
  hour_end: "end of that hour: the registers are the meter's totals at this instant",
};

/** Which data topic a value key belongs on: energy registers on "energy", the rest on "instant". Active power
 *  also goes on "power", the topic of the fast list. */
export function topicOfKey(key: string): "energy" | "instant" {
  return key.indexOf("_energy_") > 0 ? "energy" : "instant";
}

/** key -> unit for every key the OBIS table can produce, tariff suffixes aside; built on first use. */
let keyUnits: { [key: string]: string | null } | null = null;

function units(): { [key: string]: string | null } {
  if (!keyUnits) {
    const table: { [key: string]: string | null } = {};
    for (let c = 1; c <= 80; c++) {
      for (let d = 7; d <= 8; d++) {
        const m = obisMeaning("1-0:" + c + "." + d + ".0.255");
        if (m) table[m.key] = m.unit;
      }
    }
    keyUnits = table;
  }
  return keyUnits;
}

/** The unit of a value key, from the same OBIS table the decoder uses. */
export function unitOfKey(key: string): string | null {
  const u = units()[key.replace(/_t[0-9]+$/, "")];
  return u === undefined ? null : u;
}

/** Every value key the decoder can produce (tariff suffixes aside). */
export function allValueKeys(): string[] {
  return Object.keys(units());
}
