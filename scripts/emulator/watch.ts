// What `npm run emulate` tells the person running it about the device's network: the Wi-Fi it joins, the broker it
// publishes to, and the `npm run monitor` command that shows what arrives there. Read from the han.json in the
// emulated Storage at start, and again whenever a host tool (npm run flash) writes another one.
import type { Flash } from "./storage";
import type { WifiOptions } from "./wifi";
import { maskUrl } from "../../lib/config/formats";

const CONFIG = "han.json";

/** The lines to print for configuration text `text` (undefined: no han.json). Secrets are never printed. */
export function watchHint(text: string | undefined, wifi: WifiOptions): string {
  if (text === undefined) {
    return "no han.json in Storage: the device reads the meter without network until a configuration is flashed " +
      "(npm run flash)";
  }
  let config: { wifi?: { ssid?: unknown; password?: unknown };
    mqtt?: { url?: unknown; username?: unknown; password?: unknown } };
  try {
    config = JSON.parse(text);
  } catch (e) {
    return "han.json in Storage is not JSON: the device says what is wrong on its console";
  }
  const w = config && config.wifi;
  const mqtt = config && config.mqtt;
  if (!w || typeof w.ssid !== "string" || !mqtt || typeof mqtt.url !== "string") {
    return "han.json in Storage names no Wi-Fi (wifi.ssid) or no broker (mqtt.url): the device says what is wrong " +
      "on its console";
  }
  const lines: string[] = [];
  if (wifi.ssid !== undefined && wifi.ssid !== w.ssid) {
    lines.push("Wi-Fi: han.json names \"" + w.ssid + "\", but the emulated access point is \"" + wifi.ssid +
      "\" (--wifi-ssid): the device will not connect");
  } else if (wifi.password !== undefined && wifi.password !== (typeof w.password === "string" ? w.password : "")) {
    lines.push("Wi-Fi: \"" + w.ssid + "\", but the password in han.json is not the emulated access point's " +
      "(--wifi-password): the device will not connect");
  } else {
    lines.push("Wi-Fi: \"" + w.ssid + "\" (emulated)");
  }
  // Not validated here: a URL may carry a password until the device refuses it.
  const url = maskUrl(mqtt.url);
  let command = "npm run monitor -- --broker " + url;
  if (typeof mqtt.username === "string") command += " --user " + mqtt.username;
  if (typeof mqtt.password === "string") command += " --password <mqtt.password of han.json>";
  if (mqtt.url.indexOf("mqtts://") === 0) command += " --ca <the broker's CA certificate>";
  lines.push("broker: " + url + " (the device publishes there; it must be running); watch it with:");
  lines.push("  " + command);
  return lines.join("\n");
}

/** Prints the hint for what Storage holds now, and again each time han.json changes; polls every `everyMs` of
 *  real time. Returns the function that stops it. */
export function watchStorage(flash: Flash, wifi: WifiOptions, print: (text: string) => void,
  everyMs: number): () => void {
  let last = flash.read(CONFIG);
  print(watchHint(last, wifi));
  const timer = setInterval(function () {
    const now = flash.read(CONFIG);
    if (now === last) return;
    last = now;
    print(watchHint(now, wifi));
  }, everyMs);
  return function () { clearInterval(timer); };
}
