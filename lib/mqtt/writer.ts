// Encodes MQTT 3.1.1 control packets into binary strings (one byte per char), the form `socket.write()` takes on
// Espruino. The client needs CONNECT, PUBLISH, the acks, SUBSCRIBE, UNSUBSCRIBE, PINGREQ and DISCONNECT; the
// server-side packets are here for tests and round trips, and a bundle that does not import them drops them.
// Inputs are trusted: the caller keeps topics valid and strings under 65536 bytes.
import {
  CONNACK, CONNECT, CONNECT_CLEAN, CONNECT_PASSWORD, CONNECT_USERNAME, CONNECT_WILL, CONNECT_WILL_RETAIN,
  DISCONNECT, FLAG_DUP, FLAG_RETAIN, FLAGS_REQUIRED, PINGREQ, PUBLISH, PUBREL, SUBACK, SUBSCRIBE, UNSUBSCRIBE,
} from "./constants";
import type { ConnectPacket, Packet, Subscription } from "./packets";

const chr = String.fromCharCode;

/** The variable-length remaining-length field: 1 to 4 bytes, 7 bits each, least significant first. */
export function encodeLength(n: number): string {
  let out = "";
  do {
    const digit = n % 128;
    n = Math.floor(n / 128);
    out += chr(n > 0 ? digit | 128 : digit);
  } while (n > 0);
  return out;
}

function u16(n: number): string {
  return chr(n >> 8 & 255, n & 255);
}

/** Bytes with their 2-byte length in front; text too, being UTF-8 bytes already (device strings are 8-bit). */
function field(bytes: string): string {
  return u16(bytes.length) + bytes;
}


function frame(first: number, body: string): string {
  return chr(first) + encodeLength(body.length) + body;
}

export function encodeConnect(p: ConnectPacket): string {
  let flags = p.cleanSession ? CONNECT_CLEAN : 0;
  let tail = field(p.clientId);
  const will = p.will;
  if (will) {
    flags |= CONNECT_WILL | will.qos << 3 | (will.retain ? CONNECT_WILL_RETAIN : 0);
    tail += field(will.topic) + field(will.payload);
  }
  if (p.username !== null) {
    flags |= CONNECT_USERNAME;
    tail += field(p.username);
  }
  if (p.password !== null) {
    flags |= CONNECT_PASSWORD;
    tail += field(p.password);
  }
  return frame(CONNECT << 4, field(p.protocolName) + chr(p.protocolLevel, flags) + u16(p.keepAlive) + tail);
}

export function encodeConnack(sessionPresent: boolean, returnCode: number): string {
  return chr(CONNACK << 4, 2, sessionPresent ? 1 : 0, returnCode);
}

/** PUBLISH with positional fields, so the hot path builds no packet object. payload is bytes; packetId is
 *  ignored for QoS 0. */
export function encodePublish(topic: string, payload: string, qos: number, retain: boolean, dup: boolean,
  packetId: number): string {
  const head = qos > 0 ? field(topic) + u16(packetId) : field(topic);
  const first = PUBLISH << 4 | (dup ? FLAG_DUP : 0) | qos << 1 | (retain ? FLAG_RETAIN : 0);
  return chr(first) + encodeLength(head.length + payload.length) + head + payload;
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP or UNSUBACK. */
export function encodeAck(type: number, packetId: number): string {
  return chr(type << 4 | (type === PUBREL ? FLAGS_REQUIRED : 0), 2, packetId >> 8 & 255, packetId & 255);
}

export function encodeSubscribe(packetId: number, subscriptions: Subscription[]): string {
  let body = u16(packetId);
  for (let i = 0; i < subscriptions.length; i++) body += field(subscriptions[i].topic) + chr(subscriptions[i].qos);
  return frame(SUBSCRIBE << 4 | FLAGS_REQUIRED, body);
}

export function encodeSuback(packetId: number, granted: number[]): string {
  let body = u16(packetId);
  for (let i = 0; i < granted.length; i++) body += chr(granted[i]);
  return frame(SUBACK << 4, body);
}

export function encodeUnsubscribe(packetId: number, topics: string[]): string {
  let body = u16(packetId);
  for (let i = 0; i < topics.length; i++) body += field(topics[i]);
  return frame(UNSUBSCRIBE << 4 | FLAGS_REQUIRED, body);
}

/** PINGREQ, PINGRESP or DISCONNECT: a type and a zero length. */
export function encodeEmpty(type: number): string {
  return chr(type << 4, 0);
}

export const PINGREQ_BYTES = encodeEmpty(PINGREQ);
export const DISCONNECT_BYTES = encodeEmpty(DISCONNECT);

/** Any packet from its decoded form: the inverse of the parser. */
export function encodePacket(p: Packet): string {
  switch (p.type) {
    case 1: return encodeConnect(p);
    case 2: return encodeConnack(p.sessionPresent, p.returnCode);
    case 3: return encodePublish(p.topic, p.payload, p.qos, p.retain, p.dup, p.packetId);
    case 8: return encodeSubscribe(p.packetId, p.subscriptions);
    case 9: return encodeSuback(p.packetId, p.granted);
    case 10: return encodeUnsubscribe(p.packetId, p.topics);
    case 12: case 13: case 14: return encodeEmpty(p.type);
    default: return encodeAck(p.type, p.packetId);
  }
}
