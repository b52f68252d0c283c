// MQTT figures for `npm run bench`: publishes per second through MqttClient into an embedded aedes broker, and the
// bytes one list-2 reading costs on the wire. Printed, never pass/fail. Node figures: the ESP32 under Espruino
// is orders of magnitude slower, so read them as the codec's and client's own overhead, not the device's rate.
import { pathToFileURL } from "node:url";
import { MqttClient } from "../lib/mqtt/client";
import { encodePublish } from "../lib/mqtt/writer";
import { LIST2_JSON } from "../test/support/mqtt-samples";
import { startEmbeddedBroker } from "./mqtt-aedes";
import { nodeConnector } from "./mqtt-node-transport";

const TOPIC = "han/3f2a9c/list2";

function waitUntil(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (done()) resolve();
      else if (Date.now() > deadline) reject(new Error("MQTT bench timed out"));
      else setImmediate(poll);
    };
    poll();
  });
}

/** Publishes `count` messages and waits until the broker has received them all; returns messages per second. */
async function publishRate(url: string, qos: number, maxInflight: number, count: number,
  received: () => number): Promise<number> {
  const client = new MqttClient({
    connect: nodeConnector(url), clientId: "bench-q" + qos + "-" + maxInflight, statusTopic: "bench/status",
    maxInflight: maxInflight, queueSize: count,
  });
  client.start();
  await waitUntil(() => client.isConnected(), 5000);
  const before = received();
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) client.publish(TOPIC, LIST2_JSON, { qos: qos });
  await waitUntil(() => received() - before >= count && client.stats().inflight === 0, 60000);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  client.end();
  return count / seconds;
}

export async function benchMqtt(): Promise<void> {
  const broker = await startEmbeddedBroker(0);
  let received = 0;
  broker.aedes.on("publish", (packet, client) => {
    if (client && packet.topic === TOPIC) received++;
  });
  const url = "mqtt://127.0.0.1:" + broker.port;
  const count = () => received;
  try {
    await publishRate(url, 0, 4, 5000, count); // warm-up: JIT and broker
    const q0 = await publishRate(url, 0, 4, 20000, count);
    const q1 = await publishRate(url, 1, 4, 5000, count);
    const q1wide = await publishRate(url, 1, 32, 5000, count);
    const bytes = encodePublish(TOPIC, LIST2_JSON, 0, false, false, 0).length;
    const keys = Object.keys(JSON.parse(LIST2_JSON)).length;
    const n = (x: number): string => Math.round(x).toLocaleString("en");
    console.log("\nMQTT client in Node against embedded aedes (publishes per second, list-2 JSON payload)");
    console.log("  QoS 0                       " + n(q0).padStart(10));
    console.log("  QoS 1, window 4 (default)   " + n(q1).padStart(10));
    console.log("  QoS 1, window 32            " + n(q1wide).padStart(10));
    console.log("One list-2 publish on the wire (" + keys + " numeric keys)");
    console.log("  topic " + TOPIC.length + " B + payload " + LIST2_JSON.length + " B -> QoS 0 packet " + bytes +
      " B, QoS 1 packet " + (bytes + 2) + " B");
    console.log("  (plus 40 B of TCP/IPv4 headers per segment; a QoS 1 publish also gets a 4 B PUBACK back)");
  } finally {
    await broker.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchMqtt().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
