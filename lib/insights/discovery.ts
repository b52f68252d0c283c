// Home Assistant discovery for the insights: one retained config per entity, built one at a time as the
// publisher's are (lib/publish/discovery.ts), on the meter's device.
import type { DiscoveryContext } from "../publish/discovery";
import { meterId } from "../publish/discovery";
import type { InsightFeatures } from "./index";

/** Each entity: key, topic under <base>/insights/, payload field ("" for a plain ON/OFF payload), unit, device
 *  class, state class ("b" for a binary sensor). A string rather than a table: code, not variables, on the
 *  device. */
const ENTITIES = " capacity_step:capacity:step:::measurement" +
  " capacity_average:capacity:average_kw:kW:power:measurement" +
  " capacity_hour:capacity:hour_kwh:kWh::measurement" +
  " capacity_projection:capacity:projection_kwh:kWh::measurement" +
  " capacity_headroom:capacity:headroom_w:W:power:measurement" +
  " capacity_alert:capacity/alert:::problem:b" +
  " voltage_minutes_low:voltage:minutes_low:min:duration:total_increasing" +
  " voltage_minutes_high:voltage:minutes_high:min:duration:total_increasing" +
  " voltage_min:voltage:min:V:voltage:measurement" +
  " voltage_max:voltage:max:V:voltage:measurement" +
  " voltage_events_month:voltage:month_events:::total_increasing" +
  " voltage_imbalanced:voltage:imbalanced:::total_increasing" +
  " net_energy:net:net_energy:Wh::measurement" +
  " net_export_hours_today:net:export_hours_today:h::total_increasing" +
  " net_export_hours_month:net:export_hours_month:h::total_increasing" +
  " consistency_deviation:consistency:deviation_pct:%::measurement" +
  " consistency_deviation_30:consistency:deviation_30_pct:%::measurement" +
  " consistency_coverage:consistency:coverage_pct:%::measurement" +
  " consistency_flagged:consistency:flagged::problem:b ";

/** The keys of the entities of the features turned on. */
export function insightKeys(o: InsightFeatures): string[] {
  const all = ENTITIES.trim().split(" ");
  const out: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const key = all[i].split(":")[0];
    const feature = key.split("_")[0];
    if ((o as unknown as { [f: string]: boolean })[feature]) out.push(key);
  }
  return out;
}

/** The retained config message of one entity; null for a key that is none of them. */
export function insightDiscovery(ctx: DiscoveryContext, key: string): { topic: string; payload: string } | null {
  const at = ENTITIES.indexOf(" " + key + ":");
  // Checked again: Espruino 2v29's String indexOf also "finds" a needle whose start matches the end of the text.
  if (at < 0 || ENTITIES.substr(at, key.length + 2) !== " " + key + ":") return null;
  const f = ENTITIES.substring(at + 1, ENTITIES.indexOf(" ", at + 1)).split(":");
  const binary = f[5] === "b";
  const owner = meterId(ctx.meter, ctx.deviceId);
  const words = key.replace(/_/g, " ");
  const config: { [k: string]: unknown } = {
    "~": ctx.base,
    name: words.charAt(0).toUpperCase() + words.substr(1),
    uniq_id: owner + "_" + key,
    stat_t: "~/insights/" + f[1],
    avty_t: "~/status",
    dev: { ids: [owner] },
  };
  // A payload without the field renders "": Home Assistant keeps the entity's state (docs/mqtt.md, Quiet).
  if (f[2]) {
    config.val_tpl = binary ? "{{ 'ON' if value_json." + f[2] + " else 'OFF' }}" :
      "{{ value_json." + f[2] + " | default('') }}";
  }
  if (f[3]) config.unit_of_meas = f[3];
  if (f[4]) config.dev_cla = f[4];
  if (!binary) config.stat_cla = f[5];
  return { topic: ctx.prefix + (binary ? "/binary_sensor/" : "/sensor/") + owner + "/" + key + "/config",
    payload: JSON.stringify(config) };
}
