// The device: everything the firmware does that is not Espruino glue. HAN bytes go into the decoder, readings
// go out through the publisher and the MQTT client, the serial settings are found by autodetection, and the
// diag topic says how it all goes. The firmware (firmware/main.ts) supplies the Platform.
import { HanDecoder, DecoderCounters, DecoderOptions } from "./han-decoder";
import { MqttClient, MqttSocket } from "./mqtt/client";
import { keptRing } from "./mqtt/kept-ring";
import type { Clock } from "./mqtt/clock";
import { Publisher } from "./publish/publisher";
import { diagPayload } from "./publish/diag";
import { SerialAutodetect, SerialSetting, serialText, FramingDetect, JudgedReader } from "./serial-autodetect";
import { createUnwrap, Unwrap } from "./dlms/unwrap";
import { createMbusReader } from "./mbus/frame-reader";
import { createP1Decoder } from "./p1/decoder";
import { fromHex } from "./bytes";
import type { Reading } from "./reading";
import { Config, applyChanges } from "./config/validate";
import { Commands, handleCommand } from "./remote/commands";
import type { Sha256 } from "./remote/hmac";
import { startUpdates, Updater } from "./update/receiver";
import { startInsights } from "./insights/index";

/** What the device needs from the hardware: Espruino on the ESP32, or the emulator. */
export interface Platform {
  clock: Clock;
  /** (Re)opens the HAN UART with a setting; chunks arrive as bytes, or as binary strings. */
  openSerial(setting: SerialSetting, onData: (chunk: Uint8Array | string) => void): void;
  /** A new connection to the configured broker. */
  connect(): MqttSocket;
  rssi(): number | null;
  /** Free and total interpreter variables; null when unknown. */
  memory(): { free: number; total: number } | null;
  /** Espruino error flags raised since the last call (FIFO_FULL, LOW_MEMORY, ...). */
  errorFlags(): string[];
  /** Storage.read: with `offset` and `length`, that range of the file. */
  readStore(name: string, offset?: number, length?: number): string | undefined;
  /** Storage.write: with an offset other than 0, into the erased bytes of a file created `size` long. */
  writeStore(name: string, text: string, offset?: number, size?: number): void;
  /** A line on the local console. */
  print(text: string): void;
  sha256: Sha256;
  /** Restarts the firmware (after a configuration change, or on command). */
  reboot(): void;
  /** Blinks the LED so that an installer can tell which dongle in a cabinet this is. */
  identify(): void;
  /** The Storage slot the update loader started the firmware from (firmware/loader.ts); absent without it. */
  slot?: number;
}

/** Storage file of the configuration, written by `npm run configure` and by remote configuration changes. */
export const CONFIG_STORE = "han.json";
/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Tuning {
  /** Storage file of the serial setting that worked last. */
  SERIAL_STORE = "han.serial",
  /** Autodetection window: longer than the slowest list period (10 s) plus the longest frame on the wire. */
  DETECT_WINDOW = 25000,
  /** A meter sends each frame without pauses: a quiet line ends whatever frame is still incomplete. */
  IDLE_CHECK = 1000,
  /** Optional topics stop below this share of free memory, and resume above the second. */
  SHED_BELOW = 0.15,
  RESUME_ABOVE = 0.25,
}

export const FIRMWARE_VERSION = "0.1.0";

function every(clock: Clock, ms: number, fn: () => void): void {
  const tick = function (): void {
    clock.setTimeout(tick, ms);
    fn();
  };
  clock.setTimeout(tick, ms);
}

function fixedSetting(config: Config): SerialSetting | null {
  const h = config.han;
  if (h.baud === "auto" || h.parity === "auto") return null;
  const s: SerialSetting = { baud: h.baud, parity: h.parity };
  if (h.bits !== 8) s.bits = h.bits;
  if (h.framing !== "auto" && h.framing !== "hdlc") s.framing = h.framing;
  return s;
}

