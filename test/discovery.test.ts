// Home Assistant discovery checked against Home Assistant's own rules (device class vs unit vs state class,
// required keys, topic layout), and every entity's state topic and template resolved against payloads the
// publisher really sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Publisher } from "../lib/publish/publisher";
import { diagPayload } from "../lib/publish/diag";
import { HanDecoder } from "../lib/han-decoder";
import { FakeClock } from "./support/fake-clock";
import { listSpec, sampleFrame, reencoded } from "./support/layout-frames";

/** Home Assistant's sensor rules: the units each device class accepts and the state classes that make sense. */
const HA_RULES: { [deviceClass: string]: { units: (string | undefined)[]; stateClasses: string[] } } = {
  energy: { units: ["Wh", "kWh", "MWh"], stateClasses: ["total", "total_increasing"] },
  reactive_energy: { units: ["varh", "kvarh"], stateClasses: ["total", "total_increasing"] },
  power: { units: ["W", "kW"], stateClasses: ["measurement"] },
  reactive_power: { units: ["var", "kvar"], stateClasses: ["measurement"] },
  apparent_power: { units: ["VA", "kVA"], stateClasses: ["measurement"] },
  current: { units: ["A", "mA"], stateClasses: ["measurement"] },
  voltage: { units: ["V", "mV", "kV"], stateClasses: ["measurement"] },
  power_factor: { units: [undefined, "%"], stateClasses: ["measurement"] },
  frequency: { units: ["Hz", "kHz"], stateClasses: ["measurement"] },
  signal_strength: { units: ["dB", "dBm"], stateClasses: ["measurement"] },
  duration: { units: ["s", "min", "h", "d"], stateClasses: ["measurement", "total", "total_increasing"] },
};
/** Home Assistant's expansion of the abbreviated keys and of "~" in topics (its discovery does the same). */
const ABBREVIATIONS: { [short: string]: string } = { uniq_id: "unique_id", stat_t: "state_topic", val_tpl: "value_template",
  avty_t: "availability_topic", stat_cla: "state_class", dev_cla: "device_class", unit_of_meas: "unit_of_measurement",
  ent_cat: "entity_category", dev: "device", ids: "identifiers", mf: "manufacturer", mdl: "model", sw: "sw_version",
  sn: "serial_number" };

function expand(config: Record<string, unknown>): Record<string, any> {
  const base = config["~"] as string | undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === "~") continue;
    const full = ABBREVIATIONS[key] || key;
    let v = value;
    if (typeof v === "string" && full.endsWith("_topic") && base !== undefined) v = v.replace(/^~/, base);
    if (full === "device") v = expand(v as Record<string, unknown>);
    out[full] = v;
  }
  return out;
}

const STATE_CLASSES = ["measurement", "total", "total_increasing"];
const TOPIC = /^homeassistant\/sensor\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+\/config$/;
const TEMPLATE = /^\{\{ (?:\(value_json\.([a-z0-9_]+) \/ (\d+)\) \| round\(3\)|value_json\.([a-z0-9_]+)) \}\}$/;

/** One Aidon meter's three lists; the hourly one closes at 94,064.59 kWh. */
const FRAMES = ([1, 2, 3] as const).map((list) => reencoded(sampleFrame(listSpec("aidon", 3, 4, list, "NO"), list),
  (input) => {
    input.meterId = "7359992895913195";
    if (list === 3) input.values.active_energy_import = 94064590;
  }).frame);

