// Home Assistant discovery checked against Home Assistant's own rules (device class vs unit vs state class,
// required keys, topic layout, names), and every entity's template rendered, as Home Assistant renders it, against
// every payload the publisher sent on its state topic during a simulated hour of every meter the simulator knows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Publisher } from "../lib/publish/publisher";
import { diagPayload } from "../lib/publish/diag";
import { HanDecoder } from "../lib/han-decoder";
import { FakeClock } from "./support/fake-clock";
import { MemoryStore } from "./support/memory-store";
import { listSpec, sampleFrame, reencoded } from "./support/layout-frames";
import { Template, Outcome } from "./support/ha-template";
import { supportedSpecs, ListSpec } from "../scripts/sim/layouts";
import { MeterSimulator, MeterOptions } from "../scripts/sim/meter";

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
/** The dongle's entities, by key, with the names Home Assistant shows. */
const DIAGNOSTIC_NAMES = { rssi: "RSSI", uptime: "Uptime", free_memory: "Free memory", frames_ok: "Frames OK",
  crc_errors: "CRC errors", bytes_dropped: "Bytes dropped", mqtt_reconnects: "MQTT reconnects",
  energy_rejected: "Energy rejected", meter_clock_offset_s: "Meter clock offset" };

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
      discovery: true, discoveryPrefix: "homeassistant", discoveryInterval: 200, maxPower: 50000, clock,
      store: new MemoryStore() });
  const decoder = new HanDecoder({ onReading: (r) => publisher.reading(r) });
  for (const frame of FRAMES) decoder.push(frame);
  publisher.diag(diagPayload({ now: clock.now(), uptime: 1234, freeMemory: 2000, rssi: -61, decoder: decoder.counters,
    mqtt: { connected: true, attempts: 1, connects: 1, reconnects: 0, queueDrops: 0, keptDrops: 0, parseErrors: 0, oversize: 0,
      connectErrors: 0, queued: 0, inflight: 0, lastError: "" }, energyRejected: 0, lastError: null }));
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
  // The energy dashboard needs these exact classes, on the meter's registers and on the live ones.
  for (const key of ["active_energy_import", "active_energy_import_live", "active_energy_export_live"]) {
    const energy = configs.find((c) => c.config.unique_id.endsWith("_" + key))!.config;
    assert.deepEqual([energy.device_class, energy.state_class, energy.unit_of_measurement],
      ["energy", "total_increasing", "kWh"], key);
  }
  const names = new Map(configs.map((c) => [c.config.unique_id.replace(/^han_(dongle_d1|meter_[0-9]+)_/, ""),
    c.config.name]));
  for (const [key, name] of Object.entries(DIAGNOSTIC_NAMES)) assert.equal(names.get(key), name, key);
  assert.equal(configs.filter((c) => c.config.entity_category === "diagnostic").length,
    Object.keys(DIAGNOSTIC_NAMES).length);
  assert.equal(names.get("active_power_import_l1"), undefined, "Aidon's lists carry no per-phase power");
  assert.equal(names.get("voltage_l2"), "Voltage L2");
  assert.equal(names.get("active_energy_import_live"), "Active energy import live");
});


/** Every kind of meter the encoder knows (supportedSpecs), as the simulator runs it: each maker's lists in each
 *  country, with each wiring. */
function meterKinds(): { options: Omit<MeterOptions, "seed" | "startMs">; specs: ListSpec[] }[] {
  const kinds = new Map<string, { options: Omit<MeterOptions, "seed" | "startMs">; specs: ListSpec[] }>();
  for (const spec of supportedSpecs()) {
    const options = { maker: spec.maker, country: spec.country, phases: spec.phases, wires: spec.wires,
      lists: typeof spec.list === "number" ? "nve" as const : spec.list };
    const id = JSON.stringify(options);
    if (!kinds.has(id)) kinds.set(id, { options, specs: [] });
    kinds.get(id)!.specs.push(spec);
  }
  return [...kinds.values()];
}

const HOUR_FROM = Date.parse("2026-03-01T09:59:00Z");
const HOUR_TO = Date.parse("2026-03-01T11:00:30Z");

/** An hour of one kind of meter through the decoder and a publisher with discovery, and a diag a minute (one of
 *  them while Wi-Fi is not associated): every message sent. A kind the simulator cannot run as a whole meter
 *  (Kaifa's Swedish list 3 alone) sends each of its lists every 10 s instead. */