/** The opener of ciphered and block-transfer APDUs with the configured keys. */
function unwrapFor(config: Config, clock: Clock, onRefused: (why: string) => void): Unwrap {
  const h = config.han;
  return createUnwrap({ key: h.key ? fromHex(h.key) : null, authKey: h.authKey ? fromHex(h.authKey) : null,
    now () { return clock.now(); }, onRefused });
}

/** "2400 baud, parity even", with the data bits and the framing where they are not 8 and HDLC. */
function settingText(s: SerialSetting): string {
  return s.baud + " baud, parity " + s.parity + (s.bits ? ", " + s.bits + " bits" : "") + (s.framing ? ", " + s.framing : "");
}

function storedSetting(platform: Platform): SerialSetting | null {
  try {
    const text = platform.readStore(Tuning.SERIAL_STORE);
    return text ? JSON.parse(text) as SerialSetting : null;
  } catch (e) {
    return null;
  }
}

/** The reader of the framing being tried or found: a HanDecoder (HDLC, M-Bus) or a P1Decoder. */
export interface MeterReader extends JudgedReader {
  counters: DecoderCounters;
  push(chunk: Uint8Array | string): void;
}

export interface Device {
  decoder: MeterReader;
  publisher: Publisher;
  client: MqttClient;
  detect: SerialAutodetect;
  /** The last error, for the diag topic. */
  lastError: string | null;
  errorFlagEvents: number;
  commands: Commands;
  /** Seconds since start, counted rather than read from the clock, which jumps when SNTP sets it. */
  uptime: number;
  update?: Updater;
}

/** Publishes the diag payload now; on the way, counts error flags and sheds optional topics when memory is low. */
function publishDiag(device: Device, platform: Platform): void {
  const publisher = device.publisher;
  const update = device.update as Updater;
  const detect = device.detect;
  const flags = platform.errorFlags();
  if (flags.length > 0) {
    device.errorFlagEvents += flags.length;
    device.lastError = "error flags: " + flags.join(",");
  }
  const memory = platform.memory();
  if (memory) {
    const share = memory.free / memory.total;
    if (share < Tuning.SHED_BELOW && publisher.optionalEnabled) {
      publisher.optionalEnabled = false;
      publisher.log("memory low (" + memory.free + " of " + memory.total + " free): per-value and raw topics paused");
    } else if (share > Tuning.RESUME_ABOVE && !publisher.optionalEnabled) {
      publisher.optionalEnabled = true;
    }
  }
  const s = detect.current;
  const mqtt = device.client.stats();
  publisher.diag(diagPayload({
    now: platform.clock.now(), uptime: device.uptime, freeMemory: memory ? memory.free : null, rssi: platform.rssi(),
    decoder: device.decoder.counters, mqtt, energyRejected: publisher.guard.rejected,
    lastError: device.lastError,
    extra: { serial: serialText(s), framing: s.framing || "hdlc",
      serial_locked: detect.locked, serial_tried: detect.report().filter((r) => { return r.verdict !== "untried"; }),
      error_flags: device.errorFlagEvents,
      mqtt_queued: mqtt.queued, mqtt_inflight: mqtt.inflight, mqtt_connect_errors: mqtt.connectErrors,
      optional_topics: publisher.optionalEnabled, values_refused: publisher.refusedValues, firmware: FIRMWARE_VERSION,
      meter_clock_offset_s: publisher.hours.offset, meter_clock_mismatches: publisher.hours.mismatches,
      commands_accepted: device.commands.accepted, commands_refused: device.commands.refused,
      update: update.running, update_failed: update.record && update.record.f || null, updates_refused: update.refused },
  }));
}

export function baseTopic(config: Config, deviceId: string): string {
  return config.mqtt.baseTopic || "han/" + deviceId;
}

/** Starts reading the meter; `online` false keeps the network off (no valid configuration to reach a broker),
 *  while the HAN side still decodes and the console still answers. */