function run() {
  const clock = new FakeClock();
  clock.advance(Date.parse("2026-03-01T10:00:10Z"));
  const sent: { topic: string; payload: string; retain?: boolean }[] = [];
  const publisher = new Publisher({ publish: (topic, payload, o) => { sent.push({ topic, payload, ...o }); return true; } },
    { base: "han/d1", deviceId: "d1", firmwareVersion: "0.1.0", perValueTopics: false, rawTopic: false,
      discovery: true, discoveryPrefix: "homeassistant", discoveryInterval: 200, maxPower: 50000, clock });
  const decoder = new HanDecoder({ onReading: (r) => publisher.reading(r) });
  for (const frame of FRAMES) decoder.push(frame);
  publisher.diag(diagPayload({ now: clock.now(), uptime: 1234, freeMemory: 2000, rssi: -61, decoder: decoder.counters,
    mqtt: { connected: true, attempts: 1, connects: 1, reconnects: 0, queueDrops: 0, keptDrops: 0, parseErrors: 0, connectErrors: 0,
      queued: 0, inflight: 0, lastError: "" }, energyRejected: 0, lastError: null }));
  clock.advance(120000);
  const raw = sent.filter((s) => s.topic.startsWith("homeassistant/"));
  // Built whole in the device's memory, one at a time: each must stay small.
  for (const s of raw) assert.ok(s.payload.length < 520, `${s.topic}: ${s.payload.length} bytes`);
  const configs = raw.map((s) => ({ topic: s.topic,
    retain: s.retain, config: expand(JSON.parse(s.payload)) }));
  return { sent, configs };
}

test("every discovery config follows Home Assistant's rules", () => {
  const { configs } = run();
  assert.ok(configs.length > 20);
  const ids = new Set<string>();
  const devices = new Map<string, Record<string, unknown>>();
  for (const { topic, retain, config } of configs) {
    assert.match(topic, TOPIC);
    assert.equal(retain, true, topic);
    for (const key of ["name", "unique_id", "state_topic", "value_template", "availability_topic", "device", "state_class"]) {
      assert.ok(config[key] !== undefined, `${topic} has ${key}`);
    }
    assert.ok(!ids.has(config.unique_id), "unique_id unique");
    ids.add(config.unique_id);
    assert.ok(STATE_CLASSES.includes(config.state_class));
    if (config.device_class) {
      const rule = HA_RULES[config.device_class];
      assert.ok(rule, "known device class " + config.device_class);
      assert.ok(rule.units.includes(config.unit_of_measurement), `${config.unique_id}: ${config.unit_of_measurement}`);
      assert.ok(rule.stateClasses.includes(config.state_class), config.unique_id);
    }
    assert.equal(config.availability_topic, "han/d1/status");
    assert.ok(Array.isArray(config.device.identifiers) && config.device.identifiers.length > 0);
    devices.set(config.device.identifiers[0], config.device);
    const diagnostic = config.state_topic === "han/d1/diag";
    assert.equal(config.entity_category === "diagnostic", diagnostic, config.unique_id);
  }
  // The meter is its own device, linked to the dongle, which also appears as a device.
  const meter = devices.get("han_meter_7359992895913195")!;
  assert.equal(meter.model, "6534");
  assert.equal(meter.manufacturer, "Aidon");
  assert.ok(devices.has(meter.via_device as string), "via_device names a device that exists");
  // The energy dashboard needs these exact classes.
  const energy = configs.find((c) => c.config.unique_id.endsWith("_active_energy_import"))!.config;
  assert.deepEqual([energy.device_class, energy.state_class, energy.unit_of_measurement],
    ["energy", "total_increasing", "kWh"]);
});

test("every entity's state topic and template resolve to a number in a payload really published", () => {
  const { sent, configs } = run();
  for (const { config } of configs) {
    const payloads = sent.filter((s) => s.topic === config.state_topic);
    assert.ok(payloads.length > 0, `${config.unique_id}: something published on ${config.state_topic}`);
    const m = TEMPLATE.exec(config.value_template);
    assert.ok(m, config.value_template);
    const key = m[1] || m[3];
    const json = JSON.parse(payloads[payloads.length - 1].payload);
    assert.ok(key in json, `${config.unique_id}: ${key} in ${config.state_topic}`);
    const value = m[2] ? Math.round(json[key] / Number(m[2]) * 1000) / 1000 : json[key];
    assert.equal(typeof value, "number", config.unique_id);
    assert.ok(isFinite(value));
  }
  const energy = configs.find((c) => c.config.unique_id.endsWith("_active_energy_import"))!.config;
  const last = JSON.parse(sent.filter((s) => s.topic === energy.state_topic).at(-1)!.payload);
  assert.equal(Math.round(last.active_energy_import / 1000 * 1000) / 1000, 94064.59, "kWh from Wh");
});
