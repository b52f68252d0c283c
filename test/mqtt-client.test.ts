// MqttClient against a scripted socket and a fake clock: what it writes (read back by mqtt-packet), how it reacts
// to the broker, and its timing (backoff, keep-alive, connect timeout) without any real waiting.
import { test } from "node:test";
import assert from "node:assert/strict";
import mqttPacket from "mqtt-packet";
import { MqttClient } from "../lib/mqtt/client";
import type { ClientOptions } from "../lib/mqtt/client";
import type { KeptStore, OutMessage } from "../lib/mqtt/queue";
import { FakeClock } from "./support/fake-clock";
import { fakeConnector, FakeSocket } from "./support/fake-mqtt-socket";

const STATUS = "han/3f2a/status";
const COMMANDS = "han/3f2a/cmd";

interface Rig {
  client: MqttClient;
  clock: FakeClock;
  sockets: FakeSocket[];
  closes: string[];
  messages: [string, string][];
  connects: number;
}

function rig(overrides?: Partial<ClientOptions>): Rig {
  const clock = new FakeClock();
  const connector = fakeConnector();
  const client = new MqttClient(Object.assign({
    connect: connector.connect,
    clientId: "han-3f2a",
    statusTopic: STATUS,
    username: "meter",
    password: "s3cret",
    keepAlive: 60,
    subscriptions: [{ topic: COMMANDS, qos: 1 }, { topic: "homeassistant/status", qos: 0 }],
    clock: clock,
    random: () => 0.5,
  }, overrides));
  const r: Rig = { client, clock, sockets: connector.sockets, closes: [], messages: [], connects: 0 };
  client.on("close", (reason) => r.closes.push(reason));
  client.on("message", (topic, payload) => r.messages.push([topic, payload]));
  client.on("connect", () => { r.connects++; });
  return r;
}

/** Starts the client and completes the connection; returns the socket. */
function online(r: Rig): FakeSocket {
  if (r.sockets.length === 0) r.client.start();
  const s = r.sockets[r.sockets.length - 1];
  s.accept();
  s.connack();
  return s;
}

function last(r: Rig): FakeSocket {
  return r.sockets[r.sockets.length - 1];
}

function publishes(s: FakeSocket): mqttPacket.IPublishPacket[] {
  return s.of("publish") as mqttPacket.IPublishPacket[];
}

function summary(p: mqttPacket.IPublishPacket): string {
  return [p.topic, String(p.payload), "q" + p.qos, p.retain ? "r" : "-", p.dup ? "d" : "-"].join(" ");
}

test("CONNECT carries the client id, credentials, keep-alive, clean session and the retained offline will", () => {
  const r = rig();
  r.client.start();
  assert.equal(r.sockets.length, 1);
  const s = r.sockets[0];
  assert.deepEqual(s.sent, [], "nothing before the TCP connection is up");
  s.accept();
  const c = s.sent[0] as mqttPacket.IConnectPacket;
  assert.equal(c.cmd, "connect");
  assert.equal(c.protocolId, "MQTT");
  assert.equal(c.protocolVersion, 4);
  assert.equal(c.clientId, "han-3f2a");
  assert.equal(c.username, "meter");
  assert.equal(String(c.password), "s3cret");
  assert.equal(c.keepalive, 60);
  assert.equal(c.clean, true);
  assert.equal(c.will?.topic, STATUS);
  assert.equal(String(c.will?.payload), "offline");
  assert.equal(c.will?.qos, 1);
  assert.equal(c.will?.retain, true);
  assert.deepEqual(s.rejected, []);
});

test("after CONNACK: retained online first, then the subscriptions, then the connect event", () => {
  const r = rig();
  const s = online(r);
  assert.deepEqual(s.sent.map((p) => p.cmd), ["connect", "publish", "subscribe"]);
  assert.equal(summary(publishes(s)[0]), STATUS + " online q1 r -");
  const sub = s.of("subscribe")[0] as mqttPacket.ISubscribePacket;
  assert.deepEqual(sub.subscriptions, [{ topic: COMMANDS, qos: 1 }, { topic: "homeassistant/status", qos: 0 }]);
  assert.equal(r.connects, 1);
  assert.equal(r.client.stats().connected, true);
});

