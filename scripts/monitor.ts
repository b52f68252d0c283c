// `npm run monitor -- --broker URL`: prints what any dongle publishes (every topic under han/ by default), one line
// per message, or with --live the terminal view of one dongle. A broker it cannot reach or that refuses it at the
// start ends it with one line and exit code 1; once connected, it rides out drops by reconnecting.
import { readFileSync } from "node:fs";
import { parseCommandLine, runCli, UsageError } from "./cli";
import { connectOnce } from "./mqtt-connect";
import { maskUrl } from "../lib/config/formats";
import { createLiveView } from "./live-view";

const USAGE = `usage: npm run monitor -- --broker mqtt://host:1883 [options]
  --broker URL       the broker (mqtt:// or mqtts://)
  --user NAME        user name            --password TEXT   password
  --topic FILTER     what to print (default han/#)
  --discovery        also print Home Assistant discovery (homeassistant/#)
  --live BASE        the live view of the dongle with this base topic (e.g. han/esp32-a1b2c3)
  --ca FILE          CA certificate for mqtts://`;

async function main(): Promise<number> {
  const parsed = parseCommandLine({ options: { broker: { type: "string" }, user: { type: "string" },
    password: { type: "string" }, topic: { type: "string" }, discovery: { type: "boolean" }, live: { type: "string" },
    ca: { type: "string" } } }, USAGE);
  if (!parsed) return 0;
  const o = parsed.values;
  if (!o.broker) throw new UsageError("--broker is needed, e.g. --broker mqtt://192.168.1.10");
  if (!/^mqtts?:\/\//.test(o.broker)) {
    throw new UsageError(`--broker must be mqtt://host[:port] or mqtts://host[:port], got "${maskUrl(o.broker)}"`);
  }
  let ca: Buffer[] | undefined;
  try {
    ca = o.ca ? [readFileSync(o.ca)] : undefined;
  } catch (e) {
    throw new UsageError(`--ca ${o.ca}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  let client;
  try {
    client = await connectOnce(o.broker, { username: o.user, password: o.password, ca });
  } catch (e) {
    console.error(`monitor: ${(e as Error).message}`);
    return 1;
  }
  client.options.reconnectPeriod = 2000;
  const base = o.live ? o.live.replace(/\/$/, "") : null;
  const view = base ? createLiveView(base, { header: [`broker: ${maskUrl(o.broker)}`], footer: "Ctrl-C to stop" }) : null;
  const filters = base ? [base + "/#"] : [o.topic || "han/#"];
  if (o.discovery) filters.push("homeassistant/#");
  // mqtt.js subscribes again by itself after a reconnect.
  client.subscribe(filters, { qos: 1 });
  if (!view) console.error(`monitor: connected to ${maskUrl(o.broker)}, watching ${filters.join(", ")}; Ctrl-C to stop`);
  client.on("error", (e) => console.error(`monitor: ${e.message}`));
  client.on("offline", () => console.error("monitor: lost the broker, retrying"));
  client.on("message", (topic, payload, packet) => {
    const text = payload.toString("utf8");
    if (view) view.update(topic, text);
    else console.log(`${new Date().toISOString()} ${packet.retain ? "R" : " "} ${topic} ${text}`);
  });
  await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  view?.close();
  await client.endAsync(true);
  return 0;
}

runCli("monitor", main, USAGE);
