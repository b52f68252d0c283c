// The device side of the CPU bench (bench-cpu.ts): the firmware's own path from UART bytes to MQTT bytes
// (lib/device.ts: decoder -> reading -> publisher -> MQTT client), on a platform whose socket only counts what is
// written, timed per frame with the interpreter's clock next to the yardstick loop. It is bundled for Espruino, so
// it keeps to the same language rules as lib/.
import { startDevice, Platform, Device } from "../../lib/device";
import type { Config } from "../../lib/config/validate";
import type { MqttSocket } from "../../lib/mqtt/client";
import type { Listener } from "../../lib/mqtt/emitter";
import type { Reading } from "../../lib/reading";

declare function getTime(): number;
declare const E: { toUint8Array(data: string): Uint8Array };

/** One list of one maker: its frames, stored back to back as a binary string in one Storage file. */
export interface CpuSet {
  name: string;
  file: string;
  lengths: number[];
  /** The configuration's han fields where not 2400 8E1 HDLC (an M-Bus or P1 line, a key). */
  han?: { [field: string]: unknown };
  /** Bytes handed over at a time where not CHUNK: at 115200 baud the firmware's read finds ~130 at once. */
  chunk?: number;
  /** Frames of the first pass where not all: the timed rounds then take the frames after them, each once, as an
   *  encrypted meter's frame counter must grow. */
  warm?: number;
}

/** What the bench needs from the interpreter's side, given by the script that starts it. */
export interface CpuHooks {
  /** A Storage file's content. */
  read: (file: string) => string;
  /** Runs the yardstick loop once; ms. Kept out of the bundle so that the minifier cannot rewrite it. */
  yardstick: () => number;
  /** Between two sets: collect garbage, so that no collection falls inside a timed frame. */
  settle: () => void;
  /** One line of results to the host. */
  report: (line: string) => void;
}

export interface CpuSetResult {
  name: string;
  /** Ms per frame, one figure per timed frame. */
  ms: number[];
  /** Ms of the yardstick loop run just before each timed frame: the load of the host changes both alike. */
  yardstick: number[];
  /** Bytes written to the socket per frame (MQTT PUBLISH packets), from the last timed frame. */
  socketBytes: number;
  /** Every reading of the first pass over the frames, numbers as the hex of their 8 IEEE bytes (exact): reported
   *  one a line ("CPU-READING <json>") before the set's line, and put here by the host. */
  readings: unknown[];
}

/** The bytes handed over at a time in the figures (the ESP32 UART driver delivers 1 to 8 per event; the
 *  firmware reads them in batches, converted to bytes as firmware/main.ts does). */
export const CHUNK = 8;

/** The device clock after SNTP has set it, so that payloads carry their time stamps as on a device. */
const NOW = 1769940000000;

export function exact(v: unknown): unknown {
  if (typeof v === "number") {
    const bytes = new Uint8Array(new Float64Array([v]).buffer);
    let hex = "";
    for (let i = 7; i >= 0; i--) hex += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return hex;
  }
  if (v === null || typeof v !== "object") return v;
  if (v instanceof Array) return v.map(exact);
  const out: { [key: string]: unknown } = {};
  const keys = Object.keys(v as object);
  for (let i = 0; i < keys.length; i++) out[keys[i]] = exact((v as { [key: string]: unknown })[keys[i]]);
  return out;
}

function config(han?: { [field: string]: unknown }): Config {
  const c: Config = {
    deviceId: "bench", led: 2, wifi: { ssid: "-", password: "" },
    mqtt: { url: "mqtt://localhost", keepAlive: 60 },
    han: { rx: 16, tx: 17, baud: 2400, parity: "even", bits: 8, framing: "hdlc", maxFrameSize: 1024 },
    meter: { layout: "auto", country: "NO", ct: false, ctRatio: 1, maxPower: 50000 },
    output: { perValueTopics: false, rawTopic: false, discovery: true, discoveryPrefix: "homeassistant",
      discoveryInterval: 200, diagInterval: 60 },
    ntp: "pool.ntp.org", console: { password: "" }, remote: { configChanges: false },
    insights: { capacity: true, voltage: true, net: true, consistency: true, steps: "2,5,10,15,20,25",
      nominalVoltage: 230, voltageBand: 10 },
  };
  if (han) Object.assign(c.han, han);
  return c;
}

interface Rig {
  device: Device;
  feed: (chunk: Uint8Array | string) => void;
  /** The broker's answers to what was written since the last call: a PUBACK for each QoS 1 PUBLISH. */
  answer: () => void;
}

/** A device on a platform whose timers never fire (the bench runs synchronously) and whose broker accepts at
 *  once and acknowledges every QoS 1 message; `written` counts the bytes sent to the socket. */
