// The MQTT client and parser driven through a fixed script, with everything they write and report gathered into
// one JSON-serializable transcript. Imported in Node and, bundled, run in the Espruino-shaped context
// (globalThis.__mqttGate), so the two transcripts can be compared. It is bundled for the device, so it keeps to
// the same language rules as lib/.
import { MqttClient } from "../../lib/mqtt/client";
import type { MqttSocket } from "../../lib/mqtt/client";
import type { Clock } from "../../lib/mqtt/clock";
import type { Listener } from "../../lib/mqtt/emitter";
import { PacketParser } from "../../lib/mqtt/parser";
import { encodeAck, encodeConnack, encodePacket, encodePublish } from "../../lib/mqtt/writer";
import { createRng } from "../../scripts/sim/random";

function hex(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += (s.charCodeAt(i) < 16 ? "0" : "") + s.charCodeAt(i).toString(16);
  return out;
}

/** Timers that move only when the script says so. */
class ScriptClock implements Clock {
  time = 0;
  private ids: number[] = [];
  private ats: number[] = [];
  private fns: (() => void)[] = [];
  private last = 0;

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    this.ids.push(++this.last);
    this.ats.push(this.time + ms);
    this.fns.push(fn);
    return this.last;
  }

  clearTimeout(handle: unknown): void {
    const i = this.ids.indexOf(handle as number);
    if (i < 0) return;
    this.ids.splice(i, 1);
    this.ats.splice(i, 1);
    this.fns.splice(i, 1);
  }

  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let best = -1;
      for (let i = 0; i < this.ats.length; i++) {
        if (this.ats[i] <= end && (best < 0 || this.ats[i] < this.ats[best])) best = i;
      }
      if (best < 0) break;
      const fn = this.fns[best];
      this.time = this.ats[best];
      this.clearTimeout(this.ids[best]);
      fn();
    }
    this.time = end;
  }
}

class ScriptSocket implements MqttSocket {
  private listeners: { [event: string]: Listener[] } = {};
  constructor(private readonly n: number, private readonly log: string[]) {}

  write(data: string): void {
    this.log.push("w" + this.n + " " + hex(data));
  }

  end(): void {
    this.log.push("end" + this.n);
  }

  on(event: string, fn: Listener): void {
    if (!this.listeners[event]) this.listeners[event] = [];
    this.listeners[event].push(fn);
  }

  fire(event: string, arg?: unknown): void {
    const list = this.listeners[event] || [];
    for (let i = 0; i < list.length; i++) list[i](arg);
  }
}

export interface MqttTranscript {
  log: string[];
  stats: unknown;
  fuzz: { packets: number; errors: number; incomplete: number; maxBuffered: number };
}

/** Bit flips, truncations and byte changes of a few packets, fed in pieces. */
function fuzzParser(count: number): MqttTranscript["fuzz"] {
  const random = createRng(7);
  const seeds = [
    encodePublish("han/x/list2", "{\"p\":1873,\"u\":231.4}", 1, true, false, 9),
    encodeConnack(false, 0),
    encodeAck(4, 300),
    encodePacket({ type: 9, packetId: 2, granted: [1, 128] }),
    encodePacket({ type: 1, protocolName: "MQTT", protocolLevel: 4, clientId: "c", keepAlive: 60,
      cleanSession: true, username: "u", password: "p", will: { topic: "s", payload: "offline", qos: 1, retain: true } }),
  ];
  const result = { packets: 0, errors: 0, incomplete: 0, maxBuffered: 0 };
  const parser = new PacketParser(function () { result.packets++; }, 256);
  for (let i = 0; i < count; i++) {
    let s = seeds[Math.floor(random() * seeds.length)];
    const at = Math.floor(random() * s.length);
    const kind = Math.floor(random() * 3);
    if (kind === 0) s = s.substring(0, at) + String.fromCharCode(s.charCodeAt(at) ^ 1 << Math.floor(random() * 8)) + s.substring(at + 1);
    else if (kind === 1) s = s.substring(0, at);
    else s = s.substring(0, at) + String.fromCharCode(Math.floor(random() * 256)) + s.substring(at + 1);
    parser.reset();
    const cut = Math.floor(random() * (s.length + 1));
    let error = parser.feed(s.substring(0, cut));
    if (error === null) error = parser.feed(s.substring(cut));
    if (parser.buffered() > result.maxBuffered) result.maxBuffered = parser.buffered();
    if (error !== null) result.errors++;
    else if (parser.buffered() > 0) result.incomplete++;
  }
  return result;
}

