// Readings become the messages of the topic contract: the right topics, retain flags and QoS, energy booked to
// the hour it closes, the energy guard, paced discovery, and optional topics.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Publisher, PublisherOptions } from "../lib/publish/publisher";
import { HanDecoder } from "../lib/han-decoder";
import { fromHex } from "../lib/bytes";
import type { Reading } from "../lib/reading";
import { diagnosticKeys } from "../lib/publish/discovery";
import { FakeClock } from "./support/fake-clock";
import { listSpec, sampleFrame, reencoded, LayoutFrame } from "./support/layout-frames";
import { makerClock } from "../scripts/sim/layouts";
import { utcMs } from "../scripts/sim/wallclock";

interface Sent { topic: string; payload: string; qos?: number; retain?: boolean; keep?: boolean }

const BASE = "han/dongle1";

const AIDON_LIST1 = sampleFrame(listSpec("aidon", 3, 4, 1, "NO"), 1);
const AIDON_LIST2 = sampleFrame(listSpec("aidon", 3, 4, 2, "NO"), 2);
/** Closing 21:00 local time (CEST) on the meter's clock. */
const AIDON_LIST3 = reencoded(sampleFrame(listSpec("aidon", 3, 4, 3, "NO"), 3), (input) => {
  input.clock = makerClock(input, utcMs(2020, 7, 21, 19, 0, 0));
});

function decoded(sample: LayoutFrame): Reading {
  let out: Reading | null = null;
  const d = new HanDecoder({ onReading: (r) => { out = r; }, scaling: { country: sample.input.country } });
  d.push(sample.frame);
  assert.ok(out, sample.input.maker + " list " + sample.input.list);
  return out;
}

function setup(overrides: Partial<PublisherOptions> = {}, startIso = "2026-01-21T09:59:59Z") {
  const clock = new FakeClock();
  clock.advance(Date.parse(startIso));
  const sent: Sent[] = [];
  const sink = { publish: (topic: string, payload: string, o?: { qos?: number; retain?: boolean; keep?: boolean }) => {
    sent.push({ topic, payload, ...o });
    return true;
  } };
  const publisher = new Publisher(sink, { base: BASE, deviceId: "dongle1", firmwareVersion: "0.1.0",
    perValueTopics: false, rawTopic: false, discovery: true, discoveryPrefix: "homeassistant",
    discoveryInterval: 200, maxPower: 50000, clock, ...overrides });
  return { clock, sent, publisher };
}

const on = (sent: Sent[], suffix: string) => sent.filter((s) => s.topic === BASE + "/" + suffix);

test("list 1 goes to the power topic only, not retained, QoS 0, stamped with the device time", () => {
  const { sent, publisher } = setup();
  publisher.reading(decoded(AIDON_LIST1));
  assert.equal(sent.length, 1);
  assert.equal(sent[0].topic, BASE + "/power");
  assert.equal(sent[0].retain, false);
  assert.equal(sent[0].qos, 0);
  assert.deepEqual(JSON.parse(sent[0].payload), { ts: "2026-01-21T09:59:59Z",
    active_power_import: AIDON_LIST1.expected.values.active_power_import });
});

test("list 2: power and one instant object; the meter identity retained once; discovery paced, not a burst", () => {
  const { clock, sent, publisher } = setup();
  const r = decoded(AIDON_LIST2);
  publisher.reading(r);
  publisher.reading(r);
  const instant = on(sent, "instant");
  assert.equal(instant.length, 2);
  const payload = JSON.parse(instant[0].payload);
  assert.equal(payload.voltage_l1, AIDON_LIST2.expected.values.voltage_l1);
  assert.equal(payload.current_l1, AIDON_LIST2.expected.values.current_l1);
  assert.ok(!("active_energy_import" in payload));
  const meter = on(sent, "meter");
  assert.equal(meter.length, 1, "identity published once");
  assert.equal(meter[0].retain, true);
  assert.deepEqual(JSON.parse(meter[0].payload), { id: AIDON_LIST2.expected.meter.id, type: "6534",
    list_version: "AIDON_V0001", manufacturer: "Aidon" });
  const discovery = () => sent.filter((s) => s.topic.startsWith("homeassistant/"));
  assert.equal(discovery().length, 0, "nothing at once");
  clock.advance(200);
  assert.equal(discovery().length, 1);
  clock.advance(199);
  assert.equal(discovery().length, 1, "one message per interval");
  clock.advance(60000);
  const configs = discovery();
  assert.equal(configs.length, Object.keys(r.values).length + diagnosticKeys().length, "an entity per value and diagnostic");
  assert.ok(configs.every((c) => c.retain === true));
  assert.equal(new Set(configs.map((c) => c.topic)).size, configs.length, "no entity twice");
});

