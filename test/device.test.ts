// The device core (lib/device.ts) in Node with a fake platform: frames in, the contract's messages out; the
// diag payload carries exactly the keys docs/mqtt.md lists; commands and memory shedding act.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { startDevice, Platform } from "../lib/device";
import { validateConfig } from "../lib/config/validate";
import { FakeClock } from "./support/fake-clock";
import { FakeSocket } from "./support/fake-mqtt-socket";
import { listSpec, sampleFrame, LayoutFrame } from "./support/layout-frames";
import { commandPayload } from "../scripts/command";
import { encodeSecured } from "../scripts/sim/secure-writer";

const SECRET = "device-test-secret-0123";

function rig(memory = { free: 9000, total: 12000 }) {
  const clock = new FakeClock();
  clock.advance(Date.parse("2026-02-01T10:00:00Z"));
  const sockets: FakeSocket[] = [];
  const store: Record<string, string> = {};
  const printed: string[] = [];
  let feed: ((chunk: string) => void) | null = null;
  const actions: string[] = [];
  const platform: Platform = {
    clock,
    openSerial: (setting, onData) => { feed = onData; actions.push(`serial ${setting.baud} ${setting.parity}`); },
    connect: () => { const s = new FakeSocket(); sockets.push(s); return s; },
    rssi: () => -58,
    memory: () => memory,
    errorFlags: () => [],
    readStore: (name) => store[name],
    writeStore: (name, text) => { store[name] = text; },
    print: (text) => printed.push(text),
    sha256: (s) => createHash("sha256").update(Buffer.from(s, "latin1")).digest("latin1"),
    reboot: () => actions.push("reboot"),
    identify: () => actions.push("identify"),
  };
  const raw = { deviceId: "d1", wifi: { ssid: "x" }, mqtt: { url: "mqtt://b" },
    remote: { configChanges: true, secret: SECRET } };
  store["han.json"] = JSON.stringify(raw);
  const config = validateConfig(raw).config!;
  const device = startDevice(platform, config, "d1", true);
  const socket = sockets[0];
  socket.accept();
  socket.connack();
  const published = () => socket.of("publish") as { topic: string; payload: Buffer; retain: boolean }[];
  const on = (suffix: string) => published().filter((p) => p.topic === "han/d1/" + suffix).map((p) => p.payload.toString("latin1"));
  const sendFrame = (sample: LayoutFrame) => feed!(Buffer.from(sample.frame).toString("latin1"));
  return { clock, device, socket, store, printed, actions, on, sendFrame, published };
}

test("a frame on the serial line becomes power and instant messages; the meter identity is announced", () => {
  const r = rig();
  const sample = sampleFrame(listSpec("aidon", 3, 4, 2, "NO"), 1);
  r.sendFrame(sample);
  assert.equal(JSON.parse(r.on("instant")[0]).voltage_l1, sample.expected.values.voltage_l1);
  assert.equal(JSON.parse(r.on("power")[0]).active_power_import, sample.expected.values.active_power_import);
  assert.equal(JSON.parse(r.on("meter")[0]).id, sample.expected.meter.id);
  assert.deepEqual(r.on("status"), ["online"]);
});