test("publish: QoS 0 and 1 with retain; the QoS 1 window holds back the rest until PUBACKs", () => {
  const r = rig({ maxInflight: 2 });
  const s = online(r);
  assert.equal(r.client.publish("han/3f2a/list2", "{\"p\":1}"), true);
  assert.equal(r.client.publish("han/3f2a/config", "c", { qos: 1, retain: true }), true);
  r.client.publish("q/1", "a", { qos: 1 });
  r.client.publish("q/2", "b", { qos: 1 });
  r.client.publish("q/3", "c", { qos: 0 });
  const sent = publishes(s).slice(1);
  assert.deepEqual(sent.map(summary), ["han/3f2a/list2 {\"p\":1} q0 - -", "han/3f2a/config c q1 r -", "q/1 a q1 - -"]);
  assert.deepEqual(r.client.stats().inflight, 2);
  assert.deepEqual(r.client.stats().queued, 2);
  s.send({ cmd: "puback", messageId: sent[1].messageId });
  assert.deepEqual(publishes(s).slice(4).map(summary), ["q/2 b q1 - -", "q/3 c q0 - -"], "in order after PUBACK");
  const ids = publishes(s).filter((p) => p.qos === 1).map((p) => p.messageId);
  assert.equal(new Set(ids).size, ids.length, "distinct packet identifiers");
  assert.deepEqual(s.rejected, []);
});

test("topics and payloads are bytes both ways: UTF-8 text passes through as its bytes", () => {
  const r = rig();
  const s = online(r);
  const utf8 = (t: string) => Buffer.from(t, "utf8").toString("latin1");
  r.client.publish(utf8("t/\u00e6"), utf8("\u20ac"));
  const p = publishes(s)[1];
  assert.equal(p.topic, "t/\u00e6");
  assert.deepEqual([...(p.payload as Buffer)], [0xe2, 0x82, 0xac]);
  s.send({ cmd: "publish", topic: COMMANDS, payload: Buffer.from([0, 0xff]), qos: 0, retain: false, dup: false });
  assert.deepEqual(r.messages, [[COMMANDS, "\u0000\u00ff"]]);
});

test("a refused subscription shows in lastError and leaves the session up", () => {
  const r = rig();
  const s = online(r);
  const sub = s.of("subscribe")[0];
  s.send({ cmd: "suback", messageId: sub.messageId, granted: [1, 128] });
  assert.equal(r.client.stats().lastError, "subscription refused: homeassistant/status");
  assert.equal(r.client.stats().connected, true);
});

test("invalid topics are refused", () => {
  const r = rig();
  online(r);
  assert.equal(r.client.publish("", "x"), false);
  assert.equal(r.client.publish("a/+", "x"), false);
  assert.equal(r.client.publish("a/#", "x"), false);
  assert.equal(r.client.publish("x".repeat(65536), "x"), false);
});

test("messages published while offline are sent in order after CONNACK; dropped readings are counted", () => {
  const r = rig({ queueSize: 3 });
  r.client.publish("r/1", "1");
  r.client.publish("e/1", "E1", { qos: 1, keep: true });
  r.client.publish("r/2", "2");
  r.client.publish("r/3", "3");
  r.client.publish("r/4", "4");
  assert.equal(r.client.stats().queueDrops, 2);
  const s = online(r);
  assert.deepEqual(publishes(s).map((p) => p.topic), [STATUS, "e/1", "r/3", "r/4"]);
  assert.equal(r.client.stats().queued, 0);
});

/** What packets take on the wire. */
function wireBytes(packets: mqttPacket.Packet[]): number {
  return packets.reduce((n, p) => n + mqttPacket.generate(p).length, 0);
}

