// Home Assistant MQTT discovery: one retained config message per entity, built one at a time (a whole set at
// once would not fit the device's memory). The meter is the device; the dongle is a second device that the
// meter is linked to with via_device, carrying the diagnostic entities.
import type { MeterIdentity } from "../reading";
import { topicOfKey } from "./contract";
import { meterText } from "./payloads";
import { insightDiscovery, insightKeys } from "../insights/discovery";
import type { InsightFeatures } from "../insights/index";

export interface DiscoveryContext {
  /** Discovery prefix, "homeassistant" by default. */
  prefix: string;
  base: string;
  deviceId: string;
  firmwareVersion: string;
  meter: MeterIdentity;
  /** The insights turned on. */
  insights?: InsightFeatures;
}

export interface EntityClass {
  device_class?: string;
  unit?: string;
  state_class: string;
  /** Divides the payload's value, so that energy reads in kWh as the energy dashboard expects. */
  divide?: number;
  diagnostic?: boolean;
}

/** The dongle's own health, from the diag payload, space-separated. */
const DIAGNOSTIC_KEYS = "rssi uptime free_memory frames_ok crc_errors bytes_dropped mqtt_reconnects energy_rejected " +
  "meter_clock_offset_s";

/** The diag keys that get a Home Assistant entity. */
export function diagnosticKeys(): string[] {
  return DIAGNOSTIC_KEYS.split(" ");
}

function measured(deviceClass: string, unit: string, stateClass: string, divide: number): EntityClass {
  const cls: EntityClass = { state_class: stateClass };
  if (deviceClass) cls.device_class = deviceClass;
  if (unit) cls.unit = unit;
  if (divide) cls.divide = divide;
  return cls;
}

function diagnostic(deviceClass: string, unit: string, stateClass: string): EntityClass {
  const cls = measured(deviceClass, unit, stateClass, 0);
  cls.diagnostic = true;
  return cls;
}

/** The class of a measured value, by the stem of its key (phase and tariff suffixes aside), or of a diagnostic.
 *  Written as code rather than a table: code stays in flash, while a table of objects would hold about 300 of
 *  the device's variables for as long as it runs. */
export function entityClass(key: string): EntityClass | null {
  const stem = function (s: string): boolean { return key.indexOf(s) === 0; };
  if (stem("active_energy")) return measured("energy", "kWh", "total_increasing", 1000);
  if (stem("reactive_energy")) return measured("reactive_energy", "kvarh", "total_increasing", 1000);
  if (stem("apparent_energy")) return measured("", "kVAh", "total_increasing", 1000);
  if (stem("active_power")) return measured("power", "W", "measurement", 0);
  if (stem("reactive_power")) return measured("reactive_power", "var", "measurement", 0);
  if (stem("apparent_power")) return measured("apparent_power", "VA", "measurement", 0);
  if (stem("current")) return measured("current", "A", "measurement", 0);
  if (stem("voltage")) return measured("voltage", "V", "measurement", 0);
  if (stem("power_factor")) return measured("power_factor", "", "measurement", 0);
  if (stem("frequency")) return measured("frequency", "Hz", "measurement", 0);
  // A P1 meter's sub-meters: "gas_volume" and "water_volume" of their device classes, "heat_energy" in GJ.
  if (key === "gas_volume" || key === "water_volume") return measured(key.split("_")[0], "m\u00b3", "total_increasing", 0);
  if (key === "heat_energy") return measured("energy", "GJ", "total_increasing", 0);
  // An array's indexOf, not a string's: Espruino 2v29's String indexOf also "finds" a needle whose start matches the
  // end of the text.
  if (diagnosticKeys().indexOf(key) < 0) return null;
  if (key === "rssi") return diagnostic("signal_strength", "dBm", "measurement");
  if (key === "uptime") return diagnostic("duration", "s", "total_increasing");
  if (key === "meter_clock_offset_s") return diagnostic("duration", "s", "measurement");
  return diagnostic("", "", key === "free_memory" ? "measurement" : "total_increasing");
}

/** An entity's name from its key: "crc_errors" reads "CRC errors"; a unit at the end ("_s") is the entity's unit,
 *  not part of its name. */
