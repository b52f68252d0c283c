// The MQTT codec: every packet type through the writer and back (through the device's parser for what a broker
// sends, through mqtt-packet, the codec under MQTT.js, for what only a broker receives), byte layouts checked
// against mqtt-packet in both directions, remaining-length boundaries, chunking, and the
// malformed packets the parser must turn into errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import mqttPacket from "mqtt-packet";
import { MAX_REMAINING_LENGTH, connackError } from "../lib/mqtt/constants";
import type { Packet } from "../lib/mqtt/packets";
import { PacketParser } from "../lib/mqtt/parser";
import { encodeConnect, encodeLength, encodePacket, encodePublish } from "../lib/mqtt/writer";
import { SAMPLE_PACKETS, utf8 } from "./support/mqtt-samples";

const bin = (buffer: Buffer | Uint8Array): string => Buffer.from(buffer).toString("latin1");
const buf = (s: string): Buffer => Buffer.from(s, "latin1");

interface Parsed {
  packets: Packet[];
  errors: string[];
}

function parse(chunks: (string | Uint8Array)[], maxPacketSize?: number): Parsed {
  const out: Parsed = { packets: [], errors: [] };
  const parser = new PacketParser((p) => out.packets.push(p), maxPacketSize);
  for (const chunk of chunks) {
    const error = parser.feed(chunk);
    if (error !== null) out.errors.push(error);
  }
  return out;
}

function parseOne(bytes: string, maxPacketSize?: number): Packet | string {
  const r = parse([bytes], maxPacketSize);
  if (r.errors.length > 0) return r.errors[0];
  assert.equal(r.packets.length, 1, "one packet expected");
  return r.packets[0];
}

/** mqtt-packet's reading of our bytes. */
function theirParse(bytes: string): mqttPacket.Packet {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const seen: mqttPacket.Packet[] = [];
  parser.on("packet", (p) => seen.push(p));
  parser.on("error", (e) => assert.fail("mqtt-packet rejected our bytes: " + e.message));
  parser.parse(buf(bytes));
  assert.equal(seen.length, 1);
  return seen[0];
}

/** Packets only a broker receives: the device writes them, and its parser refuses them. */
const BROKER_BOUND = new Set([1, 8, 10, 12, 14]);
const CLIENT_BOUND_SAMPLES = SAMPLE_PACKETS.filter((p) => !BROKER_BOUND.has(p.type));

/** mqtt-packet's reading of a broker-bound packet, in our decoded form (text as UTF-8 bytes). */
function ours(p: mqttPacket.Packet): Packet {
  switch (p.cmd) {
    case "connect": return { type: 1, protocolName: p.protocolId as string, protocolLevel: p.protocolVersion as number,
      clientId: p.clientId, keepAlive: p.keepalive as number, cleanSession: p.clean as boolean,
      username: p.username === undefined ? null : utf8(p.username),
      password: p.password === undefined ? null : bin(p.password as Buffer),
      will: p.will ? { topic: utf8(p.will.topic), payload: bin(p.will.payload as Buffer), qos: p.will.qos as number,
        retain: p.will.retain as boolean } : null };
    case "subscribe": return { type: 8, packetId: p.messageId as number,
      subscriptions: p.subscriptions.map((x) => ({ topic: utf8(x.topic), qos: x.qos })) };
    case "unsubscribe": return { type: 10, packetId: p.messageId as number, topics: p.unsubscriptions.map(utf8) };
    case "pingreq": return { type: 12 };
    case "disconnect": return { type: 14 };
    default: throw new Error("not broker-bound: " + p.cmd);
  }
}

