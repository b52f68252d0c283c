// The device's MQTT 3.1.1 client. It runs over any socket shaped like Espruino's `net` socket, keeps a retained
// status topic ("online" after each CONNACK, the last will "offline" otherwise), subscribes to its topics, sends
// QoS 0, 1 and 2 messages (queued while offline) and reconnects by itself after any loss, forever, with backoff.
//
// Events: "connect" (session up), "close" (reason text; after every failed attempt or lost session),
// "connectError" (reason text; before that "close" when opening the socket threw, which is the device's own
// problem, its configuration or its memory, rather than the network's), "message" (topic text, payload bytes as
// a binary string, and whether the broker sent it as retained).
import { Backoff } from "./backoff";
import type { Clock } from "./clock";
import { systemClock } from "./clock";
import {
  CONNACK, PINGRESP, PROTOCOL_LEVEL, PROTOCOL_NAME, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, SUBACK, SUBACK_FAILURE,
  UNSUBACK, connackError, packetName,
} from "./constants";
import { Emitter } from "./emitter";
import type { Listener } from "./emitter";
import { Inflight, LAST_WINDOW_ID } from "./inflight";
import { KeepAlive } from "./keepalive";
import type { Packet, PublishPacket, Subscription } from "./packets";
import { PacketParser } from "./parser";
import { OfflineQueue } from "./queue";
import type { KeptStore, OutMessage } from "./queue";
import {
  DISCONNECT_BYTES, PINGREQ_BYTES, encodeAck, encodeConnect, encodePublish, encodeSubscribe,
} from "./writer";

/** What the client needs from a connection: Espruino's `net`/`tls` socket, or scripts/mqtt-node-transport.ts. Data
 *  goes both ways as binary strings. "drain" means that everything written has been sent (Espruino emits it
 *  once its send buffer is empty, and once at connect); a socket that never emits it is not held back. */
export interface MqttSocket {
  write(data: string): void;
  end(): void;
  on(event: "connect" | "data" | "close" | "error" | "drain", fn: Listener): void;
}

export interface ClientOptions {
  /** Opens a new connection to the broker; called for every attempt. May throw (no network): that counts as a
   *  failed attempt. */
  connect: () => MqttSocket;
  clientId: string;
  /** Gets a retained "online" after each CONNACK; the last will sets it to a retained "offline" (QoS 1). */
  statusTopic: string;
  username?: string;
  password?: string;
  /** Seconds; 0 turns keep-alive off. Default 60. */
  keepAlive?: number;
  /** Default true. */
  cleanSession?: boolean;
  /** Subscribed after each CONNACK (e.g. the device command topic and homeassistant/status). */
  subscriptions?: Subscription[];
  /** Default: the globals. */
  clock?: Clock;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
  /** First reconnect delay in ms. Default 1000. */
  backoffBase?: number;
  /** Longest reconnect delay in ms. Default 60000. A session that lasted this long resets the backoff. */
  backoffCap?: number;
  /** Ms from opening the socket to CONNACK. Default 10000. */
  connectTimeout?: number;
  /** Largest packet accepted from the broker, in bytes. Default 4096. */
  maxPacketSize?: number;
  /** QoS 1 messages awaiting PUBACK at once. Default 4. */
  maxInflight?: number;
  /** Messages held while offline. Default 16. */
  queueSize?: number;
  /** Holds messages published with `keep` until they are delivered, in place of the offline queue. */
  keptStore?: KeptStore;
}

export interface PublishOptions {
  /** 0, 1 or 2. */
  qos?: number;
  retain?: boolean;
  /** Never dropped for a droppable message when the offline queue is full; with a KeptStore, kept there until the
   *  broker has it. */
  keep?: boolean;
}

export interface MqttStats {
  connected: boolean;
  /** Connection attempts, the first one included. */
  attempts: number;
  /** Sessions established (CONNACK accepted). */
  connects: number;
  /** Sessions established after the first. */
  reconnects: number;
  queueDrops: number;
  keptDrops: number;
  parseErrors: number;
  /** PUBLISH packets from the broker over maxPacketSize: acknowledged, their payload skipped unread. */
  oversize: number;
  /** Attempts whose connect() threw. */
  connectErrors: number;
  queued: number;
  inflight: number;
  lastError: string;
}

/** The client's states. Written in where used: a module's own top-level consts would each hold device variables. */
const enum State {
  IDLE = 0,
  CONNECTING = 1,
  CONNECTED = 2,
  WAITING = 3,
  STOPPED = 4,
}

/** Bounds on the bytes written and not yet sent, which Espruino holds in its variable heap (some 10 bytes per
 *  variable) for as long as the broker takes to read them. */
