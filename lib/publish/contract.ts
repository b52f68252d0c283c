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

/** Every topic, each followed by its flags: r retained, 1 and 2 the QoS, s subscribed by the device, o optional. One
 *  string rather than a table of objects: the device holds it for as long as it runs, and a table would cost
 *  about 150 of its variables. */
const CONTRACT = " status:r1 power: instant: energy:r2 meter:r1 diag: log: <key>:o raw:o cmd:1s update:1s " +
  "update/state: ";

export type TopicName = "status" | "power" | "instant" | "energy" | "meter" | "diag" | "log" | "<key>" | "raw" | "cmd" |
  "update" | "update/state";

function flags(name: string): string {
  const at = CONTRACT.indexOf(" " + name + ":");
  // Checked again: Espruino 2v29's String indexOf also "finds" a needle whose start matches the end of the text.
  if (at < 0 || CONTRACT.substr(at, name.length + 2) !== " " + name + ":") throw new Error("no topic " + name + " in the contract");
  const from = at + name.length + 2;
  return CONTRACT.substring(from, CONTRACT.indexOf(" ", from));
}

/** The retain flag and QoS of a topic, as the publisher sends it. */
export function topicSpec(name: TopicName): TopicSpec {
  const f = flags(name);
  return { suffix: name, retain: f.indexOf("r") >= 0, qos: f.indexOf("2") >= 0 ? 2 : f.indexOf("1") >= 0 ? 1 : 0,
    subscribed: f.indexOf("s") >= 0, optional: f.indexOf("o") >= 0 };
}

/** Every topic of the contract. */
export function allTopics(): TopicSpec[] {
  const names = CONTRACT.trim().split(" ");
  const out: TopicSpec[] = [];
  for (let i = 0; i < names.length; i++) out.push(topicSpec(names[i].split(":")[0] as TopicName));
  return out;
}

/** Which data topic a value key belongs on: energy registers on "energy", the rest on "instant". Active power
 *  also goes on "power", the topic of the fast list. */
export function topicOfKey(key: string): "energy" | "instant" {
  return key.indexOf("_energy_") > 0 ? "energy" : "instant";
}

/** key -> unit for every key the OBIS table can produce, tariff suffixes aside, and the sub-meters'; built on first
 *  use. */
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
    // The M-Bus sub-meters a P1 meter reports (lib/p1/telegram.ts), in the units DSMR sends.
    table.gas_volume = table.water_volume = "m3";
    table.heat_energy = "GJ";
    keyUnits = table;
  }
  return keyUnits;
}

/** The unit of a value key, from the same OBIS table the decoder uses. */
export function unitOfKey(key: string): string | null {
  const u = units()[key.replace(/_t[0-9]+$/, "")];
  return u === undefined ? null : u;
}

/** True for a key the decoder makes (from the OBIS table, lib/obis.ts) that the contract has: every quantity, bare
 *  or with a tariff of 1 to 9; the decoder also makes tariffs up to 255. A test holds the two together. */
export function contractKey(key: string): boolean {
  return !/_t[0-9][0-9]/.test(key);
}

/** Every value key the decoder can produce (tariff suffixes aside). */
export function allValueKeys(): string[] {
  return Object.keys(units());
}