test("every packet type round-trips: client-bound through our parser, broker-bound through mqtt-packet", () => {
  const types = new Set<number>();
  for (const p of SAMPLE_PACKETS) {
    const bytes = encodePacket(p);
    if (BROKER_BOUND.has(p.type)) {
      assert.deepEqual(ours(theirParse(bytes)), p, "type " + p.type);
      assert.match(String(parseOne(bytes)), /is not sent to clients$/, "the device refuses type " + p.type);
    } else {
      const back = parseOne(bytes);
      assert.deepEqual(back, p, "type " + p.type);
      assert.equal(encodePacket(back as Packet), bytes);
    }
    types.add(p.type);
  }
  assert.deepEqual([...types].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
});

test("mqtt-packet reads what the writer produces", () => {
  const connect = theirParse(encodePacket(SAMPLE_PACKETS[0])) as mqttPacket.IConnectPacket;
  assert.equal(connect.clientId, "han-3f2a");
  assert.equal(connect.protocolId, "MQTT");
  assert.equal(connect.protocolVersion, 4);
  assert.equal(connect.keepalive, 60);
  assert.equal(connect.clean, true);
  assert.equal(connect.username, "meter");
  assert.equal(bin(connect.password as Buffer), "s3cret\u00ff\u0000");
  assert.equal(connect.will?.topic, "han/3f2a/status");
  assert.equal(bin(connect.will?.payload as Buffer), "offline");
  assert.equal(connect.will?.qos, 1);
  assert.equal(connect.will?.retain, true);

  const unicode = theirParse(encodePacket(SAMPLE_PACKETS[2])) as mqttPacket.IConnectPacket;
  assert.equal(unicode.username, "\u00e6\u00f8\u00e5 \u20ac \ud83d\ude00");

  const pub = theirParse(encodePublish(utf8("\u00e6/\u20ac"), "payload", 1, true, true, 513)) as mqttPacket.IPublishPacket;
  assert.deepEqual([pub.topic, bin(pub.payload as Buffer), pub.qos, pub.retain, pub.dup, pub.messageId],
    ["\u00e6/\u20ac", "payload", 1, true, true, 513]);

  for (const p of SAMPLE_PACKETS.slice(3)) {
    const theirs = theirParse(encodePacket(p));
    assert.equal(theirs.cmd, ["", "connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp",
      "subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect"][p.type]);
    if ("packetId" in p && p.packetId > 0) assert.equal(theirs.messageId, p.packetId);
  }
});

test("the parser reads what mqtt-packet produces", () => {
  const their: mqttPacket.Packet[] = [
    { cmd: "connack", returnCode: 5, sessionPresent: false },
    { cmd: "publish", topic: "x/\u00e6", payload: Buffer.from([0, 1, 255]), qos: 1, retain: true, dup: false,
      messageId: 99 },
    { cmd: "suback", messageId: 3, granted: [0, 1, 128] },
    { cmd: "pingresp" },
  ];
  const bytes = their.map((p) => bin(mqttPacket.generate(p))).join("");
  const r = parse([bytes]);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.packets, [
    { type: 2, sessionPresent: false, returnCode: 5 },
    { type: 3, topic: utf8("x/\u00e6"), payload: "\u0000\u0001\u00ff", qos: 1, retain: true, dup: false, packetId: 99 },
    { type: 9, packetId: 3, granted: [0, 1, 128] },
    { type: 13 },
  ]);
});

test("remaining length takes 1 to 4 bytes and switches at 128, 16384 and 2097152", () => {
  const cases: [number, string][] = [
    [0, "00"], [127, "7f"], [128, "8001"], [16383, "ff7f"], [16384, "808001"], [2097151, "ffff7f"],
    [2097152, "80808001"], [MAX_REMAINING_LENGTH, "ffffff7f"],
  ];
  for (const [n, hex] of cases) {
    assert.equal(buf(encodeLength(n)).toString("hex"), hex, String(n));
    if (n < 3 || n > 2097152) continue;
    // mqtt-packet's header for a PUBLISH of topic "t" (3 bytes) and n - 3 payload bytes.
    const theirs = mqttPacket.generate({ cmd: "publish", topic: "t", payload: Buffer.alloc(n - 3), qos: 0,
      retain: false, dup: false });
    assert.equal(theirs.subarray(1, 1 + hex.length / 2).toString("hex"), hex, String(n));
  }
});

test("packets whose remaining length sits on each boundary parse back, whole and split", () => {
  for (const length of [127, 128, 16383, 16384, 2097151, 2097152]) {
    // Topic "t" costs 3 bytes of the remaining length.
    const payload = "x".repeat(length - 3);
    const bytes = encodePublish("t", payload, 0, false, false, 0);
    assert.equal(bytes.length, 1 + encodeLength(length).length + length);
    const whole = parseOne(bytes, bytes.length);
    assert.equal((whole as { payload: string }).payload.length, length - 3);
    // Split inside the remaining-length field and inside the body.
    const split = parse([bytes.slice(0, 2), bytes.slice(2, 1000), bytes.slice(1000)], bytes.length);
    assert.deepEqual(split.errors, []);
    assert.equal(split.packets.length, 1);
  }
});