const enum Unsent {
  /** Messages wait in the offline queue (droppable ones first to go) while this many bytes wait to be sent. */
  PAUSE = 2048,
  /** Acknowledgements and pings are written regardless, so a broker that floods QoS 1 messages and does not read
   *  would pile them up: past this the connection is given up, which frees them all. */
  LIMIT = 6144,
}

/** Identifiers outside the QoS 1 window: the status message and the subscription are sent again on every
 *  connection, so they need no tracking and their acknowledgements are not waited for. */
const STATUS_ID = LAST_WINDOW_ID + 1;
const SUBSCRIBE_ID = LAST_WINDOW_ID + 2;

function pick(value: number | undefined, fallback: number): number {
  return value === undefined ? fallback : value;
}

/** Text for whatever a socket or a listener threw or reported: Espruino gives {code, message}, Node an Error. */
function errorText(e: unknown): string {
  const message = e && typeof e === "object" ? (e as { message?: unknown }).message : undefined;
  return message !== undefined ? String(message) : String(e);
}

/** PUBLISH topics: non-empty, no wildcards, at most 65535 bytes. */
function validTopic(topic: string): boolean {
  return topic.length > 0 && topic.length < 65536 && topic.indexOf("+") < 0 && topic.indexOf("#") < 0;
}

export class MqttClient extends Emitter {
  private readonly opts: ClientOptions;
  private readonly clock: Clock;
  private readonly parser: PacketParser;
  private readonly keepAlive: KeepAlive;
  private readonly backoff: Backoff;
  private readonly inflight: Inflight;
  private readonly queue: OfflineQueue;
  private readonly backoffCap: number;
  private readonly connectTimeout: number;
  private sock: MqttSocket | null = null;
  private state = State.IDLE;
  /** The connect timeout while connecting, the reconnect delay while waiting. */
  private timer: unknown = null;
  private connectedAt = 0;
  private attempts = 0;
  private connects = 0;
  private parseErrors = 0;
  private oversized = 0;
  /** Bytes written since the socket last said it had sent everything; -1 until it first has. */
  private unsent = -1;
  private connectErrors = 0;
  private lastError = "";
  /** The broker kept the session (CONNACK): it knows the QoS 2 messages it has by their identifiers. */
  private session = false;

  constructor(opts: ClientOptions) {
    super();
    this.opts = opts;
    this.clock = opts.clock || systemClock;
    this.backoffCap = pick(opts.backoffCap, 60000);
    this.connectTimeout = pick(opts.connectTimeout, 10000);
    this.parser = new PacketParser((p) => this.handle(p), opts.maxPacketSize);
    this.keepAlive = new KeepAlive(this.clock, pick(opts.keepAlive, 60) * 1000, () => this.write(PINGREQ_BYTES),
      () => this.lost("no packet from the broker within 1.5 keep-alive periods"));
    this.backoff = new Backoff(pick(opts.backoffBase, 1000), this.backoffCap, opts.random || Math.random);
    this.inflight = new Inflight(Math.max(1, pick(opts.maxInflight, 4)));
    this.queue = new OfflineQueue(pick(opts.queueSize, 16));
  }

  on(event: "connect", fn: () => void): this;
  on(event: "close" | "connectError", fn: (reason: string) => void): this;
  on(event: "message", fn: (topic: string, payload: string, retained: boolean) => void): this;
  on(event: string, fn: Listener): this {
    return super.on(event, fn);
  }

  /** Starts connecting; from then on the client keeps itself connected until end(). */
  start(): void {
    if (this.state === State.IDLE) this.open();
  }

  /** The network has just come back (Wi-Fi associated): a reconnect waiting out its backoff tries now, and the
   *  backoff starts again from its base, since the failures it grew on were the network's, not the broker's. */
  networkUp(): void {
    if (this.state !== State.WAITING) return;
    this.clearTimer();
    this.backoff.reset();
    this.open();
  }

  /** Publishes the status "offline", disconnects cleanly (so the broker drops the will) and stops for good. */
  end(): void {
    if (this.state === State.CONNECTED) {
      this.write(encodePublish(this.opts.statusTopic, "offline", 1, true, false, STATUS_ID));
      this.write(DISCONNECT_BYTES);
    }
    this.state = State.STOPPED;
    this.closeSocket();
  }

