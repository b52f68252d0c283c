// `npm start`: the whole product on this machine. A simulated meter (or a real one through a USB M-Bus adapter)
// feeds the firmware bundle running in the ESP32 emulator, which publishes to an MQTT broker, and a live view
// shows the readings as they arrive. The broker is an embedded one unless the user names another (--broker URL,
// or --to-real-broker for the one in --config): simulated readings never reach a real broker by accident, and when
// they are sent to one they go out under a device id that says so (sim-...), never as the real device.
import { parseArgs } from "node:util";
import { runCli, UsageError } from "./cli";
import { readFileSync } from "node:fs";
import type { MqttClient } from "mqtt";
import { buildFirmware, refusesBuild, firmwareSize } from "./build";
import { createEmulator, meterSource, serialPortSource } from "./emulator/index";
import type { ByteSource } from "./emulator/index";
import { startEmbeddedBroker, type EmbeddedBroker } from "./mqtt-aedes";
import { connectOnce } from "./mqtt-connect";
import { createLiveView } from "./live-view";
import { validateConfig } from "../lib/config/validate";
import { maskUrl } from "../lib/config/formats";
import { baseTopic } from "../lib/device";
import type { Maker } from "./sim/layouts";
import type { P1Version } from "./sim/p1-writer";
import type { LineSettings } from "./emulator/line";
import { fromHex } from "../lib/bytes";

const USAGE = `usage: npm start -- [options]
  --meter aidon|kaifa|kamstrup   the simulated meter (default aidon); -1p / -3p for one or three phases (default 3)
  --framing hdlc|mbus|p1         how the simulated meter sends (default hdlc): mbus, its lists in M-Bus long frames
                                 at 2400 8E1; p1, DSMR P1 telegrams of the same household (115200 8N1, every second);
                                 the device is configured for it (han.framing)
  --dsmr 5.0|4.2|2.2             with --framing p1: the DSMR version (default 5.0; 2.2 sends at 9600 7E1)
  --encrypt                      the meter encrypts: HDLC general-glo-ciphering with its tag, as Austrian meters do;
                                 M-Bus general-glo-ciphering without a tag, as the Kaifa MA309 (EVN) does; P1 as
                                 Luxembourg's Smarty (every 10 s); the device is given the keys (han.key, han.authKey)
  --key HEX                      the encryption key (32 hex digits) with --encrypt (default 000102...0F)
  --serial /dev/ttyUSB0          read a real meter through a USB M-Bus adapter instead of the simulator
  --speed N                      run the clock N times faster than real time (default 1)
  --for SECONDS                  stop after this much simulated time (default: run until Ctrl-C)
  --seed N                       the simulated household (default 1)
  --config FILE                  the device configuration (han.json) to run with; its broker is not used
  --to-real-broker               publish to the broker in --config FILE instead of the embedded one
  --broker mqtt://host:port      publish to this broker instead of the embedded one
Simulated readings sent to a broker other than the embedded one go out as device sim-<deviceId>.`;

const EMULATED_WIFI = { ssid: "emulated-ap", password: "emulated-wifi" };
const DEFAULT_PORT = 1883;
const SIM_PREFIX = "sim-";
/** The keys of --encrypt: the key unless --key gives one; the authentication key, Austrian style (HDLC only: the
 *  M-Bus Kaifa MA309 of EVN sends no tag). */
const DEFAULT_KEY = "000102030405060708090A0B0C0D0E0F";
const AUTH_KEY = "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF";
/** Security control 0x20: encrypted, no tag. */
const ENCRYPTION_ONLY = 0x20;

