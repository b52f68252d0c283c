// MqttClient over real sockets against two brokers: aedes (embedded) and mosquitto (the binary, started here). An
// MQTT.js subscriber checks what arrives. Real waiting is bounded: every wait polls for an outcome with a
// deadline, and the reconnect delays are kept to tens of milliseconds, or run on a fake clock where the test must
// count attempts exactly.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { MqttClient } from "../lib/mqtt/client";
import type { ClientOptions } from "../lib/mqtt/client";
import { startEmbeddedBroker } from "../scripts/mqtt-aedes";
import { nodeConnector } from "../scripts/mqtt-node-transport";
import type { NodeMqttSocket } from "../scripts/mqtt-node-transport";
import { PASSWORD, USERNAME, mosquittoMissing, startAedes, startMosquitto } from "./support/brokers";
import type { Broker } from "./support/brokers";
import { FakeClock } from "./support/fake-clock";
import { LIST2_JSON } from "./support/mqtt-samples";

const TIMEOUT = { timeout: 20000 };

async function waitFor(what: string, done: () => boolean, ms?: number): Promise<void> {
  const deadline = Date.now() + (ms || 5000);
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for " + what);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Device {
  id: string;
  client: MqttClient;
  sockets: NodeMqttSocket[];
  closes: string[];
  messages: string[];
  connects: number;
}

let deviceCount = 0;

function device(broker: Broker, overrides?: Partial<ClientOptions>): Device {
  const id = "dev" + ++deviceCount + "-" + process.pid;
  const open = nodeConnector(broker.url);
  const d: Device = { id, client: null as unknown as MqttClient, sockets: [], closes: [], messages: [], connects: 0 };
  d.client = new MqttClient(Object.assign({
    connect: () => {
      const s = open();
      d.sockets.push(s);
      return s;
    },
    clientId: "han-" + id,
    statusTopic: "han/" + id + "/status",
    username: USERNAME,
    password: PASSWORD,
    subscriptions: [{ topic: "han/" + id + "/cmd", qos: 1 }, { topic: "homeassistant/status", qos: 0 }],
    backoffBase: 20,
    backoffCap: 200,
  }, overrides));
  d.client.on("close", (reason) => d.closes.push(reason));
  d.client.on("message", (topic, payload) => d.messages.push(topic + " " + payload));
  d.client.on("connect", () => { d.connects++; });
  return d;
}

interface Seen {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

interface Subscriber {
  client: mqtt.MqttClient;
  seen: Seen[];
  on(topic: string): Seen[];
}

async function subscriber(broker: Broker, topics: string[], options?: mqtt.IClientOptions): Promise<Subscriber> {
  const client = await mqtt.connectAsync(broker.url, Object.assign({
    username: USERNAME, password: PASSWORD, reconnectPeriod: 50, connectTimeout: 5000,
  }, options));
  const seen: Seen[] = [];
  client.on("message", (topic, payload, packet) => {
    seen.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain });
  });
  await client.subscribeAsync(topics, { qos: 1 });
  return { client, seen, on: (topic) => seen.filter((m) => m.topic === topic) };
}

