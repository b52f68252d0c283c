// Three simulated hours against a hostile broker: a TCP server that speaks enough MQTT to take the emulated device
// in, and then, every ten minutes, hands it a retained command far over its packet limit (at every subscription),
// floods the subscribed topics at 1,000 messages a second, sends an oversize message live, a storm of PUBACKs for
// identifiers never used, a malformed packet (after which a reconnect is fine), and reads slowly for three
// minutes. The device must keep publishing readings at its meter's pace, deliver every hourly energy message,
// and keep its memory flat.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import mqttPacket from "mqtt-packet";
import { deviceConfig, emulate } from "./support/emulated-device";
import { meterSource } from "../scripts/emulator/index";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const HOURS = 3;
/** A minute before the first hour begins; Kamstrup's hourly list comes at xx:00:05. */
const START = Date.UTC(2024, 0, 14, 23, 59, 0);
const FIRST_HOUR = START + MINUTE;
const BASE = "han/hostile";
const CYCLE = 10 * MINUTE;
/** Kamstrup sends its list every 10 s: six power messages a minute. */
const PER_MINUTE = 6;

/** Where in each cycle what happens, in ms. */
const FLOOD_AT = 1 * MINUTE;
const FLOOD_FOR = 5 * SECOND;
const FLOOD_RATE = 1000;
const OVERSIZE_AT = 3 * MINUTE;
const STORM_AT = 4 * MINUTE;
const MALFORMED_AT = 5 * MINUTE;
const SLOW_FROM = 6 * MINUTE;
const SLOW_UNTIL = 9 * MINUTE;
/** While reading slowly: a second's reading every 20 s. */
const SLOW_PERIOD = 20 * SECOND;

/** Malformed in turn: a fifth remaining-length byte, the reserved types 15 and 0, a CONNACK in mid-session. */
const MALFORMED = ["\x30\xff\xff\xff\xff\x01", "\xf0\x00", "\x00\x00", "\x20\x02\x00\x00"];

/** What the flood sends: commands of every kind, signed by no one, some not even JSON, and Home Assistant's
 *  status, which makes the device announce its entities again. */
const FLOOD_PAYLOADS: [string, string][] = [
  [BASE + "/cmd", "{\"cmd\":\"diag\"}"], [BASE + "/cmd", "{\"cmd\":\"identify\"}"],
  [BASE + "/cmd", "{\"cmd\":\"reboot\"}"], [BASE + "/cmd", "{\"cmd\":"], [BASE + "/cmd", "\u00ff\u0000"],
  ["homeassistant/status", "online"], ["homeassistant/status", "offline"],
];

function bytes(packet: mqttPacket.Packet): Buffer {
  return mqttPacket.generate(packet);
}

function publish(topic: string, payload: string | Buffer, qos: 0 | 1, retain: boolean, id: number): Buffer {
  return bytes({ cmd: "publish", topic: topic, payload: payload, qos: qos, retain: retain, dup: false,
    messageId: qos > 0 ? id : undefined });
}

/** A retained command whose length alone says what it is: 6,000 bytes, past the device's 4,096. */
const OVERSIZE_RETAINED = publish(BASE + "/cmd", "{\"cmd\":\"reboot\",\"pad\":\"" + "x".repeat(6000) + "\"}", 1,
  true, 1);

interface Received {
  topic: string;
  payload: string;
}

class HostileBroker {
  readonly received: Received[] = [];
  connections = 0;
  /** False while reading slowly: the socket is paused. */
  reading = true;
  private socket: net.Socket | null = null;
  private readonly server = net.createServer((socket) => this.accept(socket));
  private nextId = 1;

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    if (this.socket) this.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Writes to the device's connection, if it has one. */
  send(data: Buffer | string): void {
    const s = this.socket;
    if (s && !s.destroyed) s.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  setReading(reading: boolean): void {
    this.reading = reading;
    if (!this.socket) return;
    if (reading) this.socket.resume();
    else this.socket.pause();
  }

  /** `n` messages on the subscribed topics, in one write. */
  flood(n: number): void {
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const [topic, payload] = FLOOD_PAYLOADS[i % FLOOD_PAYLOADS.length];
      parts.push(publish(topic, Buffer.from(payload, "latin1"), i % 2 === 0 ? 0 : 1, false, this.id()));
    }
    this.send(Buffer.concat(parts));
  }

  /** PUBACKs for identifiers the device never used. */
  storm(n: number): void {
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) parts.push(bytes({ cmd: "puback", messageId: 30000 + i }));
    this.send(Buffer.concat(parts));
  }

  on(topic: string): Received[] {
    return this.received.filter((m) => m.topic === topic);
  }

  private id(): number {
    this.nextId = this.nextId % 65535 + 1;
    return this.nextId;
  }

  private accept(socket: net.Socket): void {
    this.connections++;
    if (this.socket) this.socket.destroy();
    this.socket = socket;
    socket.on("error", () => { /* the device hung up */ });
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on("packet", (p) => this.packet(socket, p));
    parser.on("error", () => socket.destroy());
    socket.on("data", (data: Buffer) => parser.parse(data));
    if (!this.reading) socket.pause();
  }

  private packet(socket: net.Socket, p: mqttPacket.Packet): void {
    if (socket !== this.socket) return;
    if (p.cmd === "connect") {
      this.send(bytes({ cmd: "connack", returnCode: 0, sessionPresent: false }));
    } else if (p.cmd === "subscribe") {
      this.send(bytes({ cmd: "suback", messageId: p.messageId, granted: p.subscriptions.map((s) => s.qos) }));
      this.send(OVERSIZE_RETAINED);
    } else if (p.cmd === "publish") {
      this.received.push({ topic: p.topic, payload: Buffer.from(p.payload as Buffer).toString("latin1") });
      if (p.qos === 1) this.send(bytes({ cmd: "puback", messageId: p.messageId }));
    } else if (p.cmd === "pingreq") {
      this.send(bytes({ cmd: "pingresp" }));
    }
  }
}