function options(argv: string[]) {
  // -1p and -3p read as one word each; parseArgs would split them into letters.
  const phasesFlag = argv.find((a) => a === "-1p" || a === "-3p");
  let parsed;
  try {
    parsed = parseArgs({ args: argv.filter((a) => a !== "-1p" && a !== "-3p"), options: {
      meter: { type: "string" }, framing: { type: "string" }, broker: { type: "string" }, serial: { type: "string" }, speed: { type: "string" },
      dsmr: { type: "string" }, encrypt: { type: "boolean" }, key: { type: "string" },
      for: { type: "string" }, config: { type: "string" }, seed: { type: "string" },
      "to-real-broker": { type: "boolean" }, help: { type: "boolean", short: "h" },
    } }).values;
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
  const meter = (parsed.meter || "aidon") as Maker;
  if (!["aidon", "kaifa", "kamstrup"].includes(meter)) throw new UsageError(`--meter must be aidon, kaifa or kamstrup; got "${meter}"`);
  const framing = parsed.framing || "hdlc";
  if (framing !== "hdlc" && framing !== "mbus" && framing !== "p1") {
    throw new UsageError(`--framing must be hdlc, mbus or p1; got "${framing}"`);
  }
  const dsmr = parsed.dsmr || "5.0";
  if (!["5.0", "4.2", "2.2"].includes(dsmr)) throw new UsageError(`--dsmr must be 5.0, 4.2 or 2.2; got "${dsmr}"`);
  if (parsed.dsmr && framing !== "p1") throw new UsageError("--dsmr is the version of a P1 meter: give --framing p1");
  const key = parsed.key || DEFAULT_KEY;
  if (!/^[0-9a-fA-F]{32}$/.test(key)) throw new UsageError("--key must be 32 hex digits (16 bytes); got one of " + key.length + " characters");
  if (parsed.key && !parsed.encrypt) throw new UsageError("--key is the key of an encrypting meter: give --encrypt");
  if (parsed.encrypt && framing === "p1" && dsmr !== "5.0") throw new UsageError("--encrypt with p1 is Smarty's DSMR 5.0: drop --dsmr");
  const speed = parsed.speed === undefined ? 1 : Number(parsed.speed);
  if (!(speed > 0)) throw new UsageError(`--speed must be a positive number; got "${parsed.speed}"`);
  const seconds = parsed.for === undefined ? undefined : Number(parsed.for);
  if (seconds !== undefined && !(seconds > 0)) throw new UsageError(`--for must be a positive number of seconds; got "${parsed.for}"`);
  if (parsed.broker && !/^mqtts?:\/\/[^/]+$/.test(parsed.broker)) {
    throw new UsageError(`--broker must be mqtt://host:port or mqtts://host:port; got "${maskUrl(parsed.broker)}"`);
  }
  const toRealBroker = parsed["to-real-broker"] === true;
  if (toRealBroker && !parsed.config) throw new UsageError("--to-real-broker publishes to the broker in --config FILE; give one");
  if (toRealBroker && parsed.broker) throw new UsageError("--to-real-broker and --broker both name the broker; give one");
  return { help: parsed.help, meter, framing: framing as "hdlc" | "mbus" | "p1", dsmr: dsmr as P1Version,
    key: parsed.encrypt ? key : null, phases: phasesFlag === "-1p" ? 1 as const : 3 as const, broker: parsed.broker,
    serial: parsed.serial, speed, seconds, config: parsed.config, toRealBroker, seed: Number(parsed.seed || 1) };
}

type Options = ReturnType<typeof options>;
type Json = Record<string, unknown>;

function readConfig(file: string): Json {
  let raw: Json;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`--config ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "not valid JSON"}`);
  }
  const checked = validateConfig(raw);
  if (!checked.config) throw new UsageError(`--config ${file}: ${checked.errors.join("; ")}`);
  return raw;
}

/** The configuration the emulated device runs with, where it publishes, and what the person should know about
 *  that. `embeddedUrl` is null when the device publishes to another broker. */
function deviceSetup(o: Options, raw: Json | null, embeddedUrl: string | null) {
  const given = (raw && raw.mqtt || {}) as Json;
  const simulated = !o.serial;
  let deviceId = String(raw && raw.deviceId || "emulated");
  let mqttConfig: Json;
  const notes: string[] = [];
  if (embeddedUrl) {
    // The embedded broker takes anyone: the credentials and CA of another broker stay out of it.
    mqttConfig = { url: embeddedUrl };
    for (const key of ["keepAlive", "baseTopic"]) if (given[key] !== undefined) mqttConfig[key] = given[key];
    if (raw) {
      notes.push(`${o.config}'s broker ${given.url} is not used: the readings stay on this machine ` +
        `(--to-real-broker sends them there${simulated ? `, as device ${SIM_PREFIX}${deviceId}` : ""})`);
    }
  } else {
    mqttConfig = Object.assign({}, given, { url: o.broker || given.url });
    if (simulated) {
      if (deviceId.indexOf(SIM_PREFIX) !== 0) deviceId = SIM_PREFIX + deviceId;
      // The configured topics are the real device's: simulated readings must not land among them.
      delete mqttConfig.baseTopic;
      notes.push(`simulated readings go out as device ${deviceId}, never as the real device`);
    }
  }
  const config: Json = Object.assign({ wifi: EMULATED_WIFI }, raw, { deviceId: deviceId, mqtt: mqttConfig });
  if (simulated) {
    // The device reads what the simulator sends: its framing, and the keys of an encrypting meter.
    const han: Json = Object.assign({ framing: o.framing }, config.han as Json | undefined);
    if (o.key) Object.assign(han, { key: o.key }, o.framing === "hdlc" ? { authKey: AUTH_KEY } : {});
    config.han = han;
  }
  const checked = validateConfig(config);
  if (!checked.config) throw new Error("the emulated device's configuration: " + checked.errors.join("; "));
  return { config, checked: checked.config, base: baseTopic(checked.config, deviceId), notes };
}