function benchDevice(written: { bytes: number }, han?: { [field: string]: unknown }): Rig {
  let feed: ((chunk: Uint8Array | string) => void) | null = null;
  const listeners: { [event: string]: Listener } = {};
  const unacked: number[] = [];
  const socket: MqttSocket = {
    write (data) {
      written.bytes += data.length;
      const first = data.charCodeAt(0);
      if ((first & 0xf0) !== 0x30 || (first & 6) !== 2) return;
      // Each write is one packet: skip the remaining length, then the topic, to the packet id.
      let at = 1;
      while (data.charCodeAt(at) & 128) at++;
      at += 3 + (data.charCodeAt(at + 1) << 8 | data.charCodeAt(at + 2));
      unacked.push(data.charCodeAt(at) << 8 | data.charCodeAt(at + 1));
    },
    end () { /* nothing to release */ },
    on (event, fn) { listeners[event] = fn; },
  };
  const platform: Platform = {
    clock: { setTimeout () { return 0; }, clearTimeout () { /* timers never fire */ }, now () { return NOW; } },
    openSerial (_setting, onData) { feed = onData; },
    connect () { return socket; },
    rssi () { return null; },
    memory () { return null; },
    errorFlags () { return []; },
    readStore () { return undefined; },
    writeStore () { /* nothing kept */ },
    print () { /* quiet */ },
    sha256 () { return ""; },
    reboot () { /* never */ },
    identify () { /* never */ },
  };
  const device = startDevice(platform, config(han), "bench", true);
  listeners.connect();
  listeners.data(String.fromCharCode(0x20, 2, 0, 0));
  if (feed === null) throw new Error("the device opened no serial port");
  const answer = function (): void {
    while (unacked.length > 0) {
      const id = unacked.shift() as number;
      listeners.data(String.fromCharCode(0x40, 2, id >> 8, id & 255));
    }
  };
  return { device, feed, answer };
}

function chunksOf(frame: string, size: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < frame.length; at += size) out.push(frame.substr(at, size));
  return out;
}

function runSet(set: CpuSet, rounds: number, data: string, hooks: CpuHooks): CpuSetResult {
  const frames: string[][] = [];
  let at = 0;
  for (let i = 0; i < set.lengths.length; i++) {
    frames.push(chunksOf(data.substr(at, set.lengths[i]), set.chunk || CHUNK));
    at += set.lengths[i];
  }
  const warm = set.warm || frames.length;
  const written = { bytes: 0 };
  const rig = benchDevice(written, set.han);
  const feed = rig.feed;
  // The first pass fills the device's state (meter announced, discovery queued) and records the readings, taken
  // from the publisher's door so that they are the ones the device publishes.
  const publisher = rig.device.publisher as unknown as { reading: (r: Reading) => void };
  const captured: Reading[] = [];
  const publish = publisher.reading;
  publisher.reading = function (r) {
    captured.push(r);
    publish.call(rig.device.publisher, r);
  };
  for (let f = 0; f < warm; f++) {
    for (let c = 0; c < frames[f].length; c++) feed(E.toUint8Array(frames[f][c]));
    rig.answer();
  }
  delete (publisher as { reading?: unknown }).reading;
  // One a line, and let go before the timed rounds: all of them in one text took more memory than a P1 meter's
  // device has beside the bench.
  while (captured.length > 0) hooks.report("CPU-READING " + JSON.stringify(exact(captured.shift())));
  const ms: number[] = [];
  const yard: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const chunks = warm < frames.length ? frames[warm + r % (frames.length - warm)] : frames[r % frames.length];
    written.bytes = 0;
    hooks.settle();
    yard.push(hooks.yardstick());
    const t0 = getTime();
    for (let c = 0; c < chunks.length; c++) feed(E.toUint8Array(chunks[c]));
    // The acknowledgements of the frame's QoS 1 messages are its cost too.
    rig.answer();
    ms.push((getTime() - t0) * 1000);
  }
  return { name: set.name, ms, yardstick: yard, socketBytes: written.bytes, readings: [] };
}

/** Reports each set as its readings' lines and a line "CPU-SET <json>" (CpuSetResult), then "CPU-END". */
export function runCpuBench(sets: CpuSet[], rounds: number, hooks: CpuHooks): void {
  for (let s = 0; s < sets.length; s++) {
    hooks.report("CPU-SET " + JSON.stringify(runSet(sets[s], rounds, hooks.read(sets[s].file), hooks)));
  }
  hooks.report("CPU-END");
}

(globalThis as unknown as { __cpu: unknown }).__cpu = { run: runCpuBench };