function max(values: number[]): number {
  return values.reduce((a, b) => Math.max(a, b), -Infinity);
}

test("a hostile broker for 3 simulated hours: readings at the meter's pace, every hourly energy message, memory " +
  "flat", { timeout: 240000 }, async function (t) {
  const broker = new HostileBroker();
  const port = await broker.listen();
  const emu = emulate({
    startMs: START,
    files: { "han.json": deviceConfig(port, "hostile"), "han.serial": JSON.stringify({ baud: 2400, parity: "none" }) },
    source: meterSource({ maker: "kamstrup", phases: 1, wires: 4, country: "NO", seed: 91, startMs: START }),
    // Each frame in one or two chunks rather than byte by byte: the same bytes, far fewer callbacks.
    serialPollMs: 1000,
    memoryRefreshMs: HOUR,
  });
  const real = Date.now();
  try {
    await emu.advance(FIRST_HOUR - START);
    const usage: number[] = [];
    let malformed = 0;
    let floods = 0;
    const end = FIRST_HOUR - START + HOURS * HOUR;
    while (emu.clock.now < end) {
      const t0 = emu.clock.now - (FIRST_HOUR - START);
      const inCycle = t0 % CYCLE;
      const flooding = inCycle >= FLOOD_AT && inCycle < FLOOD_AT + FLOOD_FOR;
      if (flooding) {
        broker.flood(FLOOD_RATE);
        floods++;
      } else if (inCycle === OVERSIZE_AT) {
        broker.send(publish(BASE + "/cmd", Buffer.alloc(20000, 0x41), 1, false, 2));
      } else if (inCycle === STORM_AT) {
        broker.storm(2000);
      } else if (inCycle === MALFORMED_AT) {
        broker.send(MALFORMED[malformed++ % MALFORMED.length]);
      }
      // Every second while flooding, else on the 10-s grid where the other actions fall.
      let next = flooding ? SECOND : 10 * SECOND - inCycle % (10 * SECOND);
      if (inCycle >= SLOW_FROM && inCycle < SLOW_UNTIL) {
        const phase = (inCycle - SLOW_FROM) % SLOW_PERIOD;
        broker.setReading(phase === 0);
        next = phase === 0 ? SECOND : SLOW_PERIOD - phase;
      } else if (!broker.reading) {
        broker.setReading(true);
      }
      if (inCycle % (5 * MINUTE) === 0) usage.push(emu.memory().usage);
      await emu.advance(Math.min(next, end - emu.clock.now));
    }
    broker.setReading(true);
    // The hourly list of the last hour comes at xx:00:05.
    await emu.advance(MINUTE);

    assert.deepEqual(emu.console.uncaught.slice(0, 3), []);
    assert.deepEqual(emu.resets, []);
    const hourEnds = broker.on(BASE + "/energy").map((m) => JSON.parse(m.payload).hour_end);
    for (let h = 1; h <= HOURS; h++) {
      const hourEnd = new Date(FIRST_HOUR + h * HOUR).toISOString().replace(".000Z", "Z");
      assert.ok(hourEnds.includes(hourEnd), "no energy for the hour ending " + hourEnd + ": " + hourEnds.join(", "));
    }

    // Readings by the minute the device made them (their time stamp), over the hours of hostility. Those made while
    // the client reconnects after a malformed packet wait in the offline queue and keep their time stamps: one
    // missing per reconnect is allowed, and no gap of more than two meter periods.
    const made = broker.on(BASE + "/power").map((m) => Date.parse(JSON.parse(m.payload).ts))
      .filter((ts) => ts >= FIRST_HOUR && ts < FIRST_HOUR + HOURS * HOUR).sort((a, b) => a - b);
    const perMinute = new Array(HOURS * 60).fill(0);
    for (const ts of made) perMinute[Math.floor((ts - FIRST_HOUR) / MINUTE)]++;
    const short = perMinute.map((n, i) => [i, n]).filter(([, n]) => n < PER_MINUTE);
    const gap = max(made.slice(1).map((ts, i) => ts - made[i]));
    const perHour = usage.length / HOURS;
    const first = max(usage.slice(0, perHour));
    const last = max(usage.slice(-perHour));
    t.diagnostic("memory (variables) max " + max(usage) + " of " + emu.memory().total + "; first hour max " + first +
      ", last hour max " + last + "; " + made.length + " readings (" + short.length + " minutes short, longest gap " +
      gap / SECOND + " s), " + hourEnds.length + " energy messages, " + broker.connections + " connections, " +
      floods * FLOOD_RATE + " flood messages; " + ((Date.now() - real) / 1000).toFixed(1) + " s real");

    assert.ok(short.every(([, n]) => n >= PER_MINUTE - 1), "minutes short of readings: " + JSON.stringify(short));
    assert.ok(made.length >= HOURS * 60 * PER_MINUTE - malformed, made.length + " readings in " + HOURS + " hours");
    assert.ok(gap <= 20 * SECOND, "readings " + gap / SECOND + " s apart");
    assert.ok(broker.connections <= 1 + malformed, broker.connections + " connections for " + malformed +
      " malformed packets");
    assert.ok(last <= first * 1.03, "memory grew: " + usage.join(","));
    const diag = broker.on(BASE + "/diag").map((m) => JSON.parse(m.payload));
    assert.ok(diag.length > 0 && (diag[diag.length - 1].mqtt_oversize as number) >= HOURS * 6,
      "oversize messages not counted: " + JSON.stringify(diag[diag.length - 1]));
  } finally {
    emu.close();
    await broker.close();
  }
});