/** The simulated meter's line where it is not its maker's 2400 baud (scripts/emulator/sources/meter.ts). */
function lineOf(o: Options): LineSettings | undefined {
  if (o.framing === "mbus") return { baud: 2400, bytesize: 8, parity: "even", stopbits: 1 };
  if (o.framing !== "p1") return undefined;
  return o.dsmr === "2.2" ? { baud: 9600, bytesize: 7, parity: "even", stopbits: 1 } :
    { baud: 115200, bytesize: 8, parity: "none", stopbits: 1 };
}

/** The embedded broker, on 1883 unless something else listens there. */
async function embeddedBroker(): Promise<EmbeddedBroker> {
  try {
    return await startEmbeddedBroker(DEFAULT_PORT);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
    return startEmbeddedBroker(0);
  }
}

async function main(argv: string[]): Promise<number> {
  const o = options(argv);
  if (o.help) { console.log(USAGE); return 0; }
  const raw = o.config ? readConfig(o.config) : null;
  const external = o.broker || (o.toRealBroker && raw ? String((raw.mqtt as Json).url) : null);
  const broker = external ? null : await embeddedBroker();
  const brokerUrl = external || `mqtt://127.0.0.1:${broker!.port}`;
  const setup = deviceSetup(o, raw, broker ? brokerUrl : null);
  const mqttConfig = setup.checked.mqtt;

  // The view subscribes before the device starts, so that it sees everything the device publishes; and a
  // broker that cannot be reached ends it here, before anything runs.
  let viewer: MqttClient;
  try {
    viewer = await connectOnce(brokerUrl, { username: mqttConfig.username, password: mqttConfig.password,
      ca: mqttConfig.ca ? [mqttConfig.ca] : undefined });
  } catch (e) {
    console.error(`start: ${(e as Error).message}; nothing was started`);
    if (broker) await broker.close();
    return 1;
  }
  await viewer.subscribeAsync(setup.base + "/#", { qos: 1 });
  viewer.options.reconnectPeriod = 1000;

  const build = buildFirmware();
  if (refusesBuild("start", build, "nothing was started")) {
    await viewer.endAsync(true);
    if (broker) await broker.close();
    return 1;
  }

  const header: string[] = [];
  const say = (line: string) => { console.error(line); header.push(line); };
  say(`firmware: ${firmwareSize(build)}`);
  say(`broker: ${brokerUrl}${broker ? " (embedded; connect your own tools to it)" : ""}`);
  for (const note of setup.notes) say(note);

  let serialFailure: string | null = null;
  let stop = () => { /* until the run starts */ };
  const startMs = Date.now();
  const source: ByteSource = o.serial ?
    await serialPortSource(o.serial, (message) => { if (serialFailure === null) serialFailure = message; stop(); }) :
    meterSource({ maker: o.meter, phases: o.phases, wires: 4, country: "NO", seed: o.seed, startMs, framing: o.framing,
      p1Version: o.dsmr, line: lineOf(o),
      security: o.key && o.framing !== "p1" ? { key: fromHex(o.key), authKey: fromHex(AUTH_KEY),
        control: o.framing === "mbus" ? ENCRYPTION_ONLY : undefined } : undefined,
      p1Key: o.key && o.framing === "p1" ? fromHex(o.key) : undefined });
  say(`meter: ${source.describe()}`);

  const view = createLiveView(setup.base, { header,
    footer: o.seconds === undefined ? "Ctrl-C to stop" : `stops after ${o.seconds} simulated s; Ctrl-C to stop sooner` });
  viewer.on("message", (topic, payload) => view.update(topic, payload.toString("utf8")));

  const wifi = setup.checked.wifi;
  const emulator = createEmulator({ code: build.code, files: { "han.json": JSON.stringify(setup.config) }, source, startMs,
    wifi: { ssid: wifi.ssid, password: wifi.password } });
  const run = emulator.runRealtime(o.speed, o.seconds === undefined ? undefined : o.seconds * 1000);
  stop = () => run.stop();
  if (serialFailure !== null) stop();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await run.done;
  // From here on a signal ends the process as usual.
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  // What the device sent last may still be on its way through the broker.
  if (serialFailure === null) await new Promise((resolve) => setTimeout(resolve, 300));
  view.close();
  // The view ends before the device: the last will that the device's end sets off is not the device's news.
  await viewer.endAsync(false);
  emulator.close();
  if (broker) await broker.close();
  if (serialFailure !== null) {
    console.error(`start: the serial port: ${serialFailure} (is the USB M-Bus adapter plugged in? ls /dev/ttyUSB*)`);
    return 1;
  }
  const errors = emulator.console.lines.filter((l) => /Uncaught|OUT OF MEMORY/.test(l));
  for (const e of errors) console.error(`device: ${e}`);
  return errors.length > 0 ? 1 : 0;
}

runCli("start", () => main(process.argv.slice(2)), USAGE);