test("a remaining length of 268435455 is read, then refused as over the size limit (in all but a PUBLISH)", () => {
  const r = parse(["\x90\xff\xff\xff\x7f"]);
  assert.deepEqual(r.errors, ["packet of 268435460 bytes over 4096"]);
});

test("a fifth remaining-length byte is malformed", () => {
  assert.deepEqual(parse(["\x30\xff\xff\xff\xff\x01"]).errors, ["bad remaining length"]);
  assert.deepEqual(parse(["\x30\xff\xff", "\xff\xff"]).errors, ["bad remaining length"]);
});

test("chunks: byte by byte, many packets in one chunk, Uint8Array input", () => {
  const stream = CLIENT_BOUND_SAMPLES.map(encodePacket).join("");
  const oneByOne = parse(stream.split(""));
  assert.deepEqual(oneByOne.errors, []);
  assert.deepEqual(oneByOne.packets, CLIENT_BOUND_SAMPLES);
  assert.deepEqual(parse([stream]).packets, CLIENT_BOUND_SAMPLES);
  assert.deepEqual(parse([new Uint8Array(buf(stream))]).packets, CLIENT_BOUND_SAMPLES);
});

test("the parser holds only the incomplete tail", () => {
  const parser = new PacketParser(() => undefined);
  const pub = encodePacket(SAMPLE_PACKETS[6]);
  assert.equal(parser.feed(pub + pub.slice(0, 10)), null);
  assert.equal(parser.buffered(), 10);
  assert.equal(parser.feed(pub.slice(10)), null);
  assert.equal(parser.buffered(), 0);
});

test("an oversize packet other than a PUBLISH is refused from its fixed header, before its body arrives", () => {
  const parser = new PacketParser(() => assert.fail("no packet expected"), 100);
  const big = encodePacket({ type: 9, packetId: 7, granted: new Array(200).fill(1) });
  assert.equal(parser.feed(big.slice(0, 3)), "packet of 205 bytes over 100");
  assert.equal(parser.buffered(), 0);
  assert.equal(parser.errors, 1);
  // A packet of exactly the limit passes.
  const exact = encodePublish("t", "y".repeat(100 - 5), 0, false, false, 0);
  assert.equal(exact.length, 100);
  assert.equal(typeof parseOne(exact, 100), "object");
});

test("an oversize PUBLISH is handed on without its payload, which streams past unheld; the next packet parses", () => {
  const seen: Packet[] = [];
  const parser = new PacketParser((p) => seen.push(p), 100);
  const payload = "z".repeat(1000000);
  const big = encodePublish("han/3f2a/cmd", payload, 1, true, false, 4242);
  const next = encodePublish("han/3f2a/cmd", "{}", 0, false, false, 0);
  const stream = big + next;
  let held = 0;
  // 1 KB chunks, the last one carrying the end of the big packet and the whole next one; then byte by byte.
  for (let at = 0; at < stream.length; at += 1024) {
    assert.equal(parser.feed(stream.slice(at, at + 1024)), null);
    held = Math.max(held, parser.buffered());
  }
  for (const c of stream.split("").slice(0, 40).concat(stream.slice(40).match(/[^]{1,1024}/g) as string[])) {
    assert.equal(parser.feed(c), null);
    held = Math.max(held, parser.buffered());
  }
  assert.ok(held < 100, "the parser held " + held + " bytes");
  assert.equal(parser.errors, 0);
  const skipped = { type: 3, topic: "han/3f2a/cmd", payload: "", qos: 1, retain: true, dup: false, packetId: 4242,
    oversize: true };
  const small = { type: 3, topic: "han/3f2a/cmd", payload: "{}", qos: 0, retain: false, dup: false, packetId: 0 };
  assert.deepEqual(seen, [skipped, small, skipped, small]);
});