test("back-pressure: past 2 KB unsent, messages wait in the offline queue (readings go first) until 'drain'", () => {
  const r = rig({ queueSize: 4 });
  const s = online(r);
  s.drained(); // Espruino reports its empty send buffer at connect
  const before = s.sent.length;
  const reading = "x".repeat(300);
  for (let i = 0; i < 50; i++) r.client.publish("han/3f2a/power", i + reading);
  r.client.publish("han/3f2a/energy", "E", { qos: 1, retain: true, keep: true });
  const written = s.sent.slice(before);
  const bytes = wireBytes(written);
  assert.ok(bytes >= 2048 && bytes < 2048 + 330, bytes + " bytes written before the socket drained");
  const stats = r.client.stats();
  assert.equal(stats.queued, 4);
  assert.equal(stats.queueDrops, 51 - written.length - 4);
  s.drained();
  assert.deepEqual(publishes(s).slice(1 + written.length).map((p) => String(p.payload).slice(0, 2)),
    ["47", "48", "49", "E"], "the newest readings and the energy message, in order");
  assert.equal(r.client.stats().queued, 0);
});

test("back-pressure needs a socket that reports 'drain': until its first, nothing is held back", () => {
  const r = rig();
  const s = online(r);
  for (let i = 0; i < 50; i++) r.client.publish("han/3f2a/power", "x".repeat(300));
  assert.equal(publishes(s).length, 51);
  assert.equal(r.client.stats().queued, 0);
});

test("a QoS 1 flood from a broker that does not read: past 6 KB of acknowledgements unsent, it is given up", () => {
  const r = rig();
  const s = online(r);
  s.drained();
  const flood: mqttPacket.Packet[] = [];
  for (let i = 1; i <= 2000; i++) {
    flood.push({ cmd: "publish", topic: COMMANDS, payload: "x", qos: 1, messageId: i, retain: false, dup: false });
  }
  s.send(...flood);
  const acks = s.of("puback").length;
  assert.ok(acks > 1000 && wireBytes(s.of("puback")) <= 6144, acks + " acknowledgements written");
  assert.match(r.closes[0], /^the broker is not reading: \d+ bytes unsent$/);
  assert.equal(s.ended, true);
  // The message whose acknowledgement went over the bound was received whole and is handed on; none after it.
  assert.equal(r.messages.length, acks + 1);
  r.clock.runNext();
  online(r);
  assert.equal(r.client.stats().connected, true);
});

test("a PUBACK storm for identifiers never sent writes nothing and leaves nothing behind", () => {
  const r = rig();
  const s = online(r);
  const before = s.sent.length;
  const storm: mqttPacket.Packet[] = [];
  for (let i = 1; i <= 10000; i++) storm.push({ cmd: "puback", messageId: i % 65535 + 1 });
  s.send(...storm);
  assert.equal(s.sent.length, before);
  const stats = r.client.stats();
  assert.deepEqual([stats.connected, stats.inflight, stats.queued, stats.parseErrors], [true, 0, 0, 0]);
});

test("incoming messages: QoS 1 is acknowledged, QoS 2 gets PUBREC then PUBCOMP, all are emitted", () => {
  const r = rig();
  const s = online(r);
  s.send(
    { cmd: "publish", topic: COMMANDS, payload: Buffer.from("restart"), qos: 1, messageId: 77, retain: false, dup: false },
    { cmd: "publish", topic: "homeassistant/status", payload: Buffer.from("online"), qos: 2, messageId: 78, retain: false,
      dup: false },
  );
  s.send({ cmd: "pubrel", messageId: 78 });
  assert.deepEqual(r.messages, [[COMMANDS, "restart"], ["homeassistant/status", "online"]]);
  assert.deepEqual(s.sent.slice(3).map((p) => p.cmd + " " + p.messageId), ["puback 77", "pubrec 78", "pubcomp 78"]);
});

