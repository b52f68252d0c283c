// Home Assistant MQTT discovery: one retained config message per entity, built one at a time (a whole set at
// once would not fit the device's memory). The meter is the device; the dongle is a second device that the
// meter is linked to with via_device, carrying the diagnostic entities.
import type { MeterIdentity } from "../reading";
import { topicOfKey } from "./contract";

export interface DiscoveryContext {
  /** Discovery prefix, "homeassistant" by default. */
  prefix: string;
  base: string;
  deviceId: string;
  firmwareVersion: string;
  meter: MeterIdentity;
}

export interface EntityClass {
  device_class?: string;
  unit?: string;
  state_class: string;
  /** Divides the payload's value, so that energy reads in kWh as the energy dashboard expects. */
  divide?: number;
  diagnostic?: boolean;
}

/** Measured values, by the stem of their key (phase and tariff suffixes aside). */
const MEASURED: [string, EntityClass][] = [
  ["active_energy", { device_class: "energy", unit: "kWh", state_class: "total_increasing", divide: 1000 }],
  ["reactive_energy", { device_class: "reactive_energy", unit: "kvarh", state_class: "total_increasing", divide: 1000 }],
  ["apparent_energy", { unit: "kVAh", state_class: "total_increasing", divide: 1000 }],
  ["active_power", { device_class: "power", unit: "W", state_class: "measurement" }],
  ["reactive_power", { device_class: "reactive_power", unit: "var", state_class: "measurement" }],
  ["apparent_power", { device_class: "apparent_power", unit: "VA", state_class: "measurement" }],
  ["current", { device_class: "current", unit: "A", state_class: "measurement" }],
  ["voltage", { device_class: "voltage", unit: "V", state_class: "measurement" }],
  ["power_factor", { device_class: "power_factor", state_class: "measurement" }],
  ["frequency", { device_class: "frequency", unit: "Hz", state_class: "measurement" }],
];

/** The dongle's own health, from the diag payload. */
export const DIAGNOSTICS: [string, EntityClass][] = [
  ["rssi", { device_class: "signal_strength", unit: "dBm", state_class: "measurement", diagnostic: true }],
  ["uptime", { device_class: "duration", unit: "s", state_class: "total_increasing", diagnostic: true }],
  ["free_memory", { state_class: "measurement", diagnostic: true }],
  ["frames_ok", { state_class: "total_increasing", diagnostic: true }],
  ["crc_errors", { state_class: "total_increasing", diagnostic: true }],
  ["bytes_dropped", { state_class: "total_increasing", diagnostic: true }],
  ["mqtt_reconnects", { state_class: "total_increasing", diagnostic: true }],
  ["energy_rejected", { state_class: "total_increasing", diagnostic: true }],
];

export function entityClass(key: string): EntityClass | null {
  for (let i = 0; i < MEASURED.length; i++) if (key.indexOf(MEASURED[i][0]) === 0) return MEASURED[i][1];
  for (let i = 0; i < DIAGNOSTICS.length; i++) if (key === DIAGNOSTICS[i][0]) return DIAGNOSTICS[i][1];
  return null;
}

function title(key: string): string {
  const words = key.split("_");
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    words[i] = /^(l[1-3]|t[0-9]+)$/.test(w) ? w.toUpperCase() : (i === 0 ? w.charAt(0).toUpperCase() + w.substr(1) : w);
  }
  return words.join(" ");
}

function dongleId(ctx: DiscoveryContext): string {
  return "han_dongle_" + ctx.deviceId;
}

function meterId(ctx: DiscoveryContext): string {
  return "han_meter_" + (ctx.meter.id || ctx.deviceId);
}

/** The state topic suffix of a key: diagnostics on "diag", active power on the fast "power" topic. */
function stateTopic(key: string, diagnostic: boolean): string {
  if (diagnostic) return "diag";
  if (key === "active_power_import" || key === "active_power_export") return "power";
  return topicOfKey(key);
}

/** The retained config message of one entity, or null for a key Home Assistant has no sensor class for. Keys
 *  are Home Assistant's documented abbreviations and topics start from "~" (the base topic): the payload is built
 *  whole in the device's memory, and half its size is the difference between fitting and not. */
export function discoveryMessage(ctx: DiscoveryContext, key: string): { topic: string; payload: string } | null {
  const cls = entityClass(key);
  if (!cls) return null;
  const diagnostic = cls.diagnostic === true;
  const owner = diagnostic ? dongleId(ctx) : meterId(ctx);
  const template = cls.divide ? "{{ (value_json." + key + " / " + cls.divide + ") | round(3) }}" :
    "{{ value_json." + key + " }}";
  const device: { [k: string]: unknown } = diagnostic ?
    { ids: [dongleId(ctx)], name: "HAN reader " + ctx.deviceId, mf: "han-reader", mdl: "ESP32 HAN reader",
      sw: ctx.firmwareVersion } :
    { ids: [meterId(ctx)], name: (ctx.meter.manufacturer || "Electricity") + " meter",
      mf: ctx.meter.manufacturer || "unknown", mdl: ctx.meter.type || "unknown", via_device: dongleId(ctx) };
  // Never an undefined member: Espruino's JSON.stringify is not known to drop them as Node's does.
  if (!diagnostic && ctx.meter.id) device.sn = ctx.meter.id;
  // Availability uses Home Assistant's default payloads, "online" and "offline", so they are not repeated.
  const config: { [k: string]: unknown } = {
    "~": ctx.base,
    name: title(key),
    uniq_id: owner + "_" + key,
    stat_t: "~/" + stateTopic(key, diagnostic),
    val_tpl: template,
    avty_t: "~/status",
    stat_cla: cls.state_class,
    dev: device,
  };
  if (cls.device_class) config.dev_cla = cls.device_class;
  if (cls.unit) config.unit_of_meas = cls.unit;
  if (diagnostic) config.ent_cat = "diagnostic";
  return { topic: ctx.prefix + "/sensor/" + owner + "/" + key + "/config", payload: JSON.stringify(config) };
}