function brokerTests(name: string, start: () => Promise<Broker>, skip: string | false): void {
  describe("MQTT client against " + name, { skip: skip }, () => {
    let broker: Broker;
    const cleanups: (() => Promise<void> | void)[] = [];

    before(async () => {
      broker = await start();
    });

    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      if (broker) await broker.dispose();
    });

    function track(d: Device): Device {
      cleanups.push(() => d.client.end());
      return d;
    }

    function trackSubscriber(s: Subscriber): Subscriber {
      cleanups.push(() => s.client.endAsync(true));
      return s;
    }

    it("publishes retained online, readings and retained config with the right QoS, and receives commands",
      TIMEOUT, async () => {
        const d = track(device(broker));
        const base = "han/" + d.id;
        d.client.start();
        await waitFor("CONNACK", () => d.connects === 1);
        // The broker handles a connection's packets in order, so once the device hears its own message on its
        // command topic, its SUBSCRIBE has taken effect.
        d.client.publish(base + "/cmd", "probe", { qos: 1 });
        await waitFor("the probe", () => d.messages.length === 1);

        const sub = trackSubscriber(await subscriber(broker, [base + "/#"]));
        await waitFor("the retained status", () => sub.on(base + "/status").length === 1);
        assert.deepEqual(sub.on(base + "/status")[0], { topic: base + "/status", payload: "online", qos: 1,
          retain: true });

        d.client.publish(base + "/list2", LIST2_JSON);
        d.client.publish(base + "/config", "{\"unit\":\"W\"}", { qos: 1, retain: true });
        await waitFor("two publishes", () => sub.on(base + "/list2").length === 1 && sub.on(base + "/config").length === 1);
        assert.deepEqual(sub.on(base + "/list2")[0], { topic: base + "/list2", payload: LIST2_JSON, qos: 0, retain: false });
        assert.deepEqual(sub.on(base + "/config")[0], { topic: base + "/config", payload: "{\"unit\":\"W\"}", qos: 1,
          retain: false });
        const late = trackSubscriber(await subscriber(broker, [base + "/config"]));
        await waitFor("the retained config", () => late.seen.length === 1);
        assert.equal(late.seen[0].retain, true);

        await sub.client.publishAsync(base + "/cmd", "restart", { qos: 1 });
        await sub.client.publishAsync("homeassistant/status", "online", { qos: 0 });
        await waitFor("two commands", () => d.messages.length === 3);
        assert.deepEqual(d.messages, [base + "/cmd probe", base + "/cmd restart", "homeassistant/status online"]);

        d.client.end();
        await waitFor("offline on end()", () => sub.on(base + "/status").length === 2);
        assert.deepEqual(sub.on(base + "/status")[1], { topic: base + "/status", payload: "offline", qos: 1,
          retain: false });
        assert.equal(d.client.stats().lastError, "");
      });

    it("the last will, a retained offline, arrives when the device's socket is destroyed", TIMEOUT, async () => {
      const clock = new FakeClock(); // holds back the reconnect, so the will stays the last word
      const d = track(device(broker, { clock: clock }));
      const status = "han/" + d.id + "/status";
      d.client.start();
      await waitFor("CONNACK", () => d.connects === 1);
      const sub = trackSubscriber(await subscriber(broker, [status]));
      await waitFor("online", () => sub.seen.length === 1);
      assert.equal(sub.seen[0].payload, "online");

      d.sockets[0].destroy();
      await waitFor("the will", () => sub.seen.length === 2);
      assert.deepEqual(sub.seen[1], { topic: status, payload: "offline", qos: 1, retain: false });
      assert.deepEqual(d.closes, ["connection closed"]);
      const late = trackSubscriber(await subscriber(broker, [status]));
      await waitFor("the retained will", () => late.seen.length === 1);
      assert.deepEqual(late.seen[0], { topic: status, payload: "offline", qos: 1, retain: true });

      clock.runNext();
      await waitFor("the reconnect", () => d.connects === 2);
      await waitFor("online again", () => sub.seen.length === 3);
      assert.equal(sub.seen[2].payload, "online");
    });

    it("after a broker restart the client comes back by itself and QoS 1 messages published meanwhile arrive",
      TIMEOUT, async () => {
        const d = track(device(broker));
        const topic = "han/" + d.id + "/hour";
        d.client.start();
        await waitFor("CONNACK", () => d.connects === 1);
        // A persistent session, so the subscriber gets the messages whichever of the two reconnects first.
        const sub = trackSubscriber(await subscriber(broker, [topic], { clientId: "checker-" + d.id, clean: false }));

        await broker.stop();
        await waitFor("the device to notice", () => d.closes.length === 1);
        for (const n of [1, 2, 3]) assert.equal(d.client.publish(topic, "{\"h\":" + n + "}", { qos: 1, keep: true }), true);
        assert.equal(d.client.stats().queued, 3);
        await waitFor("a failed attempt while the broker is down", () => d.closes.length >= 3);

        await broker.start();
        await waitFor("the queued messages", () => sub.seen.length === 3, 10000);
        assert.deepEqual(sub.seen.map((m) => m.payload + " q" + m.qos), ["{\"h\":1} q1", "{\"h\":2} q1", "{\"h\":3} q1"]);
        await waitFor("the PUBACKs", () => d.client.stats().inflight === 0);
        const stats = d.client.stats();
        assert.equal(stats.connected, true);
        assert.equal(stats.reconnects, 1);
        assert.ok(stats.attempts >= 3 && stats.attempts < 60, stats.attempts + " attempts");
        assert.equal(stats.queued, 0);
      });

    it("bad credentials give the named error and a growing backoff, never a hot loop", TIMEOUT, async () => {
      const clock = new FakeClock();
      const d = track(device(broker, { password: "wrong", clock: clock, random: () => 0.5, backoffBase: 1000,
        backoffCap: 60000 }));
      d.client.start();
      const delays: number[] = [];
      for (;;) {
        await waitFor("a refusal", () => d.closes.length === delays.length + 1);
        const delay = clock.nextDelay() as number;
        if (clock.now() + delay > 60000) break;
        delays.push(delay);
        clock.runNext();
      }
      assert.ok(d.closes.every((reason) => reason === broker.badPasswordError), d.closes.join(", "));
      assert.deepEqual(delays, [750, 1500, 3000, 6000, 12000, 24000]);
      assert.equal(d.client.stats().attempts, 7, "attempts in the first minute");
      assert.equal(d.connects, 0);
    });
  });
}