  /** Sends or queues a message. Topic and payload are byte strings (one char per byte, as every string on the
   *  device is); a host caller with non-ASCII text encodes it to UTF-8 bytes first. False when the topic is invalid, the client has
   *  ended, or the message was dropped at once because the queue is full of kept messages. */
  publish(topic: string, payload: string, options?: PublishOptions): boolean {
    if (this.state === State.STOPPED || !validTopic(topic)) return false;
    const msg: OutMessage = {
      topic,
      payload,
      qos: options && options.qos || 0,
      retain: !!(options && options.retain),
      keep: !!(options && options.keep),
    };
    const store = this.opts.keptStore;
    if (msg.keep && store) {
      store.add(msg);
      this.drain();
      return true;
    }
    if (this.state === State.CONNECTED && this.queue.size() === 0 && this.room(msg)) {
      this.send(msg);
      return true;
    }
    return this.queue.push(msg) !== msg;
  }

  isConnected(): boolean {
    return this.state === State.CONNECTED;
  }

  stats(): MqttStats {
    return {
      connected: this.state === State.CONNECTED,
      attempts: this.attempts,
      connects: this.connects,
      reconnects: this.connects > 0 ? this.connects - 1 : 0,
      queueDrops: this.queue.dropped,
      keptDrops: this.opts.keptStore ? this.opts.keptStore.dropped : this.queue.keptDropped,
      parseErrors: this.parseErrors,
      oversize: this.oversized,
      connectErrors: this.connectErrors,
      queued: this.queue.size(),
      inflight: this.inflight.size(),
      lastError: this.lastError,
    };
  }

  protected listenerFailed(error: unknown): void {
    this.lastError = "listener threw: " + errorText(error);
  }

  private open(): void {
    this.timer = null;
    this.state = State.CONNECTING;
    this.attempts++;
    let sock: MqttSocket;
    try {
      sock = this.opts.connect();
    } catch (e) {
      this.connectErrors++;
      this.emit("connectError", errorText(e));
      this.lost(errorText(e));
      return;
    }
    this.sock = sock;
    this.unsent = -1;
    sock.on("connect", () => {
      if (this.sock === sock) this.write(this.connectBytes());
    });
    sock.on("data", (data: string) => {
      if (this.sock === sock) this.received(data);
    });
    sock.on("close", () => {
      if (this.sock === sock) this.lost("connection closed");
    });
    sock.on("error", (e: unknown) => {
      if (this.sock === sock) this.lost(errorText(e));
    });
    sock.on("drain", () => {
      if (this.sock !== sock) return;
      this.unsent = 0;
      this.drain();
    });
    this.timer = this.clock.setTimeout(() => this.lost("no CONNACK within " + this.connectTimeout + " ms"),
      this.connectTimeout);
  }

  private connectBytes(): string {
    const o = this.opts;
    return encodeConnect({
      type: 1,
      protocolName: PROTOCOL_NAME,
      protocolLevel: PROTOCOL_LEVEL,
      clientId: o.clientId,
      keepAlive: pick(o.keepAlive, 60),
      cleanSession: o.cleanSession !== false,
      username: o.username === undefined ? null : o.username,
      password: o.password === undefined ? null : o.password,
      will: { topic: o.statusTopic, payload: "offline", qos: 1, retain: true },
    });
  }

  private received(data: string): void {
    const error = this.parser.feed(data);
    if (error !== null) {
      this.parseErrors++;
      this.lost("parse error: " + error);
    }
  }

  private handle(p: Packet): void {
    this.keepAlive.received();
    if (this.state === State.CONNECTING) {
      if (p.type === CONNACK) this.connack(p.returnCode, p.sessionPresent);
      else this.lost(packetName(p.type) + " before CONNACK");
      return;
    }
    switch (p.type) {
      case PUBLISH:
        this.incoming(p);
        break;
      case PUBACK:
      case PUBCOMP:
        this.acked(p.packetId);
        break;
      case PUBREC:
        this.pubrec(p.packetId);
        break;
      case PUBREL:
        this.write(encodeAck(PUBCOMP, p.packetId));
        break;
      case SUBACK:
        this.subscribed(p.granted);
        break;
      case UNSUBACK:
      case PINGRESP: // keepAlive.received() above is all it is for
        break;
      default:
        this.lost("unexpected " + packetName(p.type));
    }
  }

  private connack(returnCode: number, session: boolean): void {
    if (returnCode !== 0) {
      this.lost("connection refused: " + connackError(returnCode));
      return;
    }
    this.clearTimer();
    this.state = State.CONNECTED;
    this.session = session;
    this.connects++;
    this.connectedAt = this.clock.now();
    this.keepAlive.start();
    this.write(encodePublish(this.opts.statusTopic, "online", 1, true, false, STATUS_ID));
    const subscriptions = this.opts.subscriptions;
    if (subscriptions && subscriptions.length > 0) this.write(encodeSubscribe(SUBSCRIBE_ID, subscriptions));
    this.inflight.forEach((id, m) => this.write(this.packet(m, id, true)));
    this.drain();
    if (this.state === State.CONNECTED) this.emit("connect");
  }