test("the hourly list is retained, kept while offline, and carries the hour it closes", () => {
  const { sent, publisher } = setup({}, "2026-01-21T10:00:10Z");
  publisher.reading(decoded(AIDON_LIST3));
  const energy = on(sent, "energy");
  assert.equal(energy.length, 1);
  assert.equal(energy[0].retain, true);
  assert.equal(energy[0].qos, 1);
  assert.equal(energy[0].keep, true);
  const p = JSON.parse(energy[0].payload);
  assert.equal(p.hour_start, "2026-01-21T09:00:00Z");
  assert.equal(p.hour_end, "2026-01-21T10:00:00Z");
  assert.equal(p.active_energy_import, AIDON_LIST3.expected.values.active_energy_import);
  assert.equal(p.meter_time, "2020-07-21T21:00:00");
  assert.ok(!("voltage_l1" in p), "energy only");
});

test("a device clock a little slow still books the hourly list to the hour that just closed", () => {
  const { sent, publisher } = setup({}, "2026-01-21T09:59:50Z");
  publisher.reading(decoded(sampleFrame(listSpec("kaifa", 3, 3, 3, "NO"), 4)));
  assert.equal(JSON.parse(on(sent, "energy")[0].payload).hour_end, "2026-01-21T10:00:00Z");
});

test("the energy guard withholds a lower register and an impossible jump, counts and logs them", () => {
  const { clock, sent, publisher } = setup({ maxPower: 20000 }, "2026-01-21T10:00:10Z");
  const r = decoded(AIDON_LIST3);
  publisher.reading(r);
  clock.advance(3600000);
  const lower = structuredClone(r);
  lower.values.active_energy_import -= 10;
  publisher.reading(lower);
  let last = JSON.parse(on(sent, "energy").at(-1)!.payload);
  assert.ok(!("active_energy_import" in last), "lower value withheld");
  assert.equal(last.reactive_energy_export, r.values.reactive_energy_export, "the other registers still go out");
  clock.advance(3600000);
  const jump = structuredClone(r);
  jump.values.active_energy_import += 2 * 3600000 * 20000 / 3600000 + 1000;
  publisher.reading(jump);
  last = JSON.parse(on(sent, "energy").at(-1)!.payload);
  assert.ok(!("active_energy_import" in last), "jump withheld");
  const plausible = structuredClone(r);
  plausible.values.active_energy_import += 30000;
  clock.advance(3600000);
  publisher.reading(plausible);
  last = JSON.parse(on(sent, "energy").at(-1)!.payload);
  assert.equal(last.active_energy_import, r.values.active_energy_import + 30000, "a plausible rise is published");
  assert.equal(publisher.guard.rejected, 2);
  const logs = on(sent, "log").map((s) => s.payload);
  assert.equal(logs.length, 2);
  assert.match(logs[0], /active_energy_import.*lower/);
  assert.match(logs[1], /active_energy_import.*more than the installation/);
});

test("lists that carry energy every 10 s publish it once per hour", () => {
  const { clock, sent, publisher } = setup({}, "2026-01-21T10:00:07Z");
  const r = decoded(sampleFrame(listSpec("aidon", 3, 4, "se", "SE"), 5));
  assert.equal(r.list, "other");
  for (let i = 0; i < 360 * 2; i++) {
    publisher.reading(r);
    clock.advance(10000);
  }
  const energy = on(sent, "energy").map((s) => JSON.parse(s.payload));
  assert.deepEqual(energy.map((e) => e.hour_end), ["2026-01-21T10:00:00Z", "2026-01-21T11:00:00Z"]);
  assert.equal(on(sent, "instant").length, 720);
});

test("per-value and raw topics only when configured, and shed when memory runs short", () => {
  const off = setup();
  off.publisher.reading(decoded(AIDON_LIST2));
  off.publisher.frame(fromHex("7e00"));
  assert.equal(off.sent.filter((s) => /\/(raw|voltage_l1)$/.test(s.topic)).length, 0);
  const onSetup = setup({ perValueTopics: true, rawTopic: true });
  onSetup.publisher.reading(decoded(AIDON_LIST2));
  onSetup.publisher.frame(fromHex("7ea0"));
  const voltage = String(AIDON_LIST2.expected.values.voltage_l1);
  assert.deepEqual(on(onSetup.sent, "voltage_l1").map((s) => s.payload), [voltage]);
  assert.deepEqual(on(onSetup.sent, "raw").map((s) => s.payload), ["7ea0"]);
  onSetup.publisher.optionalEnabled = false;
  onSetup.publisher.reading(decoded(AIDON_LIST2));
  onSetup.publisher.frame(fromHex("7ea0"));
  assert.equal(on(onSetup.sent, "voltage_l1").length, 1);
  assert.equal(on(onSetup.sent, "raw").length, 1);
});

test("Home Assistant coming online gets the whole discovery again", () => {
  const { clock, sent, publisher } = setup();
  publisher.reading(decoded(sampleFrame(listSpec("kamstrup", 3, 3, 3, "NO"), 6)));
  clock.advance(60000);
  const first = sent.filter((s) => s.topic.startsWith("homeassistant/")).length;
  publisher.homeAssistantOnline();
  clock.advance(60000);
  const all = sent.filter((s) => s.topic.startsWith("homeassistant/")).length;
  assert.equal(all, 2 * first);
});
