// The firmware bundle on the emulated ESP32, fed by the simulated meter of each maker (1 and 3 phases), publishes
// on a real broker what the meter encoded: the instantaneous values of every list 2 and the hourly registers,
// as the simulator quantized them, and the Home Assistant discovery configs of its keys; its diag topic carries
// the Wi-Fi signal the radio reports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokerForFile, deviceConfig, emulate } from "./support/emulated-device";
import { meterSource } from "../scripts/emulator/index";
import { expectedReading } from "../scripts/sim/layouts";
import type { SentFrame } from "../scripts/sim/meter";
import { topicOfKey } from "../lib/publish/contract";

const HOUR = 3600000;
/** 23:30 UTC: the firmware tries 8E1 first, and a Kamstrup line (8N1) read that way arrives out of step, so
 *  finding the setting takes it a minute or two; the hourly list at 00:00 comes well after that. */
const START = Date.UTC(2024, 0, 14, 23, 30, 0);

const { broker, recorder } = brokerForFile(["han/#", "homeassistant/#"]);

/** Discovery: the device class and unit each kind of value must announce. */
const CLASSES: { [stem: string]: [string | undefined, string | undefined] } = {
  active_power: ["power", "W"],
  reactive_power: ["reactive_power", "var"],
  active_energy: ["energy", "kWh"],
  reactive_energy: ["reactive_energy", "kvarh"],
  current: ["current", "A"],
  voltage: ["voltage", "V"],
  power_factor: ["power_factor", undefined],
};

/** Home Assistant's abbreviations of discovery keys (homeassistant/components/mqtt/abbreviations.py), those a
 *  sensor may use; a key outside these tables is one Home Assistant would refuse. */
const KEYS: { [short: string]: string } = {
  avty_t: "availability_topic", dev: "device", dev_cla: "device_class", ent_cat: "entity_category",
  json_attr_t: "json_attributes_topic", obj_id: "object_id", pl_avail: "payload_available",
  pl_not_avail: "payload_not_available", stat_cla: "state_class", stat_t: "state_topic", uniq_id: "unique_id",
  unit_of_meas: "unit_of_measurement", val_tpl: "value_template", exp_aft: "expire_after", frc_upd: "force_update",
  sug_dsp_prc: "suggested_display_precision", ic: "icon", en: "enabled_by_default", name: "name",
};
const DEVICE_KEYS: { [short: string]: string } = {
  cns: "connections", cu: "configuration_url", ids: "identifiers", name: "name", mf: "manufacturer", mdl: "model",
  mdl_id: "model_id", hw: "hw_version", sw: "sw_version", sa: "suggested_area", sn: "serial_number",
  via_device: "via_device",
};

/** A discovery payload as Home Assistant reads it: abbreviations expanded, "~" replaced by the base topic. */
function expand(payload: { [key: string]: unknown }): { [key: string]: unknown } {
  const base = typeof payload["~"] === "string" ? payload["~"] as string : null;
  const out: { [key: string]: unknown } = {};
  const full = Object.keys(KEYS).map(function (k) { return KEYS[k]; });
  for (const key of Object.keys(payload)) {
    if (key === "~") continue;
    const name = KEYS[key] || key;
    assert.ok(full.indexOf(name) >= 0, "discovery key " + key + " is not one Home Assistant knows");
    let value = payload[key];
    if (base !== null && typeof value === "string") value = value.replace(/^~/, base).replace(/~$/, base);
    if (name === "device") {
      const device: { [key: string]: unknown } = {};
      for (const dk of Object.keys(value as object)) {
        const dn = DEVICE_KEYS[dk] || dk;
        assert.ok(Object.keys(DEVICE_KEYS).map(function (k) { return DEVICE_KEYS[k]; }).indexOf(dn) >= 0,
          "device key " + dk + " is not one Home Assistant knows");
        device[dn] = (value as { [key: string]: unknown })[dk];
      }
      value = device;
    }
    out[name] = value;
  }
  return out;
}

function stemOf(key: string): string {
  const stem = Object.keys(CLASSES).find(function (s) { return key.indexOf(s) === 0; });
  assert.ok(stem, "no device class expected for " + key);
  return stem;
}

/** The values of a payload that belong to `topic`, without the time stamps. */
function valuesOf(payload: { [key: string]: unknown }): { [key: string]: unknown } {
  const out: { [key: string]: unknown } = {};
  for (const key of Object.keys(payload)) {
    if (["ts", "meter_time", "hour_start", "hour_end"].indexOf(key) < 0) out[key] = payload[key];
  }
  return out;
}

function expectedValues(frame: SentFrame, topic: "instant" | "energy"): { [key: string]: number } {
  const all = expectedReading(frame.input).values;
  const out: { [key: string]: number } = {};
  for (const key of Object.keys(all)) if (topicOfKey(key) === topic) out[key] = all[key];
  return out;
}

/** The frame a reading stamped `ts` came from: the last one sent before it. */
function frameAt(frames: SentFrame[], ts: string): SentFrame {
  const t = Date.parse(ts);
  const before = frames.filter(function (f) { return f.sentAt <= t; });
  assert.ok(before.length > 0, "no frame sent before " + ts);
  return before[before.length - 1];
}

