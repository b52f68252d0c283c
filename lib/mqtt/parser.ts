// Incremental MQTT 3.1.1 packet parser for the client side: it decodes what a broker sends, and refuses as a
// protocol violation the packets only a broker receives. It is fed the socket's chunks as they come (any split: a packet across
// chunks, several packets in one chunk), hands each complete packet to a callback, and reports a malformed
// packet as an error text: it never throws. After an error the stream cannot be trusted, so the parser drops what
// it holds and the client closes the connection.
//
// A PUBLISH over the size limit is no error: the stream is still in step (its length says where the next packet
// starts), and ending the session for it would let one retained message keep the client reconnecting. Its topic
// and packet identifier are read, so that it can be acknowledged, and handed on with `oversize` set and no
// payload; the payload streams past without being held. Any other packet over the limit is an error.
//
// It keeps at most one incomplete packet, and a packet's size is checked as soon as its fixed header is in, so
// the memory it holds stays below maxPacketSize plus one chunk.
import {
  CONNACK, CONNECT, DISCONNECT, FLAG_DUP, FLAG_RETAIN, FLAGS_REQUIRED, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL,
  SUBACK, SUBACK_FAILURE, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE, packetName,
} from "./constants";
import type { Packet, PublishPacket } from "./packets";
import { toBinaryString } from "../bytes";

export const DEFAULT_MAX_PACKET_SIZE = 4096;

/** Reads the fields of one packet body, s[pos, end). Any overrun or bad string clears `ok` instead of throwing, so a
 *  decoder reads all its fields and checks once. */
class Cursor {
  pos: number;
  ok = true;
  constructor(readonly s: string, start: number, readonly end: number) {
    this.pos = start;
  }

  byte(): number {
    if (this.pos >= this.end) {
      this.ok = false;
      return 0;
    }
    return this.s.charCodeAt(this.pos++);
  }

  u16(): number {
    const high = this.byte();
    return high << 8 | this.byte();
  }

  /** A packet identifier, which must not be 0. */
  id(): number {
    const id = this.u16();
    if (id === 0) this.ok = false;
    return id;
  }

  /** Length-prefixed bytes; text is UTF-8 on the wire and stays bytes here, as all device strings are. */
  bytes(): string {
    const n = this.u16();
    if (!this.ok || this.pos + n > this.end) {
      this.ok = false;
      return "";
    }
    this.pos += n;
    return this.s.substring(this.pos - n, this.pos);
  }

  /** A PUBLISH topic: non-empty, free of the + and # wildcards. */
  topic(): string {
    const t = this.bytes();
    if (t === "" || t.indexOf("+") >= 0 || t.indexOf("#") >= 0) this.ok = false;
    return t;
  }

  rest(): string {
    const value = this.s.substring(this.pos, this.end);
    this.pos = this.end;
    return value;
  }

  /** True when every field was valid and the body held nothing more. */
  done(): boolean {
    return this.ok && this.pos === this.end;
  }
}

function decodePublish(flags: number, c: Cursor): Packet | null {
  const qos = flags >> 1 & 3;
  const dup = (flags & FLAG_DUP) !== 0;
  if (qos === 3 || dup && qos === 0) return null;
  const topic = c.topic();
  const packetId = qos > 0 ? c.id() : 0;
  if (!c.ok) return null;
  return { type: PUBLISH, topic, payload: c.rest(), qos, retain: (flags & FLAG_RETAIN) !== 0, dup,
    packetId };
}

function decodeSuback(c: Cursor): Packet | null {
  const packetId = c.id();
  const granted: number[] = [];
  while (c.ok && c.pos < c.end) {
    const code = c.byte();
    if (code > 2 && code !== SUBACK_FAILURE) return null;
    granted.push(code);
  }
  return c.done() && granted.length > 0 ? { type: SUBACK, packetId, granted } : null;
}

function decodeConnack(c: Cursor): Packet | null {
  const ackFlags = c.byte();
  const returnCode = c.byte();
  return c.done() && ackFlags < 2 ? { type: CONNACK, sessionPresent: ackFlags === 1, returnCode } : null;
}

function decodeAck(type: 4 | 5 | 6 | 7 | 11, c: Cursor): Packet | null {
  const packetId = c.id();
  return c.done() ? { type, packetId } : null;
}

