// A scripted broker end for MqttClient unit tests. What the client writes is decoded by mqtt-packet, an
// independent codec, so these tests do not check our writer against our own parser.
import mqttPacket from "mqtt-packet";
import type { MqttSocket } from "../../lib/mqtt/client";
import type { Listener } from "../../lib/mqtt/emitter";

export class FakeSocket implements MqttSocket {
  /** Packets the client wrote, in order. */
  readonly sent: mqttPacket.Packet[] = [];
  /** mqtt-packet's complaints about what the client wrote; tests expect none. */
  readonly rejected: string[] = [];
  ended = false;
  private readonly listeners: { [event: string]: Listener[] } = {};
  private readonly decoder = mqttPacket.parser({ protocolVersion: 4 });

  constructor() {
    this.decoder.on("packet", (p) => this.sent.push(p));
    this.decoder.on("error", (e) => this.rejected.push(e.message));
  }

  write(data: string): void {
    if (this.ended) throw new Error("write after end");
    this.decoder.parse(Buffer.from(data, "latin1"));
  }

  end(): void {
    this.ended = true;
  }

  on(event: string, fn: Listener): void {
    (this.listeners[event] = this.listeners[event] || []).push(fn);
  }

  /** The TCP connection is up. */
  accept(): void {
    this.fire("connect");
  }

  /** The broker sends packets (mqtt-packet form) or raw bytes. */
  send(...packets: (mqttPacket.Packet | string)[]): void {
    const bytes = packets.map((p) => typeof p === "string" ? p : mqttPacket.generate(p).toString("latin1"));
    this.fire("data", bytes.join(""));
  }

  connack(returnCode?: number): void {
    this.send({ cmd: "connack", returnCode: returnCode || 0, sessionPresent: false });
  }

  close(): void {
    this.fire("close");
  }

  /** Everything written has been sent: Espruino's 'drain'. */
  drained(): void {
    this.fire("drain");
  }

  fail(error: unknown): void {
    this.fire("error", error);
  }

  /** The packets sent of one kind. */
  of(cmd: string): mqttPacket.Packet[] {
    return this.sent.filter((p) => p.cmd === cmd);
  }

  private fire(event: string, arg?: unknown): void {
    for (const fn of this.listeners[event] || []) fn(arg);
  }
}

/** A connect factory that records every socket it opens. */
export function fakeConnector(): { connect: () => FakeSocket; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  return {
    sockets,
    connect: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
  };
}