export function startDevice(platform: Platform, config: Config, deviceId: string, online: boolean): Device {
  const clock = platform.clock;
  const base = baseTopic(config, deviceId);
  const client = new MqttClient({
    connect: platform.connect,
    clientId: "han-" + deviceId,
    statusTopic: base + "/status",
    username: config.mqtt.username,
    password: config.mqtt.password,
    keepAlive: config.mqtt.keepAlive,
    subscriptions: [{ topic: base + "/cmd", qos: 1 }, { topic: config.output.discoveryPrefix + "/status", qos: 0 },
      { topic: base + "/update", qos: 1 }],
    clock,
    // A session the broker keeps: it knows the QoS 2 energy messages by their identifiers across reconnects and
    // restarts, and delivers each once (docs/mqtt.md, Kept energy).
    cleanSession: false,
    keptStore: keptRing(platform),
  });
  const o = config.output;
  const publisher = new Publisher(client, {
    base, deviceId, firmwareVersion: FIRMWARE_VERSION, perValueTopics: o.perValueTopics,
    rawTopic: o.rawTopic, discovery: o.discovery, discoveryPrefix: o.discoveryPrefix,
    discoveryInterval: o.discoveryInterval, maxPower: config.meter.maxPower, clock, store: platform,
    insights: config.insights,
  });
  publisher.keepLast();
  // A part (scripts/espruino/parts.ts), made once: the object it returns keeps its code in flash and its state.
  const on = config.insights;
  const insights = on.capacity || on.voltage || on.net || on.consistency ? startInsights(config, platform) : null;
  const device: Device = {
    // Set below, by the readers, whose callbacks name the device.
    decoder: null as unknown as MeterReader,
    publisher,
    client,
    detect: null as unknown as SerialAutodetect,
    lastError: null,
    errorFlagEvents: 0,
    uptime: 0,
    commands: { accepted: 0, refused: 0, logged: 0, ranAt: {}, o: {
      secret: config.remote.secret,
      configChanges: config.remote.configChanges,
      base,
      sha256: platform.sha256,
      clock,
      store: platform,
      log (text) { publisher.log(text); },
    }, actions: {
      diag () { publishDiag(device, platform); },
      identify: platform.identify,
      reboot () { clock.setTimeout(platform.reboot, 1000); },
      configure (changes) {
        const raw = JSON.parse(platform.readStore(CONFIG_STORE) || "{}");
        const applied = applyChanges(raw, changes);
        if (!applied.result.config) return applied.result.errors;
        const text = JSON.stringify(applied.raw);
        // Espruino erases a file before writing it anew: the copy, written first, is what a power cut in between
        // leaves to boot from (firmware/stored-config.ts), rather than no configuration and an open console.
        platform.writeStore(CONFIG_STORE + "~", text);
        platform.writeStore(CONFIG_STORE, text);
        // The new settings take effect through a clean start, after the log line has gone out.
        clock.setTimeout(platform.reboot, 1000);
        return [];
      },
    } },
  };
  const onError = function (why: string): void { device.lastError = "decode: " + why; };
  const onReading = function (r: Reading): void {
    publisher.reading(r);
    if (!insights) return;
    // Under <base>/insights/, through the client as the publisher's: the retained ones at QoS 1, as the meter's.
    const m = insights.onReading(r, clock.now());
    for (let i = 0; i < m.length; i++) {
      client.publish(base + "/insights/" + m[i].suffix, m[i].payload, { qos: m[i].retain ? 1 : 0, retain: m[i].retain,
        keep: false });
    }
  };
  // Made at start when a key is set, else at the first wrapped APDU (Swiss block transfer needs no key): a meter
  // that sends none carries none of it. Shared by every decoder the autodetector makes: one meter.
  let unwrap: Unwrap | null = config.han.key && config.han.framing !== "p1" ? unwrapFor(config, clock, onError) : null;
  const dlms: DecoderOptions = {
    maxFrameSize: config.han.maxFrameSize,
    layout: config.meter.layout,
    scaling: { country: config.meter.country, ct: config.meter.ct, ctRatio: config.meter.ctRatio },
    onReading,
    onFrame (f) { publisher.frame(f); },
    onError,
    unwrap (info, start, counters) {
      if (!unwrap) unwrap = unwrapFor(config, clock, onError);
      return unwrap(info, start, counters);
    },
  };
  // The reader of a framing, made when the autodetector tries it; the M-Bus and P1 ones are parts. One function
  // for all three: each would hold variables of its own.
  const make = function (framing: string): MeterReader {
    if (framing !== "p1") return new HanDecoder(framing === "mbus" ? Object.assign({ reader: createMbusReader }, dlms) : dlms);
    const h = config.han;
    return createP1Decoder({ onReading, onError, authKey: h.authKey ? fromHex(h.authKey) : undefined },
      h.key ? fromHex(h.key) : null) as unknown as MeterReader;
  };
  const readers: { [framing: string]: (framing: string) => MeterReader } = {};
  (config.han.framing === "auto" ? "hdlc,mbus,p1" : config.han.framing).split(",").forEach((f) => { readers[f] = make; });
  const lines = new FramingDetect(readers, fixedSetting(config), storedSetting(platform));
  device.decoder = lines.reader as MeterReader;
  device.detect = lines.detect;
  const detect = device.detect;
  const feed = function (chunk: Uint8Array | string): void { device.decoder.push(chunk); };
  platform.openSerial(detect.current, feed);

  let lastBytes = 0;
  every(clock, Tuning.IDLE_CHECK, () => {
    const decoder = device.decoder;
    device.uptime += Tuning.IDLE_CHECK / 1000;
    if (decoder.counters.bytes_in === lastBytes) decoder.flush();
    lastBytes = decoder.counters.bytes_in;
  });

  every(clock, Tuning.DETECT_WINDOW, () => {
    const wasLocked = detect.locked;
    const next = lines.judge();
    if (next) {
      device.decoder = lines.reader as MeterReader;
      const tried = detect.report().filter((r) => { return r.verdict !== "untried"; }).length;
      platform.print("HAN: no valid frames at " + tried + " setting(s) so far; trying " + settingText(next));
      platform.openSerial(next, feed);
    } else if (detect.locked && !wasLocked) {
      const s = detect.current;
      platform.print("HAN: " + settingText(s) + " works");
      const stored = storedSetting(platform);
      if (!stored || stored.baud !== s.baud || stored.parity !== s.parity || stored.bits !== s.bits ||
        stored.framing !== s.framing) platform.writeStore(Tuning.SERIAL_STORE, JSON.stringify(s));
    }
  });

  const update = startUpdates(platform, device, deviceId, config.remote.secret, FIRMWARE_VERSION,
    (json) => { client.publish(base + "/update/state", json); });
  device.update = update;
  let haOnlineAt = -1;
  client.on("message", (topic: string, payload: string, retained: boolean) => {
    // Diag is not retained: a restarted Home Assistant would show the dongle's entities unknown until the next one.
    // Anyone may publish "online" there, as often as they like: at most one answer per 2 s, as for commands.
    if (topic === o.discoveryPrefix + "/status" && payload === "online") {
      const now = clock.now();
      if (haOnlineAt >= 0 && now >= haOnlineAt && now - haOnlineAt < 2000) return;
      haOnlineAt = now;
      publisher.homeAssistantOnline();
      publishDiag(device, platform);
    } else if (topic === base + "/cmd") handleCommand(device.commands, payload, retained);
    // A retained image part would come back at every reconnect: updates are never retained.
    else if (topic === base + "/update" && !retained) update.handle(payload);
  });
  client.on("close", (reason: string) => { device.lastError = "mqtt: " + reason; });
  // It recurs at every attempt, and the broker may never hear of it: once per reason, on the console as well.
  let connectError = "";
  client.on("connectError", (reason: string) => {
    if (reason === connectError) return;
    connectError = reason;
    platform.print("mqtt: cannot connect: " + reason);
    publisher.log("mqtt: cannot connect: " + reason);
  });

  every(clock, o.diagInterval * 1000, () => { publishDiag(device, platform); });


  if (online) client.start();
  return device;
}
