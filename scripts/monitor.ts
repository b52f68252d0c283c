// `npm run monitor -- --broker URL`: prints what any dongle publishes (every topic under han/ by default), one line
// per message, or with --live the terminal view of one dongle.
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import mqtt from "mqtt";
import { createLiveView } from "./live-view";

const USAGE = `usage: npm run monitor -- --broker mqtt://host:1883 [options]
  --broker URL       the broker (mqtt:// or mqtts://)
  --user NAME        user name            --password TEXT   password
  --topic FILTER     what to print (default han/#)
  --discovery        also print Home Assistant discovery (homeassistant/#)
  --live BASE        the live view of the dongle with this base topic (e.g. han/esp32-a1b2c3)
  --ca FILE          CA certificate for mqtts://`;

function main(): void {
  let o;
  try {
    o = parseArgs({ options: { broker: { type: "string" }, user: { type: "string" }, password: { type: "string" },
      topic: { type: "string" }, discovery: { type: "boolean" }, live: { type: "string" }, ca: { type: "string" },
      help: { type: "boolean", short: "h" } } }).values;
  } catch (e) {
    console.error(`monitor: ${(e as Error).message.split("\n")[0]}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (o.help || !o.broker) {
    console.log(USAGE);
    process.exitCode = o.help ? 0 : 2;
    return;
  }
  if (!/^mqtts?:\/\//.test(o.broker)) {
    console.error(`monitor: --broker must be mqtt://host[:port] or mqtts://host[:port], got "${o.broker}"`);
    process.exitCode = 2;
    return;
  }
  const client = mqtt.connect(o.broker, { username: o.user, password: o.password, reconnectPeriod: 2000,
    ca: o.ca ? [readFileSync(o.ca)] : undefined });
  const view = o.live ? createLiveView(o.live.replace(/\/$/, "")) : null;
  const filters = o.live ? [o.live.replace(/\/$/, "") + "/#"] : [o.topic || "han/#"];
  if (o.discovery) filters.push("homeassistant/#");
  client.on("connect", () => {
    client.subscribe(filters, { qos: 1 });
    if (!view) console.error(`monitor: connected to ${o.broker}, watching ${filters.join(", ")}`);
  });
  client.on("error", (e) => console.error(`monitor: ${e.message}`));
  client.on("offline", () => console.error("monitor: broker unreachable, retrying"));
  client.on("message", (topic, payload, packet) => {
    const text = payload.toString("utf8");
    if (view) view.update(topic, text);
    else console.log(`${new Date().toISOString()} ${packet.retain ? "R" : " "} ${topic} ${text}`);
  });
  process.on("SIGINT", () => { view?.close(); client.end(true, () => process.exit(0)); });
}

main();
