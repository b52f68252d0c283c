// Round trips through the simulator's P1 framing: every DSMR version, plain and encrypted (Smarty), one and three
// phases, fed in chunks down to one byte, decode to exactly the values written; and a P1 meter's readings reach
// MQTT and Home Assistant under the keys of a Norwegian meter, its gas and water meters as entities of their own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MeterSimulator, SentFrame } from "../scripts/sim/meter";
import { P1Decoder } from "../lib/p1/decoder";
import { nodeBlockCipher } from "../scripts/node-aes";
import { Publisher } from "../lib/publish/publisher";
import type { Reading } from "../lib/reading";
import { FakeClock } from "./support/fake-clock";
import { MemoryStore } from "./support/memory-store";

const KEY = new Uint8Array(Buffer.from("AE1D2BC0E4A2F6A9B5C1F0E3D2C1B0A9", "hex"));
const START = Date.UTC(2026, 2, 29, 0, 59, 30);

function simulate(version: "2.2" | "4.2" | "5.0", phases: 1 | 3, encrypted: boolean, seconds: number): SentFrame[] {
  const meter = new MeterSimulator({ maker: "kaifa", phases, wires: 4, country: "NO", seed: 42 + phases, startMs: START,
    framing: "p1", p1Version: version, p1Key: encrypted ? KEY : undefined, solarPeakW: 3000 });
  return meter.advanceTo(START + seconds * 1000);
}

test("P1 round trips: DSMR 5.0, 4.2 and 2.2, plain and encrypted, 1 and 3 phases, chunks down to one byte", () => {
  for (const version of ["5.0", "4.2", "2.2"] as const) {
    for (const phases of [1, 3] as const) {
      for (const encrypted of [false, true]) {
        // Across the hour and the night of the change to summer time.
        const frames = simulate(version, phases, encrypted, version === "5.0" ? 90 : 300);
        assert.ok(frames.length >= 9);
        const stream = Buffer.concat(frames.map((f) => f.bytes));
        for (const size of [1, 3, 17, stream.length]) {
          const readings: Reading[] = [];
          const decoder = new P1Decoder({ onReading: (r) => readings.push(r), cipher: encrypted ? nodeBlockCipher(KEY) :
            undefined });
          for (let i = 0; i < stream.length; i += size) decoder.push(new Uint8Array(stream.subarray(i, i + size)));
          decoder.flush();
          const what = version + " " + phases + "p " + (encrypted ? "encrypted" : "plain") + " / " + size;
          assert.equal(readings.length, frames.length, what);
          readings.forEach((r, i) => {
            assert.deepEqual(r.values, frames[i].p1!.values, what + " #" + i);
            assert.deepEqual(r.times, frames[i].p1!.times, what + " #" + i);
          });
          const c = decoder.counters;
          assert.deepEqual([c.fcs_errors, c.length_errors, c.hcs_errors, c.decrypt_errors, c.unknown_lines, c.bytes_dropped],
            [0, 0, 0, 0, 0, 0], what);
          assert.equal(c.unchecked, version === "2.2" ? frames.length : 0, what);
        }
      }
    }
  }
});

test("the pace: plain DSMR 5 every second, Smarty's encrypted 5.0 and DSMR 4.2 and 2.2 every 10 s", () => {
  for (const [version, encrypted, everyMs] of [["5.0", false, 1000], ["5.0", true, 10000], ["4.2", false, 10000],
    ["2.2", false, 10000]] as const) {
    const frames = simulate(version, 3, encrypted, 60);
    const what = version + (encrypted ? " encrypted" : " plain");
    // Both ends of the minute included.
    assert.equal(frames.length, 60000 / everyMs + 1, what);
    frames.forEach((f, i) => assert.equal(f.dueAt - frames[0].dueAt, i * everyMs, what + " #" + i));
  }
});

test("a P1 meter on MQTT: the Norwegian keys, the total energy entity, gas and water entities with their times", () => {
  const frames = simulate("5.0", 3, false, 70);
  const clock = new FakeClock();
  clock.advance(START);
  const sent: { topic: string; payload: string }[] = [];
  const publisher = new Publisher({ publish: (topic, payload) => { sent.push({ topic, payload }); return true; } }, {
    base: "han/p1", deviceId: "p1", firmwareVersion: "0.1.0", perValueTopics: false, rawTopic: false,
    discovery: true, discoveryPrefix: "homeassistant", discoveryInterval: 200, maxPower: 50000, clock,
    store: new MemoryStore() });
  const decoder = new P1Decoder({ onReading: (r) => publisher.reading(r) });
  for (const f of frames) {
    clock.advance(f.sentAt - clock.now());
    decoder.push(f.bytes);
  }
  clock.advance(60000);
  const instant = sent.filter((s) => s.topic === "han/p1/instant").map((s) => JSON.parse(s.payload));
  assert.equal(instant.length, frames.length);
  const last = instant[instant.length - 1];
  const expected = frames[frames.length - 1].p1!;
  assert.equal(last.gas_volume, expected.values.gas_volume);
  assert.equal(last.gas_volume_time, expected.times.gas_volume);
  assert.equal(last.water_volume, expected.values.water_volume);
  assert.equal(last.voltage_l2, expected.values.voltage_l2);
  // The hour's registers go out once, the total among them.
  const energy = sent.filter((s) => s.topic === "han/p1/energy").map((s) => JSON.parse(s.payload));
  assert.equal(energy.length, 1);
  assert.equal(energy[0].hour_end, "2026-03-29T01:00:00Z");
  assert.equal(energy[0].active_energy_import, energy[0].active_energy_import_t1 + energy[0].active_energy_import_t2);
  const config = (key: string) => {
    const c = sent.find((s) => s.topic.startsWith("homeassistant/sensor/") && s.topic.endsWith("/" + key + "/config"));
    assert.ok(c, key + " announced");
    return JSON.parse(c.payload);
  };
  assert.deepEqual([config("gas_volume").dev_cla, config("gas_volume").unit_of_meas, config("gas_volume").stat_cla,
    config("gas_volume").stat_t], ["gas", "m\u00b3", "total_increasing", "~/instant"]);
  assert.deepEqual([config("water_volume").dev_cla, config("water_volume").unit_of_meas], ["water", "m\u00b3"]);
  assert.deepEqual([config("active_energy_import").dev_cla, config("active_energy_import").unit_of_meas],
    ["energy", "kWh"]);
  assert.equal(publisher.refusedValues, 0);
});