test("unacknowledged QoS 1 messages are sent again with DUP and the same identifiers after a reconnect", () => {
  const r = rig();
  const s1 = online(r);
  r.client.publish("a", "1", { qos: 1 });
  r.client.publish("b", "2", { qos: 1 });
  const [a, b] = publishes(s1).slice(1);
  s1.send({ cmd: "puback", messageId: a.messageId });
  s1.close();
  assert.deepEqual(r.closes, ["connection closed"]);
  assert.equal(s1.ended, true);
  r.clock.runNext();
  const s2 = online(r);
  const again = publishes(s2);
  assert.deepEqual(again.map(summary), [STATUS + " online q1 r -", "b 2 q1 - d"]);
  assert.equal(again[1].messageId, b.messageId);
  s2.send({ cmd: "puback", messageId: b.messageId });
  assert.equal(r.client.stats().inflight, 0);
  assert.equal(r.client.stats().reconnects, 1);
});

test("a refused CONNACK gives the named error and a growing delay before each new attempt", () => {
  const r = rig({ backoffBase: 1000 });
  r.client.start();
  const delays: number[] = [];
  for (let i = 0; i < 9; i++) {
    const s = last(r);
    s.accept();
    s.connack(4);
    assert.equal(s.ended, true);
    assert.equal(r.clock.pending(), 1, "only the reconnect timer");
    delays.push(r.clock.runNext() as number);
  }
  assert.deepEqual(r.closes.slice(0, 2), ["connection refused: bad user name or password",
    "connection refused: bad user name or password"]);
  assert.equal(r.client.stats().lastError, "connection refused: bad user name or password");
  // random() = 0.5 puts each delay at 3/4 of the doubling step, capped at 60 s.
  assert.deepEqual(delays, [750, 1500, 3000, 6000, 12000, 24000, 45000, 45000, 45000]);
  assert.equal(r.client.stats().attempts, 10);
  assert.equal(r.connects, 0);
  const named: [number, string][] = [[1, "unacceptable protocol version"], [2, "identifier rejected"],
    [3, "server unavailable"], [5, "not authorised"]];
  for (const [code, text] of named) {
    last(r).accept();
    last(r).connack(code);
    assert.equal(r.client.stats().lastError, "connection refused: " + text);
    r.clock.runNext();
  }
});

test("the backoff starts again from the base only after a session that held for the cap", () => {
  const r = rig({ backoffBase: 1000, backoffCap: 60000 });
  r.client.start();
  for (let i = 0; i < 3; i++) {
    last(r).close();
    r.clock.runNext();
  }
  // A session that drops at once does not reset the backoff: a broker that accepts and then kicks the client
  // must not cause a hot loop.
  online(r);
  last(r).close();
  assert.equal(r.clock.nextDelay(), 6000);
  r.clock.runNext();
  online(r);
  r.clock.advance(60000);
  last(r).close();
  assert.equal(r.clock.nextDelay(), 750);
});

test("a malformed packet closes the connection, is counted, and the client reconnects", () => {
  const r = rig();
  const s = online(r);
  s.send("\x30\x03\x00\x05a"); // topic runs past the packet
  assert.equal(s.ended, true);
  assert.equal(r.client.stats().parseErrors, 1);
  assert.equal(r.closes[0], "parse error: malformed PUBLISH");
  r.clock.runNext();
  online(r);
  assert.equal(r.client.stats().connected, true);
});

test("a retained command over the size limit is acknowledged and skipped unread; the session carries on", () => {
  const r = rig({ maxPacketSize: 1024 });
  const s = online(r);
  const big = mqttPacket.generate({ cmd: "publish", topic: COMMANDS, payload: Buffer.alloc(5000, 0x7b), qos: 1,
    messageId: 77, retain: true, dup: false }).toString("latin1");
  const small = mqttPacket.generate({ cmd: "publish", topic: COMMANDS, payload: "{\"cmd\":\"diag\"}", qos: 0,
    retain: false, dup: false }).toString("latin1");
  // In the chunks Espruino reads (536 bytes), the last one ending the big packet and carrying the next.
  const stream = big + small + big;
  for (let at = 0; at < stream.length; at += 536) s.send(stream.slice(at, at + 536));
  assert.deepEqual(r.closes, []);
  const stats = r.client.stats();
  assert.equal(stats.connected, true);
  assert.equal(stats.parseErrors, 0);
  assert.equal(stats.oversize, 2);
  assert.deepEqual(s.of("puback").map((p) => (p as mqttPacket.IPubackPacket).messageId), [77, 77]);
  assert.deepEqual(r.messages, [[COMMANDS, "{\"cmd\":\"diag\"}"]]);
});