function title(key: string): string {
  const words = key.replace(/_s$/, "").split("_");
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    words[i] = /^l[1-3]$|^t[0-9]+$|^rssi$|^crc$|^mqtt$|^ok$/.test(w) ? w.toUpperCase() :
      (i === 0 ? w.charAt(0).toUpperCase() + w.substr(1) : w);
  }
  return words.join(" ");
}

function dongleId(ctx: DiscoveryContext): string {
  return "han_dongle_" + ctx.deviceId;
}

/** The meter's part of topics and unique_ids: its id as a payload carries it (meterText), with every character
 *  outside A-Z a-z 0-9 _ - made "_", so that no "/", "+", "#" or byte a broker refuses reaches a topic; the
 *  dongle's id when the meter has none. */
export function meterId(meter: MeterIdentity, deviceId: string): string {
  const id = meterText(meter.id);
  return "han_meter_" + (id ? id.replace(/[^A-Za-z0-9_-]/g, "_") : deviceId);
}

/** The state topic suffix of a key: diagnostics on "diag"; active power, and the live energy registers that
 *  integrate it, on the fast "power" topic. */
function stateTopic(key: string, diagnostic: boolean): string {
  if (diagnostic) return "diag";
  if (key === "active_power_import" || key === "active_power_export" || /_live$|_net$/.test(key)) return "power";
  return topicOfKey(key);
}

/** The retained config topic of an entity of `owner` (a meterId, or the dongle's id). */
function configTopic(prefix: string, owner: string, key: string): string {
  return prefix + "/sensor/" + owner + "/" + key + "/config";
}

/** The retained config message of one entity, or null for a key Home Assistant has no sensor class for. Keys
 *  are Home Assistant's documented abbreviations and topics start from "~" (the base topic): the payload is built
 *  whole in the device's memory, and half its size is the difference between fitting and not.
 *  A payload without the entity's key (list 1 has no export power; the guard may withhold one register) renders
 *  "", which Home Assistant ignores for a numeric sensor: the entity keeps its state, and no template warns.
 *  "*0", "*1", ... are the insights' entities (lib/insights/discovery.ts) in turn, null past the last: each announced
 *  when its feature is on in `ctx.insights`, its retained config removed (an empty payload) when off, so that turning
 *  a feature off takes its entities out of Home Assistant. */
export function discoveryMessage(ctx: DiscoveryContext, key: string): { topic: string; payload: string } | null {
  if (key.charAt(0) === "*") {
    const name = insightKeys({ capacity: true, voltage: true, net: true, consistency: true })[parseInt(key.substr(1), 10)];
    const msg = name ? insightDiscovery(ctx, name) : null;
    if (msg && !(ctx.insights && (ctx.insights as unknown as { [f: string]: boolean })[name.split("_")[0]])) msg.payload = "";
    return msg;
  }
  const cls = entityClass(key);
  if (!cls) return null;
  const diagnostic = cls.diagnostic === true;
  const owner = diagnostic ? dongleId(ctx) : meterId(ctx.meter, ctx.deviceId);
  const template = cls.divide ? "{{ (value_json." + key + " / " + cls.divide + ") | round(3) if '" + key +
    "' in value_json else '' }}" : "{{ value_json." + key + " | default('') }}";
  const maker = meterText(ctx.meter.manufacturer);
  const device: { [k: string]: unknown } = diagnostic ?
    { ids: [dongleId(ctx)], name: "HAN reader " + ctx.deviceId, mf: "han-reader", mdl: "ESP32 HAN reader",
      sw: ctx.firmwareVersion } :
    { ids: [owner], name: (maker || "Electricity") + " meter", mf: maker || "unknown",
      mdl: meterText(ctx.meter.type) || "unknown", via_device: dongleId(ctx) };
  const serial = meterText(ctx.meter.id);
  // Never an undefined member: Espruino's JSON.stringify is not known to drop them as Node's does.
  if (!diagnostic && serial) device.sn = serial;
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
  return { topic: configTopic(ctx.prefix, owner, key), payload: JSON.stringify(config) };
}
