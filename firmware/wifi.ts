// Wi-Fi that comes back: the ESP32 port gives up after three failed attempts and stops the radio, so the
// firmware reconnects by itself, with backoff, forever. The HAN side keeps decoding meanwhile.
import { Backoff } from "../lib/mqtt/backoff";

export interface WifiLink {
  up: boolean;
  /** Association attempts after the first. */
  reconnects: number;
  rssi(): number | null;
}

/** Joins and keeps the network; `onUp` runs on every association (the MQTT client then tries at once). */
export function keepWifiUp(ssid: string, password: string, ntpServer: string, hostname: string,
  onUp: () => void): WifiLink {
  const wifi = require("Wifi");
  const backoff = new Backoff(2000, 60000, Math.random);
  const link: WifiLink = {
    up: false,
    reconnects: 0,
    rssi () {
      // The ESP32 port reports the signal in getStatus(), and only while associated; getDetails() has none.
      const s = wifi.getStatus();
      return link.up && typeof s.rssi === "number" ? s.rssi : null;
    },
  };
  let pending = false;
  // attempt and retry call each other; declared first so that neither is used before its definition.
  let attempt: () => void = function () { /* assigned below */ };
  const retry = function (): void {
    link.up = false;
    if (pending) return;
    pending = true;
    link.reconnects++;
    setTimeout(attempt, backoff.next());
  };
  attempt = function (): void {
    pending = false;
    wifi.connect(ssid, { password }, (error) => {
      if (error) retry();
    });
  };
  wifi.on("connected", () => {
    link.up = true;
    backoff.reset();
    // The ESP32 port takes the zone as a POSIX TZ string and throws on a number; the firmware keeps UTC.
    wifi.setSNTP(ntpServer, "UTC0");
    onUp();
  });
  wifi.on("disconnected", () => { retry(); });
  try {
    wifi.setHostname(hostname);
  } catch (e) {
    // Not every build names the station; the device works without it.
  }
  attempt();
  return link;
}