test("other packets over the size limit are parse errors", () => {
  const r = rig({ maxPacketSize: 64 });
  const s = online(r);
  s.send({ cmd: "suback", messageId: 3, granted: new Array(100).fill(0) });
  assert.equal(r.client.stats().parseErrors, 1);
  assert.equal(r.closes[0], "parse error: packet of 104 bytes over 64");
});

test("protocol violations close the connection: packets before CONNACK, server-bound packets", () => {
  const r = rig();
  r.client.start();
  r.sockets[0].accept();
  r.sockets[0].send({ cmd: "pingresp" });
  assert.equal(r.closes[0], "PINGRESP before CONNACK");
  r.clock.runNext();
  const s = online(r);
  s.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "x", qos: 0 }] });
  assert.equal(r.closes[1], "parse error: SUBSCRIBE is not sent to clients");
  assert.equal(s.ended, true);
  r.clock.runNext();
  const again = online(r);
  again.send({ cmd: "connack", returnCode: 0, sessionPresent: false });
  assert.equal(r.closes[2], "unexpected CONNACK");
});

test("keep-alive: PINGREQ when idle; no answer means dead within 1.5 keep-alive periods, then reconnect", () => {
  const r = rig({ keepAlive: 10 });
  const s = online(r);
  r.clock.advance(10000);
  assert.equal(s.of("pingreq").length, 1);
  s.send({ cmd: "pingresp" });
  r.clock.advance(10000);
  assert.equal(s.of("pingreq").length, 2);
  assert.deepEqual(r.closes, []);
  const lastReceived = r.clock.now();
  r.clock.advance(5000);
  assert.deepEqual(r.closes, ["no packet from the broker within 1.5 keep-alive periods"]);
  assert.ok(r.clock.now() - lastReceived <= 15000);
  assert.equal(s.ended, true);
  r.clock.runNext();
  assert.equal(r.sockets.length, 2);
});

test("no CONNACK within the connect timeout: the attempt is abandoned and retried", () => {
  const r = rig({ connectTimeout: 5000 });
  r.client.start();
  r.sockets[0].accept();
  r.clock.advance(5000);
  assert.deepEqual(r.closes, ["no CONNACK within 5000 ms"]);
  assert.equal(r.sockets[0].ended, true);
  r.clock.runNext();
  assert.equal(r.sockets.length, 2);
});

test("a connect factory that throws (no network) counts as a failed attempt and is retried", () => {
  let calls = 0;
  const connector = fakeConnector();
  const r = rig({
    connect: () => {
      if (++calls === 1) throw new Error("Not connected to the internet");
      return connector.connect();
    },
  });
  r.client.start();
  assert.deepEqual(r.closes, ["Not connected to the internet"]);
  r.clock.runNext();
  assert.equal(connector.sockets.length, 1);
  assert.equal(r.client.stats().attempts, 2);
});

test("when the network comes back, a waiting reconnect tries at once and the backoff starts over", () => {
  let down = true;
  const connector = fakeConnector();
  const r = rig({
    connect: () => {
      if (down) throw new Error("Not connected to the internet");
      return connector.connect();
    },
  });
  r.client.start();
  for (let i = 0; i < 5; i++) r.clock.runNext();
  assert.equal(r.client.stats().attempts, 6);
  const waiting = r.clock.nextDelay();
  assert.ok(waiting !== null && waiting >= 8000, "the backoff has grown: " + waiting);
  down = false;
  r.client.networkUp();
  assert.equal(connector.sockets.length, 1, "an attempt at once");
  connector.sockets[0].accept();
  connector.sockets[0].connack();
  assert.equal(r.client.isConnected(), true);
  r.client.networkUp();
  assert.equal(connector.sockets.length, 1, "no effect while connected");
});