test("diag every interval carries exactly the keys docs/mqtt.md documents", () => {
  const r = rig();
  // A list every 10 s, as a meter sends it: autodetection judges a setting by more than one frame.
  for (let i = 0; i < 6; i++) {
    r.sendFrame(sampleFrame(listSpec("aidon", 3, 4, 1, "NO"), 2 + i));
    r.clock.advance(10000);
  }
  const diag = r.on("diag").map((p) => JSON.parse(p));
  assert.equal(diag.length, 1);
  const doc = readFileSync(new URL("../docs/mqtt.md", import.meta.url), "utf8");
  const section = doc.slice(doc.indexOf("## Diagnostics"), doc.indexOf("## Home Assistant discovery"));
  const documented = new Set<string>();
  // The keys documented as present only once an encrypted or block-transfer frame has come.
  const wrapped = new Set<string>();
  for (const line of section.split("\n").filter((l) => l.startsWith("| `"))) {
    for (const m of line.split("|")[1].matchAll(/`([a-z0-9_]+)`/g)) {
      (line.includes("present from the first such frame") ? wrapped : documented).add(m[1]);
    }
  }
  assert.ok(wrapped.has("no_key") && wrapped.has("decrypt_errors"), "docs/mqtt.md lists the decryption counters");
  assert.deepEqual(Object.keys(diag[0]).sort(), [...documented].sort());
  assert.equal(diag[0].frames_ok, 6);
  assert.equal(diag[0].rssi, -58);
  assert.equal(diag[0].serial, "2400 8E1");
  // An encrypted list, and no key configured: refused as "no key", and the decryption counters join.
  const input = sampleFrame(listSpec("aidon", 3, 4, 2, "NO"), 9).input;
  r.sendFrame({ frame: encodeSecured(input, { key: new Uint8Array(16).fill(1), authKey: new Uint8Array(16).fill(2) }, 1) } as LayoutFrame);
  r.socket.send({ cmd: "publish", topic: "han/d1/cmd", payload: Buffer.from('{"cmd":"diag"}'), qos: 0, retain: false,
    dup: false });
  const after = r.on("diag").map((p) => JSON.parse(p));
  assert.equal(after.length, 2);
  assert.deepEqual(Object.keys(after[1]).sort(), [...documented, ...wrapped].sort());
  assert.equal(after[1].no_key, 1);
  assert.equal(after[1].readings, diag[0].readings);
});

test("commands: diag now, identify, a signed configuration change stored and followed by a restart", () => {
  const r = rig();
  r.socket.send({ cmd: "publish", topic: "han/d1/cmd", payload: Buffer.from('{"cmd":"diag"}'), qos: 0, retain: false,
    dup: false });
  assert.equal(r.on("diag").length, 1, "diag at once");
  r.socket.send({ cmd: "publish", topic: "han/d1/cmd", payload: Buffer.from('{"cmd":"identify"}'), qos: 0,
    retain: false, dup: false });
  const change = commandPayload("set", { "output.rawTopic": true }, SECRET, r.clock.now(), "han/d1");
  r.socket.send({ cmd: "publish", topic: "han/d1/cmd", payload: Buffer.from(change), qos: 1, messageId: 5,
    retain: false, dup: false });
  assert.equal(JSON.parse(r.store["han.json"]).output.rawTopic, true);
  assert.equal(r.store["han.cmdctr"], String(r.clock.now()));
  r.clock.advance(1000);
  assert.deepEqual(r.actions.filter((a) => !a.startsWith("serial")), ["identify", "reboot"]);
  assert.match(r.on("log").join("\n"), /configuration changed: output\.rawTopic/);
});

test("low memory pauses the optional topics and says so; recovery resumes them", () => {
  const memory = { free: 1000, total: 12000 };
  const r = rig(memory);
  r.clock.advance(60000);
  assert.equal(r.device.publisher.optionalEnabled, false);
  assert.match(r.on("log")[0], /memory low/);
  memory.free = 6000;
  r.clock.advance(60000);
  assert.equal(r.device.publisher.optionalEnabled, true);
});

test("Home Assistant coming online gets the diag at once, not at the next interval, and the discovery again", () => {
  const r = rig();
  // The broker acknowledges each QoS 1 message, as a broker does: the client sends no more than 4 unacknowledged.
  let acked = 0;
  const ack = () => {
    for (let all = r.socket.of("publish") as { qos: number; messageId: number }[]; acked < all.length;
      all = r.socket.of("publish") as { qos: number; messageId: number }[]) {
      const p = all[acked++];
      if (p.qos === 1) r.socket.send({ cmd: "puback", messageId: p.messageId });
    }
  };
  r.sendFrame(sampleFrame(listSpec("aidon", 3, 4, 2, "NO"), 1));
  for (let i = 0; i < 150; i++) {
    r.clock.advance(200);
    ack();
  }
  const configs = () => r.published().filter((p) => p.topic.startsWith("homeassistant/")).length;
  const announced = configs();
  assert.ok(announced > 0);
  assert.equal(r.on("diag").length, 0, "the first diag is not due before 60 s");
  r.socket.send({ cmd: "publish", topic: "homeassistant/status", payload: Buffer.from("online"), qos: 0, retain: false,
    dup: false });
  assert.equal(r.on("diag").length, 1, "diag at once");
  for (let i = 0; i < 100; i++) {
    r.clock.advance(200);
    ack();
  }
  assert.equal(configs(), 2 * announced);
});
