// `npm start`: the whole product on this machine. A simulated meter (or a real one through a USB M-Bus adapter)
// feeds the firmware bundle running in the ESP32 emulator, which publishes to an MQTT broker (an embedded one
// unless --broker names another), and a live view shows the readings as they arrive.
import { parseArgs } from "node:util";
import { runCli, UsageError } from "./cli";
import { readFileSync } from "node:fs";
import net from "node:net";
import mqtt from "mqtt";
import { buildFirmware, BUDGET_BYTES } from "./build";
import { createEmulator, meterSource, serialPortSource } from "./emulator/index";
import type { ByteSource } from "./emulator/index";
import { startEmbeddedBroker } from "./mqtt-aedes";
import { createLiveView } from "./live-view";
import { validateConfig } from "../lib/config/validate";
import { baseTopic } from "../lib/device";
import type { Maker } from "../lib/sim/layouts";

const USAGE = `usage: npm start -- [options]
  --meter aidon|kaifa|kamstrup   the simulated meter (default aidon); -1p / -3p for one or three phases (default 3)
  --broker mqtt://host:port      publish to this broker instead of the embedded one
  --serial /dev/ttyUSB0          read a real meter through a USB M-Bus adapter instead of the simulator
  --speed N                      run the clock N times faster than real time (default 1)
  --for SECONDS                  stop after this much simulated time (default: run until Ctrl-C)
  --config FILE                  the device configuration (han.json) to run with
  --seed N                       the simulated household (default 1)`;

const EMULATED_WIFI = { ssid: "emulated-ap", password: "emulated-wifi" };

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

function options(argv: string[]) {
  // -1p and -3p read as one word each; parseArgs would split them into letters.
  const phasesFlag = argv.find((a) => a === "-1p" || a === "-3p");
  let parsed;
  try {
    parsed = parseArgs({ args: argv.filter((a) => a !== "-1p" && a !== "-3p"), options: {
      meter: { type: "string" }, broker: { type: "string" }, serial: { type: "string" }, speed: { type: "string" },
      for: { type: "string" }, config: { type: "string" }, seed: { type: "string" }, help: { type: "boolean", short: "h" },
    } }).values;
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
  const meter = (parsed.meter || "aidon") as Maker;
  if (!["aidon", "kaifa", "kamstrup"].includes(meter)) throw new UsageError(`--meter must be aidon, kaifa or kamstrup; got "${meter}"`);
  const speed = parsed.speed === undefined ? 1 : Number(parsed.speed);
  if (!(speed > 0)) throw new UsageError(`--speed must be a positive number; got "${parsed.speed}"`);
  const seconds = parsed.for === undefined ? undefined : Number(parsed.for);
  if (seconds !== undefined && !(seconds > 0)) throw new UsageError(`--for must be a positive number of seconds; got "${parsed.for}"`);
  if (parsed.broker && !/^mqtts?:\/\/[^/]+$/.test(parsed.broker)) {
    throw new UsageError(`--broker must be mqtt://host:port or mqtts://host:port; got "${parsed.broker}"`);
  }
  return { help: parsed.help, meter, phases: phasesFlag === "-1p" ? 1 as const : 3 as const, broker: parsed.broker,
    serial: parsed.serial, speed, seconds, config: parsed.config, seed: Number(parsed.seed || 1) };
}

async function main(argv: string[]): Promise<number> {
  const o = options(argv);
  if (o.help) { console.log(USAGE); return 0; }
  const build = buildFirmware();
  console.error(`firmware: ${build.bytes} bytes` + (build.bytes > BUDGET_BYTES ? ` (over the ${BUDGET_BYTES}-byte budget)` : ""));

  const broker = o.broker ? null : await startEmbeddedBroker(await portFree(1883) ? 1883 : 0);
  const brokerUrl = o.broker || `mqtt://127.0.0.1:${broker!.port}`;
  console.error(`broker: ${brokerUrl}${broker ? " (embedded; connect your own tools to it)" : ""}`);

  let config: Record<string, unknown>;
  if (o.config) {
    try {
      config = JSON.parse(readFileSync(o.config, "utf8"));
    } catch (e) {
      throw new UsageError(`--config ${o.config}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "not valid JSON"}`);
    }
  } else {
    config = { deviceId: "emulated", wifi: EMULATED_WIFI, mqtt: { url: brokerUrl } };
  }
  const checked = validateConfig(config);
  if (!checked.config) throw new UsageError(`--config: ${checked.errors.join("; ")}`);
  const base = baseTopic(checked.config, checked.config.deviceId || "emulated");
  const wifi = checked.config.wifi;

  const startMs = Date.now();
  const source: ByteSource = o.serial ? await serialPortSource(o.serial) :
    meterSource({ maker: o.meter, phases: o.phases, wires: 4, country: "NO", seed: o.seed, startMs });
  console.error(`meter: ${source.describe()}; device base topic ${base}`);

  const view = createLiveView(base);
  const viewer = mqtt.connect(brokerUrl, { reconnectPeriod: 1000,
    username: checked.config.mqtt.username, password: checked.config.mqtt.password });
  viewer.on("connect", () => viewer.subscribe(base + "/#", { qos: 1 }));
  viewer.on("message", (topic, payload) => view.update(topic, payload.toString("utf8")));

  const emulator = createEmulator({ code: build.code, files: { "han.json": JSON.stringify(config) }, source, startMs,
    wifi: { ssid: wifi.ssid, password: wifi.password } });
  const run = emulator.runRealtime(o.speed, o.seconds === undefined ? undefined : o.seconds * 1000);
  const stop = () => run.stop();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await run.done;
  // What the device sent last may still be on its way through the broker.
  await new Promise((resolve) => setTimeout(resolve, 300));
  view.close();
  emulator.close();
  await new Promise<void>((resolve) => viewer.end(false, {}, () => resolve()));
  if (broker) await broker.close();
  const errors = emulator.console.lines.filter((l) => /Uncaught|OUT OF MEMORY/.test(l));
  for (const e of errors) console.error(`device: ${e}`);
  return errors.length > 0 ? 1 : 0;
}

runCli("start", () => main(process.argv.slice(2)), USAGE);