test("socket errors in Espruino's {code, message} shape are reported by message; the close after is ignored", () => {
  const r = rig();
  const s = online(r);
  s.fail({ code: -1, message: "connection reset" });
  s.close();
  assert.deepEqual(r.closes, ["connection reset"]);
  assert.equal(r.clock.pending(), 1);
});

test("a listener that throws does not break the client", () => {
  const r = rig();
  r.client.on("message", () => {
    throw new Error("handler bug");
  });
  const s = online(r);
  s.send({ cmd: "publish", topic: COMMANDS, payload: Buffer.from("a"), qos: 1, messageId: 5, retain: false,
    dup: false });
  s.send({ cmd: "publish", topic: COMMANDS, payload: Buffer.from("b"), qos: 0, retain: false, dup: false });
  assert.deepEqual(r.messages.map((m) => m[1]), ["a", "b"]);
  assert.equal(s.of("puback").length, 1);
  assert.equal(r.client.stats().lastError, "listener threw: handler bug");
  assert.equal(r.client.stats().connected, true);
});

test("end(): retained offline, DISCONNECT, socket closed, and no further attempts", () => {
  const r = rig();
  const s = online(r);
  r.client.end();
  assert.deepEqual(s.sent.slice(-2).map((p) => p.cmd), ["publish", "disconnect"]);
  assert.equal(summary(publishes(s).slice(-1)[0]), STATUS + " offline q1 r -");
  assert.equal(s.ended, true);
  assert.equal(r.clock.pending(), 0);
  s.close();
  r.clock.advance(3600000);
  assert.equal(r.sockets.length, 1);
  assert.equal(r.client.publish("x", "y"), false);
});

/** A KeptStore that logs what the client asks of it; `held` is what it hands out, oldest first. */
function loggingStore(held: OutMessage[]): { store: KeptStore; log: string[] } {
  const log: string[] = [];
  const store: KeptStore = {
    dropped: 0,
    add: (m) => {
      log.push("add " + m.payload);
      held.push({ topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, keep: true });
    },
    next: () => {
      const m = held.shift() || null;
      if (m) log.push("next " + m.payload);
      return m;
    },
    received: (m) => log.push("received " + m.payload),
    done: (m) => log.push("done " + m.payload),
  };
  return { store, log };
}

/** Online with a CONNACK saying whether the broker kept the session. */
function session(r: Rig, present: boolean): FakeSocket {
  if (r.sockets.length === 0) r.client.start();
  const s = r.sockets[r.sockets.length - 1];
  s.accept();
  s.send({ cmd: "connack", returnCode: 0, sessionPresent: present });
  return s;
}

