// The firmware's entry point: what runs when the ESP32 boots the bundle from flash. Order matters: close the
// door first, then configuration, the meter, the network, and last the watchdog.
import { closeTelnet, lockConsole } from "./lockdown";
import { readStoredConfig } from "./stored-config";
import { keepWifiUp, WifiLink } from "./wifi";
import { brokerConnector } from "./broker-socket";
import { startDevice, Platform, Device, FIRMWARE_VERSION } from "../lib/device";
import { validateConfig, Config } from "../lib/config/validate";
import { systemClock } from "../lib/mqtt/clock";

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Watchdog {
  /** The JS loop must come round within this many seconds, or the ESP32 resets. */
  WATCHDOG_SECONDS = 20,
}

function defaultDeviceId(): string {
  return "esp32-" + getSerial().replace(/[^A-Za-z0-9]/g, "").substr(-6);
}

/** Ms between two reads of the HAN UART: time for a quarter of the 512 bytes Espruino holds, at most 100 ms. */
function readInterval(baud: number): number {
  return Math.min(100, Math.floor(128 * 11000 / baud));
}

function espruinoPlatform(config: Config, wifi: { link: WifiLink | null }): Platform {
  const storage = require("Storage");
  let reading = 0;
  let blinks = 0;
  const blink = function (): void {
    digitalWrite(config.led, (--blinks & 1) === 1);
    if (blinks > 0) setTimeout(blink, 250);
  };
  return {
    clock: systemClock,
    // A 'data' listener costs a JS call per delivery of 1-8 bytes, about every byte at 2400 baud; without one,
    // Espruino keeps what arrives, and a timer hands it over in batches, as bytes converted natively.
    openSerial (setting, onData) {
      if (reading) clearInterval(reading);
      Serial2.setup(setting.baud, { rx: config.han.rx, tx: config.han.tx, bytesize: setting.bits || 8,
        parity: setting.parity === "none" ? null : setting.parity.charAt(0), stopbits: 1 });
      reading = setInterval(() => {
        const data = Serial2.read();
        if (data.length > 0) onData(E.toUint8Array(data));
      }, readInterval(setting.baud));
    },
    connect: brokerConnector(config.mqtt.url, config.mqtt.ca),
    rssi () { return wifi.link ? wifi.link.rssi() : null; },
    memory () {
      const m = process.memory();
      return { free: m.free, total: m.total };
    },
    errorFlags () { return E.getErrorFlags(); },
    readStore (name, offset, length) { return storage.read(name, offset, length); },
    writeStore (name, text, offset, size) { storage.write(name, text, offset, size); },
    print (text) { print(text); },
    sha256 (message) { return E.toString(new Uint8Array(require("crypto").SHA256(message))); },
    reboot () { load(); },
    // Set by the update loader (firmware/loader.ts) before it runs this firmware from its Storage slot.
    slot: (globalThis as unknown as { HAN_SLOT?: number }).HAN_SLOT,
    // One blinking at a time: asked again while it runs, it starts its count over rather than a second chain of
    // timers. The LED is on at odd counts, so it ends off wherever the count restarted.
    identify () {
      const idle = blinks === 0;
      blinks = 20;
      if (idle) blink();
    },
  };
}

/** What the device runs on when the stored configuration cannot be used: the meter is still read. Built only
 *  then, so that a device with a good configuration does not hold it. */
function fallbackConfig(): Config {
  return validateConfig({ wifi: { ssid: "-" }, mqtt: { url: "mqtt://localhost" } }).config as Config;
}

/** Its callback keeps this function's scope alive for good, not boot()'s, which holds the configuration file as
 *  read (a few hundred variables). */
function joinNetwork(config: Config, deviceId: string, device: Device, wifi: { link: WifiLink | null }): void {
  wifi.link = keepWifiUp(config.wifi.ssid, config.wifi.password, config.ntp, deviceId,
    () => { device.client.networkUp(); });
}

function boot(): void {
  // The variables the code itself takes, before it does anything: the figure the code budget is about.
  const codeVars = process.memory().usage;
  closeTelnet();
  // The globals the host tools read over the console: which firmware runs (npm run flash), and what its code
  // costs in variables (the real-interpreter budget tests).
  const globals = globalThis as unknown as { [name: string]: unknown };
  globals.HAN_FIRMWARE = FIRMWARE_VERSION;
  globals.HAN_CODE_VARS = codeVars;
  const stored = readStoredConfig();
  // Said before the lock takes the console over, so that the person at the cabinet sees it.
  print("han-reader " + FIRMWARE_VERSION + (stored.password !== "" ? ", console locked" : ""));
  if (!stored.config) {
    for (let i = 0; i < stored.errors.length; i++) print("config error: " + stored.errors[i]);
    print("reading the meter without network until the configuration is fixed");
  }
  lockConsole(stored.password);
  const config = stored.config || fallbackConfig();
  const deviceId = config.deviceId || defaultDeviceId();
  const wifi: { link: WifiLink | null } = { link: null };
  const device = startDevice(espruinoPlatform(config, wifi), config, deviceId, stored.config !== null);
  if (stored.config) joinNetwork(config, deviceId, device, wifi);
  E.enableWatchdog(Watchdog.WATCHDOG_SECONDS, true);
}

boot();