function simulatedHour(kind: ReturnType<typeof meterKinds>[number]) {
  const clock = new FakeClock();
  clock.advance(HOUR_FROM);
  const sent: { topic: string; payload: string }[] = [];
  const publisher = new Publisher({ publish: (topic, payload) => { sent.push({ topic, payload }); return true; } },
    { base: "han/d1", deviceId: "d1", firmwareVersion: "0.1.0", perValueTopics: false, rawTopic: false,
      discovery: true, discoveryPrefix: "homeassistant", discoveryInterval: 200, maxPower: 50000, clock,
      store: new MemoryStore() });
  const decoder = new HanDecoder({ onReading: (r) => publisher.reading(r), scaling: { country: kind.options.country } });
  let frames: { at: number; bytes: Uint8Array }[];
  try {
    frames = new MeterSimulator({ ...kind.options, seed: 3, startMs: HOUR_FROM }).advanceTo(HOUR_TO)
      .map((f) => ({ at: f.sentAt + Math.ceil(f.bytes.length * 11000 / 2400), bytes: f.bytes }));
  } catch {
    frames = [];
    for (let at = HOUR_FROM; at < HOUR_TO; at += 10000) {
      for (const spec of kind.specs) {
        frames.push({ at, bytes: reencoded(sampleFrame(spec, at / 10000), (input) => { input.meterId = "7359992890941742"; })
          .frame });
      }
    }
  }
  let nextDiag = HOUR_FROM + 60000;
  for (const f of frames) {
    while (nextDiag <= f.at) {
      clock.advance(nextDiag - clock.now());
      publisher.diag(diagPayload({ now: clock.now(), uptime: (nextDiag - HOUR_FROM) / 1000, freeMemory: 2000,
        rssi: nextDiag % 600000 === 0 ? null : -61, decoder: decoder.counters,
        mqtt: { connected: true, attempts: 1, connects: 1, reconnects: 0, queueDrops: 0, keptDrops: 0, parseErrors: 0,
          oversize: 0, connectErrors: 0, queued: 0, inflight: 0, lastError: "" }, energyRejected: publisher.guard.rejected,
        lastError: null, extra: { meter_clock_offset_s: publisher.hours.offset,
          meter_clock_mismatches: publisher.hours.mismatches } }));
      nextDiag += 60000;
    }
    clock.advance(Math.max(0, f.at - clock.now()));
    decoder.push(f.bytes);
  }
  return sent;
}

test("every payload of a simulated hour of every meter renders under every template of its topic without a warning " +
  "or an error, and gives every entity a number", () => {
  let renders = 0, entities = 0, ignored = 0;
  const kinds = meterKinds();
  for (const kind of kinds) {
    const what = JSON.stringify(kind.options);
    const sent = simulatedHour(kind);
    const configs = sent.filter((s) => s.topic.startsWith("homeassistant/") && s.payload !== "")
      .map((s) => expand(JSON.parse(s.payload)));
    assert.ok(configs.length > 10, what);
    for (const config of configs) {
      const template = new Template(config.value_template);
      const payloads = sent.filter((s) => s.topic === config.state_topic);
      const numbers: number[] = [];
      for (const p of payloads) {
        const outcome: Outcome = template.render(p.payload);
        renders++;
        if (outcome.kind === "warning" || outcome.kind === "error") {
          assert.fail(what + " " + config.unique_id + " on " + p.payload + ": " + outcome.kind + " " + outcome.message);
        }
        if (outcome.kind === "state") numbers.push(outcome.value);
        if (outcome.kind === "ignored") ignored++;
        // Unknown only where the payload says null: Wi-Fi not associated, a clock offset not known yet.
        if (outcome.kind === "unknown") assert.equal(config.entity_category, "diagnostic", config.unique_id);
      }
      assert.ok(numbers.length > 0, what + ": " + config.unique_id + " never gets a number from " + payloads.length +
        " payloads on " + config.state_topic);
      entities++;
    }
  }
  console.log("discovery: " + kinds.length + " kinds of meter, " + entities + " entities, " + renders +
    " payloads rendered, 0 warnings (" + ignored + " renders without the entity's key, which keep its state)");
});

test("the template evaluator warns as Home Assistant does: a template reading a key its payload lacks", () => {
  const list1 = JSON.stringify({ ts: "2026-03-01T10:00:00Z", active_power_import: 1200 });
  assert.equal(new Template("{{ value_json.active_power_export }}").render(list1).kind, "warning");
  assert.equal(new Template("{{ (value_json.active_energy_import / 1000) | round(3) }}").render(list1).kind, "error");
  assert.deepEqual(new Template("{{ value_json.active_power_export | default('') }}").render(list1), { kind: "ignored" });
  assert.deepEqual(new Template("{{ (value_json.active_energy_import / 1000) | round(3) if 'active_energy_import' " +
    "in value_json else '' }}").render(JSON.stringify({ active_energy_import: 94064590 })), { kind: "state", value: 94064.59 });
  assert.deepEqual(new Template("{{ value_json.rssi | default('') }}").render('{"rssi":null}'), { kind: "unknown" });
  assert.equal(new Template("{{ value_json.x | default('') }}").render('{"x":"on"}').kind, "warning", "not numeric");
});
