// Where readings leave: the decoder's readings and frames become messages of the topic contract
// (lib/publish/contract.ts), energy passes the guard first, and Home Assistant discovery is paced out one
// message at a time.
import type { Reading, MeterIdentity } from "../reading";
import type { Clock } from "../mqtt/clock";
import { toHex } from "../bytes";
import { topicSpec, TopicName } from "./contract";
import {
  powerPayload, instantPayload, energyValues, energyPayload, closedHour, clockIsSet, payloadJson, publishable,
  numberText, unpublishable,
} from "./payloads";
import { EnergyGuard } from "./energy-guard";
import { discoveryMessage, diagnosticKeys, entityClass } from "./discovery";

/** The MQTT client as the publisher sees it. */
export interface MessageSink {
  publish(topic: string, payload: string, options?: { qos?: number; retain?: boolean; keep?: boolean }): boolean;
}

export interface PublisherOptions {
  /** "han/<device-id>" unless configured. */
  base: string;
  deviceId: string;
  firmwareVersion: string;
  perValueTopics: boolean;
  rawTopic: boolean;
  discovery: boolean;
  /** "homeassistant" unless configured. */
  discoveryPrefix: string;
  /** Ms between two discovery messages: a burst browns out boards powered from the meter. */
  discoveryInterval: number;
  /** The most power the installation can carry, in W: the energy guard's bound on a register's rise. */
  maxPower: number;
  clock: Clock;
}

export class Publisher {
  /** Per-value and raw topics, off when memory runs short (the firmware decides). */
  optionalEnabled: boolean;
  guard: EnergyGuard;
  /** Values left out of every payload: not finite, or integers beyond 2^53 (payloads.ts). */
  refusedValues: number;
  private sink: MessageSink;
  private o: PublisherOptions;
  private meter: MeterIdentity | null;
  /** Keys seen in readings, so that discovery can be repeated when Home Assistant restarts. */
  private known: { [key: string]: boolean };
  private pending: string[];
  private timer: unknown;
  /** The hour whose energy was published last, so that lists carrying registers every 10 s publish hourly. */
  private lastEnergyHour: string;

  constructor(sink: MessageSink, options: PublisherOptions) {
    this.sink = sink;
    this.o = options;
    this.optionalEnabled = true;
    this.refusedValues = 0;
    this.guard = new EnergyGuard({ maxPower: options.maxPower, resetConfirmations: 3 });
    this.meter = null;
    this.known = {};
    this.pending = [];
    this.timer = null;
    this.lastEnergyHour = "";
  }

  private send(name: TopicName, suffix: string, payload: string, keep: boolean): void {
    const spec = topicSpec(name);
    this.sink.publish(this.o.base + "/" + suffix, payload, { qos: spec.qos, retain: spec.retain, keep });
  }

  reading(r: Reading): void {
    const now = this.o.clock.now();
    this.identity(r.meter);
    this.refusedValues += unpublishable(r);
    const power = powerPayload(r, now);
    if (power) this.send("power", "power", payloadJson(power), false);
    const instant = instantPayload(r, now);
    if (instant) this.send("instant", "instant", payloadJson(instant), false);
    this.energy(r, now);
    const keys = Object.keys(r.values);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const v = r.values[key];
      if (this.o.perValueTopics && this.optionalEnabled && publishable(v)) this.send("<key>", key, numberText(v), false);
      if (!this.known[key] && entityClass(key)) {
        this.known[key] = true;
        this.announce(key);
      }
    }
  }

  private energy(r: Reading, now: number): void {
    const registers = energyValues(r);
    const keys = Object.keys(registers);
    if (keys.length === 0) return;
    if (r.list !== 3) {
      const hour = clockIsSet(now) ? "" + closedHour(now, false).end : (r.clock ? r.clock.local.substr(0, 13) : "");
      if (hour === "" || hour === this.lastEnergyHour) return;
      this.lastEnergyHour = hour;
    }
    const accepted: { [key: string]: number } = {};
    let any = false;
    for (let i = 0; i < keys.length; i++) {
      const rejection = this.guard.check(keys[i], registers[keys[i]], now);
      if (rejection) {
        this.log("energy register " + rejection.key + " not published: " + rejection.value + " after " +
          rejection.last + (rejection.why === "lower" ? " (lower)" : " (more than the installation can draw)"));
      } else {
        accepted[keys[i]] = registers[keys[i]];
        any = true;
      }
    }
    if (any) this.send("energy", "energy", payloadJson(energyPayload(r, accepted, now)), true);
  }

  private identity(meter: MeterIdentity): void {
    if (meter.id === null) return;
    const m = this.meter;
    if (m && m.id === meter.id && m.type === meter.type && m.manufacturer === meter.manufacturer) return;
    this.meter = { id: meter.id, type: meter.type, list_version: meter.list_version, manufacturer: meter.manufacturer };
    this.send("meter", "meter", JSON.stringify(this.meter), false);
    this.announceAll();
  }

  /** A valid HDLC frame, for decoders that read the dongle's raw stream. */
  frame(bytes: Uint8Array): void {
    if (this.o.rawTopic && this.optionalEnabled) this.send("raw", "raw", toHex(bytes), false);
  }

  log(text: string): void {
    this.send("log", "log", text, false);
  }

  diag(fields: { [key: string]: unknown }): void {
    this.send("diag", "diag", payloadJson(fields), false);
  }

  /** Home Assistant announced "online": it has forgotten every entity that was not retained, so repeat all. */
  homeAssistantOnline(): void {
    this.announceAll();
  }

  private announceAll(): void {
    if (!this.meter) return;
    this.pending = [];
    const diagnostics = diagnosticKeys();
    for (let i = 0; i < diagnostics.length; i++) this.announce(diagnostics[i]);
    const keys = Object.keys(this.known);
    for (let i = 0; i < keys.length; i++) this.announce(keys[i]);
  }

  private announce(key: string): void {
    if (!this.o.discovery || !this.meter) return;
    if (this.pending.indexOf(key) < 0) this.pending.push(key);
    if (this.timer === null) this.schedule();
  }

  private schedule(): void {
    const self = this;
    this.timer = this.o.clock.setTimeout(() => {
      self.timer = null;
      const key = self.pending.shift();
      if (key === undefined || !self.meter) return;
      const msg = discoveryMessage({ prefix: self.o.discoveryPrefix, base: self.o.base, deviceId: self.o.deviceId,
        firmwareVersion: self.o.firmwareVersion, meter: self.meter }, key);
      if (msg) self.sink.publish(msg.topic, msg.payload, { qos: 1, retain: true, keep: false });
      if (self.pending.length > 0) self.schedule();
    }, this.o.discoveryInterval);
  }

  /** Pending discovery messages, for the diag payload. */
  discoveryPending(): number {
    return this.pending.length;
  }
}