export function runMqttScript(): MqttTranscript {
  const log: string[] = [];
  const clock = new ScriptClock();
  const sockets: ScriptSocket[] = [];
  const client = new MqttClient({
    connect: function () {
      const s = new ScriptSocket(sockets.length, log);
      sockets.push(s);
      return s;
    },
    clientId: "han-3f2a", statusTopic: "han/3f2a/status", username: "meter", password: "s3cret", keepAlive: 10,
    subscriptions: [{ topic: "han/3f2a/cmd", qos: 1 }, { topic: "homeassistant/status", qos: 0 }],
    clock: clock, random: function () { return 0.5; }, maxInflight: 2, queueSize: 3,
  });
  client.on("connect", function () { log.push("connect"); });
  client.on("close", function (reason: string) { log.push("close " + reason); });
  client.on("message", function (topic: string, payload: string) { log.push("message " + topic + " " + hex(payload)); });

  client.publish("han/3f2a/list2", "{\"p\":1}");
  client.start();
  sockets[0].fire("connect");
  sockets[0].fire("data", encodeConnack(false, 0));
  client.publish("han/3f2a/list2", "{\"p\":2,\"\u00e6\":1}");
  client.publish("han/3f2a/hour", "{\"kwh\":1.5}", { qos: 1, keep: true });
  client.publish("han/3f2a/hour", "{\"kwh\":2.5}", { qos: 1, keep: true });
  client.publish("han/3f2a/hour", "{\"kwh\":3.5}", { qos: 1, keep: true });
  // A PUBLISH split across two chunks, a PUBACK in the same chunk as its tail.
  const command = encodePublish("han/3f2a/cmd", "restart", 1, false, false, 77);
  sockets[0].fire("data", command.substring(0, 5));
  sockets[0].fire("data", command.substring(5) + encodeAck(4, 1));
  // A retained PUBLISH over the size limit in pieces, the next packet in its last one: skipped unread, acknowledged.
  const oversize = encodePublish("han/3f2a/cmd", new Array(6001).join("x"), 1, true, false, 78);
  sockets[0].fire("data", oversize.substring(0, 3));
  sockets[0].fire("data", oversize.substring(3, 3000));
  sockets[0].fire("data", oversize.substring(3000) + encodePublish("han/3f2a/cmd", "diag", 0, false, false, 0));
  // Once the socket has said 'drain', 2 KB unsent holds publishing back until the next one.
  sockets[0].fire("drain");
  for (let i = 0; i < 8; i++) client.publish("han/3f2a/list2", new Array(401).join("y"));
  log.push("drain");
  sockets[0].fire("drain");
  clock.advance(10000);
  sockets[0].fire("data", String.fromCharCode(0xd0, 0));
  clock.advance(16000);
  clock.advance(750);
  sockets[1].fire("connect");
  sockets[1].fire("data", encodeConnack(false, 4));
  clock.advance(1500);
  sockets[2].fire("connect");
  sockets[2].fire("data", encodeConnack(true, 0));
  sockets[2].fire("data", "\x30\x03\x00\x05a");
  clock.advance(3000);
  sockets[3].fire("error", { code: -1, message: "connection reset" });
  clock.advance(6000);
  sockets[4].fire("connect");
  sockets[4].fire("data", encodeConnack(false, 0));
  client.end();
  return { log: log, stats: client.stats(), fuzz: fuzzParser(3000) };
}

(globalThis as unknown as { __mqttGate: { run: typeof runMqttScript } }).__mqttGate = { run: runMqttScript };