test("an oversize PUBLISH whose topic alone passes the limit, or with a malformed header, is an error", () => {
  const longTopic = encodePublish("t".repeat(150), "x", 0, false, false, 0);
  assert.deepEqual(parse([longTopic], 100).errors, ["packet of " + longTopic.length + " bytes over 100"]);
  const wildcard = encodePublish("a/#", "x".repeat(200), 0, false, false, 0);
  assert.deepEqual(parse([wildcard], 100).errors, ["malformed PUBLISH"]);
  const qos3 = String.fromCharCode(0x36) + wildcard.slice(1);
  assert.deepEqual(parse([qos3], 100).errors, ["malformed PUBLISH"]);
});

test("a reset from inside the callback stops the rest of the chunk", () => {
  const seen: Packet[] = [];
  const parser: PacketParser = new PacketParser((p) => {
    seen.push(p);
    parser.reset();
  });
  assert.equal(parser.feed(encodePacket({ type: 13 }) + encodePacket({ type: 13 })), null);
  assert.equal(seen.length, 1);
  assert.equal(parser.buffered(), 0);
});

test("malformed packets are error results, never exceptions", () => {
  const pub = (flags: number, body: string): string => String.fromCharCode(0x30 | flags, body.length) + body;
  const cases: [string, string][] = [
    ["\x00\x00", "reserved packet type 0"],
    ["\xf0\x00", "reserved packet type 15"],
    ["\xc1\x00", "bad flags in PINGREQ"],
    ["\x60\x02\x00\x01", "bad flags in PUBREL"],
    ["\x80\x06\x00\x01\x00\x01a\x00", "bad flags in SUBSCRIBE"],
    [pub(6, "\x00\x01t"), "malformed PUBLISH"], // QoS 3
    [pub(8, "\x00\x01t"), "malformed PUBLISH"], // DUP on QoS 0
    [pub(0, "\x00\x03a/#"), "malformed PUBLISH"], // wildcard in a PUBLISH topic
    [pub(0, "\x00\x03a+b"), "malformed PUBLISH"],
    [pub(0, "\x00\x00"), "malformed PUBLISH"], // empty topic
    [pub(2, "\x00\x01t\x00\x00"), "malformed PUBLISH"], // packet id 0
    [pub(2, "\x00\x01t\x00"), "malformed PUBLISH"], // id cut short
    [pub(0, "\x00\x05ab"), "malformed PUBLISH"], // topic longer than the packet
    ["\x20\x03\x00\x00\x00", "malformed CONNACK"], // too long
    ["\x20\x01\x00", "malformed CONNACK"],
    ["\x20\x02\x02\x00", "malformed CONNACK"], // reserved ack flag
    ["\x40\x02\x00\x00", "malformed PUBACK"], // id 0
    ["\x40\x03\x00\x01\x00", "malformed PUBACK"], // trailing byte
    ["\x82\x06\x00\x01\x00\x01a\x01", "SUBSCRIBE is not sent to clients"],
    ["\x90\x02\x00\x01", "malformed SUBACK"], // no code
    ["\x90\x03\x00\x01\x03", "malformed SUBACK"], // code 3
    ["\xa2\x02\x00\x01", "UNSUBSCRIBE is not sent to clients"],
    ["\xd0\x01\x00", "malformed PINGRESP"],
    ["\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00", "CONNECT is not sent to clients"],
    ["\xc0\x00", "PINGREQ is not sent to clients"],
    ["\xe0\x00", "DISCONNECT is not sent to clients"],
  ];
  for (const [bytes, error] of cases) {
    assert.equal(parseOne(bytes), error, buf(bytes).toString("hex"));
  }
});

test("a CONNECT without optional fields leaves them out", () => {
  const p: Packet = { type: 1, protocolName: "MQTT", protocolLevel: 4, clientId: "x", keepAlive: 5,
    cleanSession: true, username: null, password: null, will: null };
  const bytes = encodeConnect(p as Parameters<typeof encodeConnect>[0]);
  assert.equal(buf(bytes).toString("hex"), "100d00044d51545404020005000178");
  assert.deepEqual(ours(theirParse(bytes)), p);
});


test("CONNACK return codes have names", () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(connackError), ["unacceptable protocol version", "identifier rejected",
    "server unavailable", "bad user name or password", "not authorised"]);
  assert.equal(connackError(9), "reserved return code 9");
});
