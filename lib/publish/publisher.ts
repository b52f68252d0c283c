// Where readings leave: the decoder's readings and frames become messages of the topic contract
// (lib/publish/contract.ts), energy passes the guard first, and Home Assistant discovery is paced out one
// message at a time.
import type { Reading, MeterIdentity } from "../reading";
import type { Clock } from "../mqtt/clock";
import { toHex } from "../bytes";
import { topicSpec, TopicName, contractKey } from "./contract";
import {
  powerPayload, instantPayload, energyValues, energyPayload, payloadJson, publishable,
  numberText, unpublishable, meterText,
} from "./payloads";
import { EnergyGuard, EnergyStore } from "./energy-guard";
import { hourLabel, hourState, HourState } from "./hour-label";
import { discoveryMessage, diagnosticKeys, meterId } from "./discovery";
import type { InsightFeatures } from "../insights/index";

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
  /** Where the energy guard keeps its registers across reboots, and the publisher the meter it announced. */
  store: EnergyStore;
  /** The insights turned on, whose entities are announced (and those of the others removed); none when absent. */
  insights?: InsightFeatures;
}

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Keys {
  /** Value keys published and announced at most: the longest list known carries 30 (docs/mqtt.md, Payload keys). */
  MAX = 48,
  /** Storage file of the meter announced last (its meterId), written when another one is announced. */
  METER_STORE = "han.meter",
  /** Readings in a row that must carry another meter's id before the meter counts as replaced: one corrupt frame
   *  that passes its CRC must not remove the meter's entities. */
  CONFIRM = 3,
}

/** The live energy registers (docs/mqtt.md, Energy booked to its hour). */
const enum Live {
  HOUR = 3600000,
  /** Readings further apart (ms) are not integrated across: one reading's power says nothing of a silent minute. */
  GAP = 60000,
  /** Registers no nearer together than this (ms) come once an hour, frozen at the hour (hour-label.ts, FREQUENT). */
  HOURLY = 1800000,
  /** The most time (ms) an hourly list is taken to have spent on its way since its hour: 10 s by the meters' sheets. */
  LATE = 30000,
  /** Wh the first live value after a start stands above the meter's register, more than the live value can have run
   *  ahead of it before the restart: so that it does not go down across one. */
  START = 30,
  /** Wh below the live value from which an accepted register restarts it: the guard re-anchored a replaced total. */
  RESET = 1000,
}

export class Publisher {
  /** Per-value and raw topics, off when memory runs short (the firmware decides). */
  optionalEnabled: boolean;
  guard: EnergyGuard;
  /** Values left out of every payload: not finite, integers beyond 2^53 (payloads.ts), or under a key outside
   *  the contract or past Keys.MAX. */
  refusedValues: number;
  private sink: MessageSink;
  private o: PublisherOptions;
  private meter: MeterIdentity | null;
  /** Keys admitted (admit()), so that discovery can be repeated when Home Assistant restarts; and how many. */
  private known: { [key: string]: boolean };
  private knownCount: number;
  private pending: string[];
  private timer: unknown;
  /** Which hour energy goes out under; the meter clock's offset from SNTP, for diag. */
  hours: HourState;
  /** The live energy registers, import then export: each the estimate (the meter's register plus the power
   *  integrated since), the value published (NaN until a register anchored it) and the last power (W); then when
   *  they were advanced (device ms). */
  private live: number[];
  /** The replaced meter's meterId, whose entities are removed; null while no other meter was seen. */
  private old: string | null;
  /** Readings in a row with another meter's id (Keys.CONFIRM). */
  private differing: number;

  constructor(sink: MessageSink, options: PublisherOptions) {
    this.sink = sink;
    this.o = options;
    this.optionalEnabled = true;
    this.refusedValues = 0;
    this.guard = new EnergyGuard({ maxPower: options.maxPower, store: options.store });
    this.meter = null;
    this.known = {};
    this.knownCount = 0;
    this.pending = [];
    this.timer = null;
    this.hours = hourState();
    // Labels only rise across a restart too: registers sent in every message, seen again in the hour's first 30 s,
    // do not publish that hour a second time.
    if (this.guard.kept) this.hours.last = this.guard.kept[0];
    this.live = [NaN, NaN, 0, NaN, NaN, 0, NaN];
    this.old = null;
    this.differing = 0;
  }