let seed = 21;
for (const maker of ["aidon", "kaifa", "kamstrup"] as const) {
  for (const phases of [1, 3] as const) {
    test(maker + " " + phases + "-phase: readings and discovery on the broker match what the meter sent", async function () {
      const id = maker + "-" + phases + "p";
      const base = "han/" + id;
      const frames: SentFrame[] = [];
      const emu = emulate({
        startMs: START,
        files: { "han.json": deviceConfig(broker().port, id) },
        source: meterSource({ maker: maker, phases: phases, wires: 4, country: "NO", seed: seed++, startMs: START,
          onFrame: function (f) { frames.push(f); } }),
      }, recorder);
      try {
        const done = await emu.advanceUntil(function () {
          return recorder.on(base + "/energy").length >= 1 && recorder.on(base + "/instant").length >= 3;
        }, 45 * 60000);
        assert.ok(done, "no energy and instant readings within 45 minutes; console:\n" + emu.console.text());
        // Discovery goes out one message every 200 ms after the keys are first seen.
        await emu.advance(30000);

        const instant = recorder.json(base + "/instant").filter(function (p) { return typeof p.ts === "string"; });
        assert.ok(instant.length >= 3);
        for (const payload of instant) {
          const frame = frameAt(frames.filter(function (f) { return f.list !== 1; }), payload.ts as string);
          assert.deepEqual(valuesOf(payload), expectedValues(frame, "instant"), "instant at " + payload.ts);
        }

        const energy = recorder.json(base + "/energy")[0];
        const hourly = frames.filter(function (f) { return f.list === 3; });
        assert.equal(hourly.length >= 1, true);
        const frame = frameAt(hourly, energy.ts as string);
        assert.deepEqual(valuesOf(energy), expectedValues(frame, "energy"));
        assert.ok(Object.keys(valuesOf(energy)).length >= 4, "energy registers missing");
        const hourEnd = frame.dueAt - frame.dueAt % HOUR;
        assert.equal(energy.hour_end, new Date(hourEnd).toISOString().replace(".000Z", "Z"));
        assert.equal(energy.hour_start, new Date(hourEnd - HOUR).toISOString().replace(".000Z", "Z"));

        const meter = recorder.json(base + "/meter")[0];
        assert.equal(meter.id, expectedReading(hourly[0].input).meter.id);
        const owner = "homeassistant/sensor/han_meter_" + meter.id + "/";
        const keys = Object.keys(expectedValues(frame, "instant")).concat(Object.keys(expectedValues(frame, "energy")));
        const announced = function (): string[] {
          return recorder.messages.filter(function (m) { return m.topic.indexOf(owner) === 0; })
            .map(function (m) { return m.topic.split("/")[3]; });
        };
        await recorder.waitFor(function () {
          return keys.every(function (key) { return announced().indexOf(key) >= 0; });
        }, "discovery configs for " + keys.join(", "));
        const configs = recorder.messages.filter(function (m) { return m.topic.indexOf(owner) === 0; });
        for (const m of configs) {
          // The insights' entities (lib/insights/discovery.ts) share the meter's device; test/insights-* judge them.
          if (String(JSON.parse(m.payload).stat_t).indexOf("~/insights/") === 0) continue;
          const c = expand(JSON.parse(m.payload));
          const key = m.topic.split("/")[3];
          for (const required of ["name", "unique_id", "state_topic", "value_template", "availability_topic",
            "state_class", "device"]) {
            assert.ok(c[required] !== undefined, key + ": " + required + " missing");
          }
          assert.deepEqual([c.device_class, c.unit_of_measurement], CLASSES[stemOf(key)], key);
          assert.ok((c.device as { identifiers: string[] }).identifiers.length > 0, key + ": device without identifiers");
          assert.equal(c.availability_topic, base + "/status");
          assert.equal(String(c.state_topic).indexOf(base + "/"), 0);
        }
        const topics = Array.from(new Set(configs.map(function (m) { return m.topic; }))).sort();
        const retained = await recorder.retained(broker().port, owner + "#", topics.length);
        assert.deepEqual(retained.map(function (m) { return m.topic; }).sort(), topics);
        assert.deepEqual(emu.console.uncaught, []);
        assert.deepEqual(emu.resets, []);
      } finally {
        emu.close();
      }
    });
  }
}

test("diag carries the signal strength of the network the device joined", async function () {
  const base = "han/rssi";
  const emu = emulate({ startMs: START, wifi: { rssi: -47 }, files: { "han.json": deviceConfig(broker().port, "rssi") },
    source: meterSource({ maker: "aidon", phases: 3, wires: 4, country: "NO", seed: seed++, startMs: START }) },
  recorder);
  try {
    assert.ok(await emu.advanceUntil(function () { return recorder.on(base + "/diag").length >= 1; }, 3 * 60000),
      "no diag; console:\n" + emu.console.text());
    const diag = recorder.json(base + "/diag");
    assert.equal(diag[diag.length - 1].rssi, -47, JSON.stringify(diag[diag.length - 1]));
    assert.deepEqual(emu.console.uncaught, []);
  } finally {
    emu.close();
  }
});