test("QoS 2 kept messages: exactly once to the broker across lost connections, restarts and a broker that lost the " +
  "session", () => {
  const { store, log } = loggingStore([]);
  const r = rig({ keptStore: store, cleanSession: false });
  r.client.publish("han/3f2a/energy", "h1", { qos: 2, retain: true, keep: true });
  const s = session(r, false);
  assert.equal((s.of("connect")[0] as mqttPacket.IConnectPacket).clean, false, "a session the broker keeps");
  const sent = publishes(s).filter((p) => p.topic === "han/3f2a/energy");
  assert.deepEqual(sent.map(summary), ["han/3f2a/energy h1 q2 r -"]);
  const id = sent[0].messageId as number;
  // PUBREC: marked in the store, released; the PUBCOMP is lost with the connection.
  s.send({ cmd: "pubrec", messageId: id });
  assert.deepEqual(s.of("pubrel").map((p) => (p as mqttPacket.IPubrelPacket).messageId), [id]);
  assert.deepEqual(log, ["add h1", "next h1", "received h1"]);
  s.close();
  r.clock.runNext();
  // The broker kept the session: only the release goes again, never the message, which it would take anew.
  const s2 = session(r, true);
  assert.deepEqual(publishes(s2).filter((p) => p.topic === "han/3f2a/energy"), []);
  assert.deepEqual(s2.of("pubrel").map((p) => (p as mqttPacket.IPubrelPacket).messageId), [id]);
  s2.send({ cmd: "pubcomp", messageId: id });
  assert.deepEqual(log, ["add h1", "next h1", "received h1", "done h1"]);
  assert.equal(r.client.stats().inflight, 0);

  // After a restart the store hands out one the broker had (marked), under the identifier it was kept with.
  const held: OutMessage[] = [{ topic: "han/3f2a/energy", payload: "h2", qos: 2, retain: true, keep: true, id: 0x9812,
    rel: true }, { topic: "han/3f2a/energy", payload: "h3", qos: 2, retain: true, keep: true, id: 0x9830 }];
  const again = loggingStore(held);
  const r2 = rig({ keptStore: again.store, cleanSession: false });
  const kept = session(r2, true);
  assert.deepEqual(kept.of("pubrel").map((p) => (p as mqttPacket.IPubrelPacket).messageId), [0x9812]);
  assert.deepEqual(publishes(kept).filter((p) => p.topic === "han/3f2a/energy").map((p) => [p.payload.toString(),
    p.messageId]), [["h3", 0x9830]]);
  // A broker restarted without its sessions forgot both: each goes again as a message, under its identifier.
  kept.close();
  r2.clock.runNext();
  const lost = session(r2, false);
  assert.deepEqual(lost.of("pubrel"), []);
  assert.deepEqual(publishes(lost).filter((p) => p.topic === "han/3f2a/energy").map((p) => [p.payload.toString(),
    p.messageId, p.dup]), [["h2", 0x9812, true], ["h3", 0x9830, true]]);
  lost.send({ cmd: "pubrec", messageId: 0x9812 }, { cmd: "pubcomp", messageId: 0x9812 });
  assert.deepEqual(again.log.slice(-1), ["done h2"], "marked once: the store knew it was received");
});

test("kept messages: added to the store, sent as it hands them out while there is room, done on PUBACK", () => {
  // One kept before a restart, one published while offline.
  const { store, log } = loggingStore([{ topic: "han/3f2a/hour", payload: "h1", qos: 1, retain: true, keep: true }]);
  const r = rig({ keptStore: store, maxInflight: 1 });
  r.client.publish("han/3f2a/hour", "h2", { qos: 1, retain: true, keep: true });
  r.client.publish("han/3f2a/list2", "{}");
  assert.deepEqual(log, ["add h2"], "nothing handed out while offline");
  assert.equal(r.client.stats().queued, 1, "only the reading waits in RAM");
  const s = online(r);
  // A window of one: h1 goes out, h2 is handed out and waits in the queue for the PUBACK.
  assert.deepEqual(publishes(s).map(summary), [STATUS + " online q1 r -", "han/3f2a/list2 {} q0 - -",
    "han/3f2a/hour h1 q1 r -"]);
  assert.deepEqual(log, ["add h2", "next h1", "next h2"]);
  s.send({ cmd: "puback", messageId: publishes(s)[2].messageId });
  assert.deepEqual(publishes(s).slice(3).map(summary), ["han/3f2a/hour h2 q1 r -"]);
  // Lost before its PUBACK: sent again (DUP) on the next connection, not handed out again, done once.
  s.close();
  r.clock.runNext();
  const s2 = online(r);
  assert.deepEqual(publishes(s2).map(summary), [STATUS + " online q1 r -", "han/3f2a/hour h2 q1 r d"]);
  s2.send({ cmd: "puback", messageId: publishes(s2)[1].messageId });
  assert.deepEqual(log, ["add h2", "next h1", "next h2", "done h1", "done h2"]);
  assert.equal(r.client.stats().inflight, 0);
  store.dropped = 3;
  assert.equal(r.client.stats().keptDrops, 3, "the store's losses are the client's");
});