  private send(name: TopicName, suffix: string, payload: string, keep: boolean): void {
    const spec = topicSpec(name);
    this.sink.publish(this.o.base + "/" + suffix, payload, { qos: spec.qos, retain: spec.retain, keep });
  }

  /** Publishes a reading; the values of keys not admitted are taken out of it. */
  reading(r: Reading): void {
    const now = this.o.clock.now();
    this.identity(r);
    const values = r.values;
    const keys = Object.keys(values);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const v = values[key];
      if (!this.admit(key)) {
        delete values[key];
        this.refusedValues++;
      } else if (this.o.perValueTopics && this.optionalEnabled && publishable(v)) {
        this.send("<key>", key, numberText(v), false);
      }
    }
    this.refusedValues += unpublishable(r);
    this.advance(values, now);
    const power = powerPayload(r, now, this.live[1], this.live[4]);
    if (power && power.active_power_net !== undefined) this.admit("active_power_net");
    if (power) this.send("power", "power", payloadJson(power), false);
    const instant = instantPayload(r, now);
    if (instant) this.send("instant", "instant", payloadJson(instant), false);
    this.energy(r, now);
  }

  /** True for a key that is published and announced: one the contract defines, among the first Keys.MAX seen.
   *  Any other is left out of every payload, so that a meter inventing keys cannot grow what the device keeps
   *  per key (`known`, the guard's registers, the pending discovery) nor the retained configs on the broker. */
  private admit(key: string): boolean {
    if (this.known[key]) return true;
    if (this.knownCount >= Keys.MAX || !contractKey(key)) return false;
    this.known[key] = true;
    this.knownCount++;
    this.announce(key, true);
    return true;
  }

  /** Brings the live registers to `now` at the power of the reading before, then takes this reading's power. Each
   *  is announced with the first reading that carries its power, before any register anchors it. */
  private advance(values: { [key: string]: number }, now: number): void {
    const s = this.live;
    const dt = now - s[6];
    s[6] = now;
    for (let i = 0; i < 6; i += 3) {
      if (dt > 0 && dt <= Live.GAP) s[i] += s[i + 2] * dt / Live.HOUR;
      if (s[i] > s[i + 1]) s[i + 1] = s[i];
      const direction = i ? "export" : "import";
      const p = values["active_power_" + direction];
      if (p === undefined) continue;
      this.admit("active_energy_" + direction + "_live");
      // Power beyond what the installation can carry is a corrupt value: the last plausible one stands.
      if (p >= 0 && p <= this.o.maxPower) s[i + 2] = p;
    }
  }

  private energy(r: Reading, now: number): void {
    const registers = energyValues(r);
    const keys = Object.keys(registers);
    const before = this.hours.seen;
    const hourEnd = hourLabel(this.hours, r, now, keys.length > 0);
    if (hourEnd < 0) return;
    // The guard judges rises by the clock that labels the hour: after a restart without SNTP the device's own
    // clock starts again from 1970, and every rise since the time kept in Storage would look impossible.
    const at = hourEnd > 0 ? this.hours.seen : now;
    const accepted: { [key: string]: number } = {};
    let any = false;
    for (let i = 0; i < keys.length; i++) {
      const rejection = this.guard.check(keys[i], registers[keys[i]], at);
      if (rejection) {
        this.log("energy register " + rejection.key + " not published: " + rejection.value +
          (rejection.last === null ? "" : " after " + rejection.last) + (rejection.why === "lower" ? " (lower)" :
            rejection.why === "jump" ? " (more than the installation can draw)" : " (no meter's total)"));
      } else {
        accepted[keys[i]] = registers[keys[i]];
        any = true;
      }
    }
    if (!any) return;
    const payload = payloadJson(energyPayload(r, accepted, now, hourEnd));
    // In han.energy before the ring of kept messages: a power cut while the ring writes it leaves it there (keepLast).
    this.guard.save(hourEnd, payload);
    this.send("energy", "energy", payload, true);
    // The live registers anchor to the registers accepted. An hourly list's were frozen at hourEnd, received a few
    // seconds later; registers that come in every message are the meter's totals as it sends them. The value
    // published never goes down, except when the guard re-anchored a replaced total far below it.
    const since = hourEnd > 0 && !(at - before < Live.HOURLY) ? Math.min(Math.max(at - hourEnd, 0), Live.LATE) : 0;
    const s = this.live;
    for (let i = 0; i < 6; i += 3) {
      const register = accepted["active_energy_" + (i ? "export" : "import")];
      if (register === undefined) continue;
      const e = register + s[i + 2] * since / Live.HOUR;
      const l = s[i + 1];
      s[i] = e;
      s[i + 1] = !(l >= 0) ? e + Live.START : e < l - Live.RESET ? e : Math.max(l, e);
    }
  }

  /** The meter announced, and on the broker its entities: another meter's id (CONFIRM readings in a row; the one
   *  announced last is kept in Storage, as a meter is usually replaced with the dongle unpowered) removes the
   *  entities of the one before, key by key as the new meter's are announced. A meter whose lists carry no id
   *  (Swedish Aidon, Austrian) is announced by its first list that is not a list 1, which never carries one. */
  private identity(r: Reading): void {
    const meter = r.meter;
    const m = this.meter;
    if (meter.id === null && (m || r.list === 1)) return;
    if (m && m.id === meter.id && m.type === meter.type && m.manufacturer === meter.manufacturer) {
      this.differing = 0;
      return;
    }
    const owner = meterId(meter, this.o.deviceId);
    const was = m ? meterId(m, this.o.deviceId) : this.o.store.readStore(Keys.METER_STORE);
    if (was !== owner) {
      if (was && ++this.differing < Keys.CONFIRM) return;
      // Written for the first meter ever and at the first replacement of a start, no more: a meter that keeps
      // changing its id cannot wear the flash.
      if (this.old === null) this.o.store.writeStore(Keys.METER_STORE, owner);
      if (was) this.old = was;
    }
    this.differing = 0;
    this.meter = { id: meter.id, type: meter.type, list_version: meter.list_version, manufacturer: meter.manufacturer };
    // Text from the HAN line, printable and bounded (payloads.ts); the topics never carry it (discovery.ts).
    this.send("meter", "meter", JSON.stringify({ id: meterText(meter.id), type: meterText(meter.type),
      list_version: meterText(meter.list_version), manufacturer: meterText(meter.manufacturer) }), false);
    this.announceAll();
  }

  /** At start: the last energy message, from han.energy, to the ring of kept messages again, which takes it only
   *  when a power cut tore its record there (lib/mqtt/kept-ring.ts): an hour whose list came is never lost. */
  keepLast(): void {
    const kept = this.guard.kept;
    if (kept) this.send("energy", "energy", kept[1], true);
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
    for (let i = 0; i < diagnostics.length; i++) this.announce(diagnostics[i], false);
    // The insights' entities, one after the other from "*0" (discovery.ts).
    if (this.o.insights) this.announce("*0", false);
    const keys = Object.keys(this.known);
    for (let i = 0; i < keys.length; i++) this.announce(keys[i], true);
  }

  /** Queues a key's config; for a key of the meter's, also the removal of the replaced meter's ("-" and the key). */
  private announce(key: string, meters: boolean): void {
    if (!this.o.discovery || !this.meter) return;
    const p = this.pending;
    if (p.indexOf(key) < 0) p.push(key);
    if (meters && this.old !== null && p.indexOf("-" + key) < 0) p.push("-" + key);
    if (this.timer === null) this.schedule();
  }

  private schedule(): void {
    const self = this;
    this.timer = this.o.clock.setTimeout(() => {
      self.timer = null;
      const key = self.pending.shift();
      if (key === undefined || !self.meter) return;
      const o = self.o;
      const removal = key.charAt(0) === "-";
      let msg = discoveryMessage({ prefix: o.discoveryPrefix, base: o.base, deviceId: o.deviceId,
        firmwareVersion: o.firmwareVersion, meter: self.meter, insights: o.insights }, removal ? key.substr(1) : key);
      // An empty retained config removes the entity, and Home Assistant the device with its last entity. The
      // replaced meter's config topic is the current meter's (sensor or binary_sensor) under the old owner.
      if (msg && removal) {
        msg = { topic: msg.topic.replace("/" + meterId(self.meter, o.deviceId) + "/", "/" + self.old + "/"),
          payload: "" };
      }
      if (msg) self.sink.publish(msg.topic, msg.payload, { qos: 1, retain: true, keep: false });
      if (msg && key.charAt(0) === "*") {
        self.pending.push("*" + (parseInt(key.substr(1), 10) + 1));
        if (self.old !== null) self.pending.push("-" + key);
      }
      if (self.pending.length > 0) self.schedule();
    }, this.o.discoveryInterval);
  }

  /** Pending discovery messages, for the diag payload. */
  discoveryPending(): number {
    return this.pending.length;
  }
}