/** A self-signed certificate for 127.0.0.1, made by openssl in a temporary directory; null without openssl. */
function selfSignedCertificate(): { key: string; cert: string } | null {
  const dir = mkdtempSync(join(tmpdir(), "mqtt-tls-"));
  try {
    const made = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
      "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=test",
      "-addext", "subjectAltName=IP:127.0.0.1"]);
    if (made.status !== 0) return null;
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const certificate = selfSignedCertificate();
if (!certificate) console.error("\n*** SKIPPING the mqtts:// test: openssl could not make a certificate. ***\n");

describe("MQTT client over TLS (mqtts://) against aedes", { skip: certificate ? false : "openssl missing" }, () => {
  it("connects when the certificate checks out, and refuses a server it cannot verify", TIMEOUT, async () => {
    const { key, cert } = certificate as { key: string; cert: string };
    const broker = await startEmbeddedBroker(0, undefined, { key, cert });
    const published: string[] = [];
    broker.aedes.on("publish", (packet, client) => {
      if (client) published.push(packet.topic + " " + packet.payload.toString());
    });
    const url = "mqtts://127.0.0.1:" + broker.port;
    const trusted = new MqttClient({ connect: nodeConnector(url, { ca: cert }), clientId: "tls-ok",
      statusTopic: "han/tls/status" });
    const clock = new FakeClock();
    const untrusted = new MqttClient({ connect: nodeConnector(url), clientId: "tls-bad", statusTopic: "han/bad/status",
      clock: clock });
    const refusals: string[] = [];
    untrusted.on("close", (reason) => refusals.push(reason));
    try {
      trusted.start();
      untrusted.start();
      await waitFor("the TLS session", () => trusted.isConnected());
      trusted.publish("han/tls/list2", LIST2_JSON);
      await waitFor("the publish", () => published.length === 2);
      // aedes reports a retained QoS 1 message after storing it, so the order of the two can differ.
      assert.deepEqual(published.slice().sort(), ["han/tls/list2 " + LIST2_JSON, "han/tls/status online"]);
      await waitFor("the refusal", () => refusals.length === 1);
      assert.match(refusals[0], /self[- ]signed certificate/);
      assert.equal(clock.pending(), 1, "and a retry scheduled");
    } finally {
      trusted.end();
      untrusted.end();
      await broker.close();
    }
  });
});

const mosquittoSkip = mosquittoMissing();
if (mosquittoSkip) {
  console.error("\n*** SKIPPING the mosquitto MQTT tests: " + mosquittoSkip + ". CI installs it. ***\n");
}

brokerTests("aedes", startAedes, false);
brokerTests("mosquitto", startMosquitto, mosquittoSkip ? "mosquitto missing: " + mosquittoSkip : false);