/** The packet whose first byte is `first` and whose body is s[start, end), or an error text. */
function decodePacket(first: number, s: string, start: number, end: number): Packet | string {
  const type = first >> 4;
  const flags = first & 15;
  const c = new Cursor(s, start, end);
  let p: Packet | null = null;
  if (type === 0 || type === 15) {
    return "reserved packet type " + type;
  } else if (type === PUBLISH) {
    p = decodePublish(flags, c);
  } else if (flags !== (type === PUBREL || type === SUBSCRIBE || type === UNSUBSCRIBE ? FLAGS_REQUIRED : 0)) {
    return "bad flags in " + packetName(type);
  } else if (type === CONNECT || type === SUBSCRIBE || type === UNSUBSCRIBE || type === PINGREQ ||
    type === DISCONNECT) {
    // A client has no use for the packets only a broker receives; from a broker they are a protocol violation.
    return packetName(type) + " is not sent to clients";
  } else if (type === CONNACK) {
    p = decodeConnack(c);
  } else if (type === PUBACK || type === PUBREC || type === PUBREL || type === PUBCOMP || type === UNSUBACK) {
    p = decodeAck(type, c);
  } else if (type === SUBACK) {
    p = decodeSuback(c);
  } else if (type === PINGRESP) {
    p = start === end ? { type } : null;
  }
  return p === null ? "malformed " + packetName(type) : p;
}

export class PacketParser {
  /** Malformed packets seen. */
  errors = 0;
  private buf = "";
  /** Bytes of an oversize PUBLISH still to come, which are dropped as they arrive. */
  private skip = 0;
  /** Bumped by reset(), so a feed() whose callback reset the parser stops handing out packets. */
  private generation = 0;
  /** Where the body starts; set by lengthAt() next to the length it returns. */
  private bodyAt = 0;
  private readonly maxSize: number;

  constructor(private readonly onPacket: (p: Packet) => void, maxPacketSize?: number) {
    this.maxSize = maxPacketSize === undefined ? DEFAULT_MAX_PACKET_SIZE : maxPacketSize;
  }

  /** Takes the next chunk. Returns null, or an error text when the stream holds a malformed packet. */
  feed(chunk: string | Uint8Array): string | null {
    let data = typeof chunk === "string" ? chunk : toBinaryString(chunk);
    if (this.skip >= data.length) {
      this.skip -= data.length;
      return null;
    }
    if (this.skip > 0) {
      data = data.substring(this.skip);
      this.skip = 0;
    }
    const s = this.buf.length > 0 ? this.buf + data : data;
    const generation = this.generation;
    let pos = 0;
    while (pos < s.length) {
      const length = this.lengthAt(s, pos);
      if (length === -2) return this.fail("bad remaining length");
      if (length === -1) break;
      const first = s.charCodeAt(pos);
      const end = this.bodyAt + length;
      // Where decoding stops: the end, or for an oversize PUBLISH the end of its topic and packet identifier.
      let upTo = end;
      if (end - pos > this.maxSize) {
        if (first >> 4 === PUBLISH) {
          if (this.bodyAt + 2 > s.length) break;
          upTo = Math.min(end, this.bodyAt + 2 + (s.charCodeAt(this.bodyAt) << 8 | s.charCodeAt(this.bodyAt + 1)) +
            (first & 6 ? 2 : 0));
        }
        if (upTo - pos > this.maxSize) return this.fail("packet of " + (end - pos) + " bytes over " + this.maxSize);
      }
      if (upTo > s.length) break;
      const p = decodePacket(first, s, this.bodyAt, upTo);
      if (typeof p === "string") return this.fail(p);
      if (upTo < end) (p as PublishPacket).oversize = true;
      if (end > s.length) this.skip = end - s.length;
      pos = end;
      this.onPacket(p);
      if (generation !== this.generation) return null;
    }
    this.buf = pos === 0 ? s : s.substring(pos);
    return null;
  }

  /** Drops any partial packet; for a new connection. */
  reset(): void {
    this.buf = "";
    this.skip = 0;
    this.generation++;
  }

  /** Bytes held while waiting for the rest of a packet. */
  buffered(): number {
    return this.buf.length;
  }

  /** The remaining length of the packet at pos, with its body start in bodyAt; -1 when more bytes are needed, -2
   *  when the field runs past its 4 bytes. */
  private lengthAt(s: string, pos: number): number {
    let length = 0;
    let scale = 1;
    for (let i = pos + 1; i < s.length; i++) {
      const b = s.charCodeAt(i);
      length += (b & 127) * scale;
      if (b < 128) {
        this.bodyAt = i + 1;
        return length;
      }
      if (i === pos + 4) return -2;
      scale *= 128;
    }
    return -1;
  }

  private fail(error: string): string {
    this.reset();
    this.errors++;
    return error;
  }
}
