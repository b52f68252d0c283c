// The firmware's entry point: what runs when the ESP32 boots the bundle from flash. Order matters: close the
// door first, then configuration, the meter, the network, and last the watchdog.
import { closeTelnet, lockConsole } from "./lockdown";
import { readStoredConfig } from "./stored-config";
import { keepWifiUp, WifiLink } from "./wifi";
import { brokerConnector } from "./broker-socket";
import { startDevice, Platform, FIRMWARE_VERSION } from "../lib/device";
import { validateConfig, Config } from "../lib/config/validate";
import { systemClock } from "../lib/mqtt/clock";

/** The JS loop must come round within this many seconds, or the ESP32 resets. */
const WATCHDOG_SECONDS = 20;

function consolePassword(raw: { [key: string]: unknown } | null): unknown {
  const group = raw ? raw.console : null;
  return typeof group === "object" && group !== null ? (group as { [key: string]: unknown }).password : undefined;
}

function defaultDeviceId(): string {
  return "esp32-" + getSerial().replace(/[^A-Za-z0-9]/g, "").substr(-6);
}

function espruinoPlatform(config: Config, wifi: { link: WifiLink | null }): Platform {
  const storage = require("Storage");
  return {
    clock: systemClock,
    openSerial (setting, onData) {
      Serial2.removeAllListeners("data");
      Serial2.setup(setting.baud, { rx: config.han.rx, tx: config.han.tx, bytesize: 8,
        parity: setting.parity === "none" ? null : setting.parity.charAt(0), stopbits: 1 });
      Serial2.on("data", onData);
    },
    connect: brokerConnector(config.mqtt.url, config.mqtt.ca),
    rssi () { return wifi.link ? wifi.link.rssi() : null; },
    memory () {
      const m = process.memory();
      return { free: m.free, total: m.total };
    },
    errorFlags () { return E.getErrorFlags(); },
    readStore (name) { return storage.read(name); },
    writeStore (name, text) { storage.write(name, text); },
    print (text) { print(text); },
    sha256 (message) { return E.toString(new Uint8Array(require("crypto").SHA256(message))); },
    reboot () { load(); },
    identify () {
      let on = false;
      let blinks = 20;
      const blink = function (): void {
        on = !on;
        digitalWrite(config.led, on);
        if (--blinks > 0) setTimeout(blink, 250);
      };
      blink();
    },
  };
}

/** What the device runs on when the stored configuration cannot be used: the meter is still read. */
const FALLBACK = validateConfig({ wifi: { ssid: "-" }, mqtt: { url: "mqtt://localhost" } }).config as Config;

function boot(): void {
  closeTelnet();
  // The one global: which firmware runs, for the host tools to read over the console (npm run flash).
  (globalThis as unknown as { [name: string]: unknown }).HAN_FIRMWARE = FIRMWARE_VERSION;
  const stored = readStoredConfig();
  const guard = lockConsole(consolePassword(stored.raw));
  print("han-reader " + FIRMWARE_VERSION + (guard ? ", console locked" : ""));
  const config = stored.config || FALLBACK;
  if (!stored.config) {
    for (let i = 0; i < stored.errors.length; i++) print("config error: " + stored.errors[i]);
    print("reading the meter without network until the configuration is fixed");
  }
  const deviceId = config.deviceId || defaultDeviceId();
  const wifi: { link: WifiLink | null } = { link: null };
  const device = startDevice(espruinoPlatform(config, wifi), config, deviceId, stored.config !== null);
  if (stored.config) {
    wifi.link = keepWifiUp(config.wifi.ssid, config.wifi.password, config.ntp, deviceId,
      () => { device.client.networkUp(); });
  }
  E.enableWatchdog(WATCHDOG_SECONDS, true);
}

boot();
