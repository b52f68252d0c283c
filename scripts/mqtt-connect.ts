// The host tools' first connection to a broker (start's live view, monitor, command): it either succeeds or ends
// the tool with one line saying what went wrong, instead of retrying in silence. Once connected, a tool may turn
// retries on for later drops.
import mqtt from "mqtt";
import { maskUrl } from "../lib/config/formats";

const CONNECT_TIMEOUT_MS = 10000;

/** Why the connection failed, in words for the person who typed the URL. */
export function connectFailure(url: string, e: Error & { code?: string | number }, timeoutMs: number): string {
  const at = `the broker at ${maskUrl(url)}`;
  if (e.code === 4 || e.code === 5 || e.code === 134 || e.code === 135) {
    return `${at} refused the user name or password (${e.message.replace(/^Connection refused: /, "")})`;
  }
  if (e.code === "ECONNREFUSED") return `cannot reach ${at}: connection refused (nothing listens on that port)`;
  if (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN") return `cannot reach ${at}: no such host`;
  if (/certificate|self.signed|SSL|TLS/i.test(e.message)) return `cannot reach ${at}: ${e.message} (--ca FILE?)`;
  if (/connack timeout|couldn't connect/i.test(e.message)) {
    return `cannot reach ${at}: no MQTT answer within ${timeoutMs / 1000} s (is that port a broker's?)`;
  }
  return `cannot reach ${at}: ${e.message}`;
}

/** Connects once, without retrying; rejects with an Error whose message is connectFailure's line. */
export async function connectOnce(url: string, options: mqtt.IClientOptions): Promise<mqtt.MqttClient> {
  const o = Object.assign({ connectTimeout: CONNECT_TIMEOUT_MS }, options, { reconnectPeriod: 0 });
  try {
    return await mqtt.connectAsync(url, o, false);
  } catch (e) {
    throw new Error(connectFailure(url, e as Error & { code?: string | number }, o.connectTimeout));
  }
}