  /** A refused subscription leaves the session up (the readings still go out) but shows in lastError. */
  private subscribed(granted: number[]): void {
    const subscriptions = this.opts.subscriptions || [];
    const i = granted.indexOf(SUBACK_FAILURE);
    if (i >= 0) this.lastError = "subscription refused: " + (i < subscriptions.length ? subscriptions[i].topic : i);
  }

  private incoming(p: PublishPacket): void {
    if (p.qos === 1) this.write(encodeAck(PUBACK, p.packetId));
    else if (p.qos === 2) this.write(encodeAck(PUBREC, p.packetId));
    if (p.oversize) {
      this.oversized++;
      return;
    }
    this.emit("message", p.topic, p.payload, p.retain);
  }

  /** PUBREC: the broker has a QoS 2 message, and it is released. A kept one is marked so in flash first: after a
   *  restart only its release goes again, which the broker cannot take for a new message. */
  private pubrec(packetId: number): void {
    const msg = this.inflight.get(packetId);
    const store = this.opts.keptStore;
    if (msg && !msg.rel) {
      msg.rel = true;
      if (store && msg.keep) store.received(msg);
    }
    this.write(encodeAck(PUBREL, packetId));
  }

  /** A message held in the window as it goes (again): its PUBREL once the broker has it in a session it kept;
   *  else the PUBLISH, the broker that lost the session taking it anew (docs/mqtt.md, Kept energy). */
  private packet(m: OutMessage, id: number, dup: boolean): string {
    return m.rel && this.session ? encodeAck(PUBREL, id) : encodePublish(m.topic, m.payload, m.qos, m.retain, dup, id);
  }

  private acked(packetId: number): void {
    const msg = this.inflight.release(packetId);
    if (msg) this.delivered(msg);
    this.drain();
  }

  private send(msg: OutMessage): void {
    if (msg.qos === 0) {
      this.write(encodePublish(msg.topic, msg.payload, 0, msg.retain, false, 0));
      this.delivered(msg);
    } else {
      this.write(this.packet(msg, this.inflight.add(msg), false));
    }
  }

  /** Whether msg can be written now: the socket is not holding too much unsent, and the QoS 1 window has room. */
  private room(msg: OutMessage): boolean {
    return this.unsent < Unsent.PAUSE && (msg.qos === 0 || !this.inflight.full());
  }

  /** Sends queued messages while connected and there is room. */
  private drain(): void {
    let next = this.queue.peek() || this.fromStore();
    while (next !== null && this.state === State.CONNECTED && this.room(next)) {
      this.queue.shift();
      this.send(next);
      next = this.queue.peek() || this.fromStore();
    }
  }

  /** While connected, the kept store's next message, put in the emptied offline queue: there it waits for room
   *  like any other, and the store does not hand it out again. */
  private fromStore(): OutMessage | null {
    const store = this.opts.keptStore;
    const msg = store && this.state === State.CONNECTED ? store.next() : null;
    if (msg) this.queue.push(msg);
    return msg;
  }

  /** A message has reached the broker: a kept one leaves its store. */
  private delivered(msg: OutMessage): void {
    const store = this.opts.keptStore;
    if (store && msg.keep) store.done(msg);
  }

  private write(data: string): void {
    const sock = this.sock;
    if (sock === null) return;
    if (this.unsent >= 0) {
      this.unsent += data.length;
      if (this.unsent > Unsent.LIMIT) {
        this.lost("the broker is not reading: " + this.unsent + " bytes unsent");
        return;
      }
    }
    try {
      sock.write(data);
    } catch (e) {
      this.lost(errorText(e));
      return;
    }
    this.keepAlive.sent();
  }

  /** The connection is gone (or never came): close it and try again after the backoff delay. */
  private lost(reason: string): void {
    const wasConnected = this.state === State.CONNECTED;
    this.closeSocket();
    this.lastError = reason;
    if (wasConnected && this.clock.now() - this.connectedAt >= this.backoffCap) this.backoff.reset();
    if (this.state !== State.STOPPED) {
      this.state = State.WAITING;
      this.timer = this.clock.setTimeout(() => this.open(), this.backoff.next());
    }
    this.emit("close", reason);
  }

  private closeSocket(): void {
    const sock = this.sock;
    this.sock = null;
    this.keepAlive.stop();
    this.clearTimer();
    this.parser.reset();
    if (sock === null) return;
    try {
      sock.end();
    } catch (e) {
      // Already closed: nothing is left to release.
    }
  }

  private clearTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
