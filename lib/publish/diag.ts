// The diag payload: one flat object (flat so that Home Assistant templates and Node-RED can pick fields) that
// says why data is missing when it is: decoder counters, link state, queue losses, the last error.
import type { DecoderCounters } from "../han-decoder";
import type { MqttStats } from "../mqtt/client";
import { isoTime, clockIsSet } from "./payloads";

export interface DiagSources {
  now: number;
  /** Seconds since boot. */
  uptime: number;
  /** Free interpreter variables; null off the device. */
  freeMemory: number | null;
  /** dBm; null when not associated. */
  rssi: number | null;
  decoder: DecoderCounters;
  mqtt: MqttStats;
  energyRejected: number;
  lastError: string | null;
  /** Anything the firmware adds: serial settings tried, error flags, ... */
  extra?: { [key: string]: unknown };
}

export function diagPayload(s: DiagSources): { [key: string]: unknown } {
  const out: { [key: string]: unknown } = {};
  if (clockIsSet(s.now)) out.ts = isoTime(s.now);
  out.uptime = Math.round(s.uptime);
  out.free_memory = s.freeMemory;
  out.rssi = s.rssi;
  const counters = s.decoder as unknown as { [key: string]: number };
  const names = Object.keys(counters);
  for (let i = 0; i < names.length; i++) out[names[i]] = counters[names[i]];
  out.crc_errors = s.decoder.hcs_errors + s.decoder.fcs_errors;
  out.mqtt_reconnects = s.mqtt.reconnects;
  out.mqtt_oversize = s.mqtt.oversize;
  out.queue_drops = s.mqtt.queueDrops;
  out.energy_dropped = s.mqtt.keptDrops;
  out.energy_rejected = s.energyRejected;
  out.last_error = s.lastError || s.mqtt.lastError || null;
  if (s.extra) {
    const extra = Object.keys(s.extra);
    for (let i = 0; i < extra.length; i++) out[extra[i]] = s.extra[extra[i]];
  }
  return out;
}
