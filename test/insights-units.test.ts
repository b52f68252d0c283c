// The insights (lib/insights) on hand-computed months: the capacity step's top three days (three peaks on one day
// count once), a month with a change of time, an alert that a projection raises and lowers mid-hour, a voltage sag
// of three minutes, a 3-wire meter, and an hour with a fifth of its power frames gone. Readings come from a feeder
// whose registers integrate the same power it reports, so every figure follows from the numbers written here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createInsights, Insights, InsightOptions } from "../lib/insights/index";
import { samplingBound } from "../lib/insights/consistency";
import { insightDiscovery, insightKeys } from "../lib/insights/discovery";
import { discoveryMessage } from "../lib/publish/discovery";
import { payloadJson, powerPayload } from "../lib/publish/payloads";
import { Template } from "./support/ha-template";
import type { Reading } from "../lib/reading";
import { HanDecoder } from "../lib/han-decoder";
import { MeterSimulator } from "../scripts/sim/meter";
import { householdProfile } from "../scripts/sim/load-profile";
import { CountingStore, oslo, Sent, sentOn } from "./support/insights";

const MINUTE = 60000;
const HOUR = 3600000;
const OPTIONS: InsightOptions = { capacity: true, voltage: true, net: true, consistency: true,
  steps: [2, 5, 10, 15, 20, 25], nominal: 230, band: 10, maxPower: 50000 };

function reading(list: 2 | 3, values: { [key: string]: number }): Reading {
  return { list, layout: "test", meter: { id: "7359992890941742", type: null, list_version: null, manufacturer: null },
    clock: null, values, obis: {} };
}

/** Readings every `step` ms: a list 2 with the power (W; negative is export) and the voltages, and 10 s after each
 *  full hour (or with the first list 2 after that) a list 3 with the registers as they stood at the hour, which
 *  integrate the power as reported. */
class Feeder {
  sent: Sent[] = [];
  store: CountingStore;
  insights: Insights;
  private imported = 5e6;
  private exported = 1e5;
  private atHour: [number, number] = [5e6, 1e5];
  private t = -1;
  /** When the next list 3 is due; -1 while none is. */
  private due = -1;

  constructor(private readonly options: InsightOptions = OPTIONS) {
    this.store = new CountingStore(() => this.t);
    this.insights = createInsights(options, this.store);
  }

  /** A restart: the same store, a new instance. */
  restart(): void {
    this.insights = createInsights(this.options, this.store);
  }

  run(from: number, to: number, step: number, power: (t: number) => number,
    volts?: (t: number) => { [key: string]: number }, dropped?: (t: number) => boolean): void {
    for (let t = from; t < to; t += step) {
      this.t = t;
      if (t % HOUR === 0) {
        this.atHour = [this.imported, this.exported];
        this.due = t + 10000;
      }
      const p = power(t);
      if (!(dropped && dropped(t))) {
        const values: { [key: string]: number } = { active_power_import: Math.max(p, 0),
          active_power_export: Math.max(-p, 0) };
        Object.assign(values, volts ? volts(t) : {});
        this.send(reading(2, values), t);
      }
      if (this.due >= 0 && t >= this.due) {
        this.send(reading(3, { active_power_import: Math.max(p, 0), active_power_export: Math.max(-p, 0),
          active_energy_import: this.atHour[0], active_energy_export: this.atHour[1] }), t + 300);
        this.due = -1;
      }
      this.imported += Math.max(p, 0) * step / HOUR;
      this.exported += Math.max(-p, 0) * step / HOUR;
    }
  }

  private send(r: Reading, t: number): void {
    for (const m of this.insights.onReading(r, t)) this.sent.push(Object.assign({ at: t }, m));
  }

  /** The last capacity payload published before `t`. */
  capacityBefore(t: number): { [key: string]: unknown } {
    const all = sentOn(this.sent, "capacity").filter((m) => m.at < t);
    return all[all.length - 1];
  }
}

/** Power by Oslo wall hour: `peaks` maps "YYYY-MM-DDThh" to W; every other hour draws `base`. */
function hourly(peaks: { [hour: string]: number }, base: number): (t: number) => number {
  return (t) => peaks[oslo(t).slice(0, 13)] ?? base;
}

function top(c: { [key: string]: unknown }): [unknown, unknown][] {
  return [1, 2, 3].map((i) => [c["top" + i], c["top" + i + "_kwh"]]);
}

test("three peaks on one day: only its highest counts, and the month survives a restart", () => {
  const f = new Feeder();
  const power = hourly({ "2026-01-05T17": 6000, "2026-01-05T18": 5500, "2026-01-05T19": 5000,
    "2026-01-10T18": 3000, "2026-01-20T18": 2500 }, 500);
  f.run(Date.UTC(2026, 0, 1, 0), Date.UTC(2026, 0, 15, 12), 30000, power);
  f.restart();
  f.run(Date.UTC(2026, 0, 15, 12), Date.UTC(2026, 1, 1, 0, 1), 30000, power);
  // January's figures, final when the first hour of February closes (01:00 local, 00:00 UTC; the readings are 30 s
  // apart).
  const months = sentOn(f.sent, "capacity/month");
  assert.deepEqual(months.map((m) => [m.month, m.at]), [["2026-01", Date.UTC(2026, 1, 1, 0, 0, 30) + 300]]);
  const c = months[0];
  assert.deepEqual(top(c), [["2026-01-05T17:00", 6], ["2026-01-10T18:00", 3], ["2026-01-20T18:00", 2.5]]);
  // (6 + 3 + 2.5) / 3; the three hours of 5 January would have made it (6 + 5.5 + 5) / 3 = 5.5, the next step.
  assert.equal(c.average_kw, 3.833);
  assert.deepEqual([c.step, c.step_from_kw, c.step_to_kw], [2, 2, 5]);
  assert.ok(f.store.mostPerDay("han.cap") <= 24, "han.cap written at most once an hour");
});

test("a month with the spring change: the local day of 23 hours, and the first hour of April kept apart", () => {
  const f = new Feeder();
  // UTC 22-23 on 28 March is 23:00 CET; 00-01 on the 29th is 01:00 CET; 01-02 is 03:00 CEST, the same day; 21-22 on
  // the 31st is 23:00 CEST, and 22-23 is 00:00 on 1 April.
  f.run(Date.UTC(2026, 2, 1, 0), Date.UTC(2026, 2, 31, 23, 1), 30000, hourly({ "2026-03-28T23": 6000,
    "2026-03-29T01": 7000, "2026-03-29T03": 6500, "2026-03-31T23": 5000, "2026-04-01T00": 8000 }, 400),
  () => ({ voltage_l1: 231, voltage_l2: 229, voltage_l3: 230 }));
  const march = sentOn(f.sent, "capacity/month")[0];
  assert.equal(march.month, "2026-03");
  assert.deepEqual(top(march), [["2026-03-29T01:00", 7], ["2026-03-28T23:00", 6], ["2026-03-31T23:00", 5]]);
  assert.deepEqual([march.average_kw, march.step], [6, 3]);
  const april = f.capacityBefore(Date.UTC(2026, 2, 31, 23, 1));
  assert.equal(april.month, "2026-04");
  assert.deepEqual(top(april)[0], ["2026-04-01T00:00", 8]);
  const hoursOn29 = sentOn(f.sent, "net").filter((m) => oslo(Date.parse(m.hour_start as string)).startsWith("2026-03-29"));
  assert.equal(hoursOn29.length, 23);
  const day29 = sentOn(f.sent, "voltage/day").find((m) => m.day === "2026-03-29")!;
  assert.equal(day29.minutes, 23 * 60);
});

test("the autumn change: a local day of 25 hours", () => {
  const f = new Feeder();
  f.run(Date.UTC(2026, 9, 24, 12), Date.UTC(2026, 9, 26, 12), 30000, () => 800,
    () => ({ voltage_l1: 231, voltage_l2: 229, voltage_l3: 230 }));
  const hours = sentOn(f.sent, "net").filter((m) => oslo(Date.parse(m.hour_start as string)).startsWith("2026-10-25"));
  assert.equal(hours.length, 25);
  assert.equal(sentOn(f.sent, "voltage/day").find((m) => m.day === "2026-10-25")!.minutes, 25 * 60);
});

test("a projection crosses the step's limit mid-hour: the alert turns on, holds within its hysteresis, then off",
  () => {
    const f = new Feeder();
    // Three days at 4 kWh/h make the month's step 2-5 kW. On the 10th, 12:00-13:00 UTC: 4 kW, 12 kW from 12:30,
    // 8 kW from 12:40, 3 kW from 12:45. The hour raises the step at 7 kWh: 3 x 5 - 12 + 4 (it replaces a 4).
    const peak = (t: number): number => {
      const m = (t - Date.UTC(2026, 1, 10, 12)) / MINUTE;
      return m < 0 || m >= 60 ? 500 : m < 30 ? 4000 : m < 40 ? 12000 : m < 45 ? 8000 : 3000;
    };
    const days = hourly({ "2026-02-01T18": 4000, "2026-02-02T18": 4000, "2026-02-03T18": 4000 }, 500);
    f.run(Date.UTC(2026, 1, 1, 0), Date.UTC(2026, 1, 10, 13, 30), 10000, (t) => Math.max(peak(t), days(t)));
    const at = (h: number, m: number) => sentOn(f.sent, "capacity").find((c) => c.at === Date.UTC(2026, 1, 10, h, m))!;
    // 12:25: 4 kW for 25 min is 1.667 kWh; 35 more min at 4 kW projects 4 kWh; 3 kWh more over 35 min is 5143 W.
    assert.deepEqual([at(12, 25).hour_kwh, at(12, 25).projection_kwh, at(12, 25).headroom_w, at(12, 25).alert],
      [1.667, 4, 5143, false]);
    // 12:30: 2 kWh so far + 12 kW for 30 min = 8 kWh >= 7: on, 1 kWh too much over 30 min.
    assert.deepEqual([at(12, 30).projection_kwh, at(12, 30).headroom_w, at(12, 30).alert], [8, -2000, true]);
    // 12:40: 4 kWh + 8 kW for 20 min = 6.667 kWh: below 7 but not 5 % below: still on.
    assert.deepEqual([at(12, 40).projection_kwh, at(12, 40).alert], [6.667, true]);
    // 12:45: 4.667 kWh + 3 kW for 15 min = 5.417 kWh: off.
    assert.deepEqual([at(12, 45).projection_kwh, at(12, 45).alert], [5.417, false]);
    const alerts = f.sent.filter((m) => m.suffix === "capacity/alert");
    // Also on the 1st: the month's first 4 kW hour lifts its average from 0.5 kW (the hours before) past 2 kW.
    assert.deepEqual(alerts.map((m) => [m.payload, m.at, m.retain]), [["OFF", Date.UTC(2026, 1, 1, 0, 0), true],
      ["ON", Date.UTC(2026, 1, 1, 17), true], ["OFF", Date.UTC(2026, 1, 1, 18), true],
      ["ON", Date.UTC(2026, 1, 10, 12, 30), true], ["OFF", Date.UTC(2026, 1, 10, 12, 45), true]]);
    const closed = f.capacityBefore(Date.UTC(2026, 1, 10, 13, 1));
    // 2 + 2 + 0.667 + 0.75 kWh: the month's best hour, yet (5.417 + 4 + 4) / 3 stays below 5.
    assert.deepEqual([top(closed)[0], closed.average_kw, closed.step], [["2026-02-10T13:00", 5.417], 4.472, 2]);
  });

test("a sag of exactly three minutes on one phase: three minutes, one event, its worst value", () => {
  const f = new Feeder();
  const sagFrom = Date.UTC(2026, 5, 10, 12, 3);
  f.run(Date.UTC(2026, 5, 10, 11, 50), Date.UTC(2026, 5, 10, 22, 2), 10000, () => 1500,
    (t) => ({ voltage_l1: 231.5, voltage_l2: t >= sagFrom && t < sagFrom + 3 * MINUTE ? 200 + (t - sagFrom) / 60000 :
      229.8, voltage_l3: 230.2 }));
  const events = sentOn(f.sent, "voltage/event");
  assert.deepEqual(events.map((e) => [e.phase, e.kind, e.start, e.end, e.worst, e.at]), [
    ["l2", "low", "2026-06-10T12:03:00Z", null, 200.4, Date.UTC(2026, 5, 10, 12, 4)],
    ["l2", "low", "2026-06-10T12:03:00Z", "2026-06-10T12:06:00Z", 200.4, Date.UTC(2026, 5, 10, 12, 7)]]);
  const day = sentOn(f.sent, "voltage/day")[0];
  assert.deepEqual([day.day, day.final, day.minutes_low, day.minutes_high, day.events, day.min, day.min_at, day.max],
    ["2026-06-10", true, 3, 0, 1, 200.4, "2026-06-10T12:03:00Z", 231.5]);
  assert.equal(day.minutes, 10 * 60 + 10, "from 11:50 UTC to local midnight (22:00 UTC)");
  assert.equal(day.month_minutes_low, 3);
  assert.equal(f.store.writes["han.volt"].length, 1, "one write a day");
});

test("a 3-wire meter: Kaifa's zero for the missing phase is no sag; events and imbalance come from the two others",
  () => {
    const start = Date.UTC(2026, 5, 10, 10);
    const sim = new MeterSimulator({ maker: "kaifa", phases: 3, wires: 3, country: "NO", seed: 7, startMs: start,
      profile: householdProfile({ charging: [], voltage: [{ at: [2026, 6, 10, 12, 20, 0], minutes: 3, phase: 3,
        volts: -30 }, { at: [2026, 6, 10, 12, 40, 0], minutes: 10, phase: 1, volts: 16 }] }) });
    const store = new CountingStore(() => 0);
    const insights = createInsights(OPTIONS, store);
    const sent: Sent[] = [];
    const phases = new Set<string>();
    let now = 0;
    const decoder = new HanDecoder({ maxFrameSize: 1024, onReading(r) {
      for (const k of Object.keys(r.values)) if (k.startsWith("voltage_") && r.values[k] > 0) phases.add(k);
      for (const m of insights.onReading(r, now)) sent.push(Object.assign({ at: now }, m));
    } });
    for (const frame of sim.advanceTo(start + HOUR)) {
      now = frame.sentAt + Math.ceil(frame.bytes.length * 11000 / 2400);
      decoder.push(frame.bytes);
    }
    assert.deepEqual([...phases].sort(), ["voltage_l1", "voltage_l3"], "the meter's list: line voltages L1 and L3");
    const events = sentOn(sent, "voltage/event").filter((e) => e.end === null);
    assert.deepEqual(events.map((e) => [e.phase, e.kind, e.start]), [["l3", "low", "2026-06-10T10:20:00Z"]]);
    const last = sentOn(sent, "voltage").pop()!;
    assert.deepEqual([last.minutes, last.minutes_low, last.minutes_high, last.events], [60, 3, 0, 1]);
    // L1 16 V up for 12:40-12:50 local: some 8 V, 3.4 %, from the two phases' mean; else within 2 V, under 1 %.
    assert.equal(last.imbalanced, 1);
  });

test("an hour with a fifth of its power frames gone is flagged; the whole hour before it is not", () => {
  const f = new Feeder();
  const from = Date.UTC(2026, 5, 10, 10);
  // Kaifa's pace (2 s) at a steady 2 kW; between 11:00 and 12:00 every fifth frame is lost.
  f.run(from, from + 2 * HOUR + 20000, 2000, () => 2000, undefined,
    (t) => t >= from + HOUR && t < from + 2 * HOUR && (t / 2000) % 5 === 4);
  const hours = sentOn(f.sent, "consistency");
  assert.equal(hours.length, 2);
  const [whole, gapped] = hours;
  // 2 kWh registered. Samples 2 s apart; steady power, so the bound is the register's 10 Wh plus each edge's
  // 2 kW x (1 s + 1 s): 12 Wh.
  assert.deepEqual([whole.hour_end, whole.register_wh, whole.integral_wh, whole.coverage_pct, whole.bound_wh,
    whole.flagged], ["2026-06-10T11:00:00Z", 2000, 2000, 100, 12, false]);
  // Of every 10 s, four samples cover 2 s each: 80 %, and 1600 Wh.
  assert.deepEqual([gapped.hour_end, gapped.integral_wh, gapped.deviation_wh, gapped.deviation_pct,
    gapped.coverage_pct, gapped.period_s, gapped.flagged], ["2026-06-10T12:00:00Z", 1600, -400, -20, 80, 2, true]);
  assert.deepEqual([gapped.days_30, gapped.deviation_30_pct, gapped.flagged_30], [1, -10, 1]);
});

test("the sampling bound: each change of power costs its size times a period over the square root of 12", () => {
  // 20 changes of 2 kW in an hour, 2 s, 2.5 s and 10 s apart, at 1 kW on either edge.
  const q = 20 * 2000 * 2000;
  const bounds = [2000, 2500, 10000].map((t) => samplingBound({ e: 0, c: 0, ms: 0, q, t, g: 2000 }));
  const expected = [2, 2.5, 10].map((s) => 3 * s / 3600 / Math.sqrt(12) * Math.sqrt(q) + 2000 * (s / 2 + 1) / 3600 + 10);
  assert.deepEqual(bounds.map(Math.round), expected.map(Math.round));
  assert.deepEqual(bounds.map(Math.round), [15, 17, 35]);
});

test("Home Assistant: each insight entity reads its payload; with panels, import and export are the meter's registers",
  () => {
    const f = new Feeder();
    // A day with panels: 3 kW exported 10:00-14:00 UTC, 1 kW imported otherwise, a sag so that an event goes out.
    const from = Date.UTC(2026, 5, 10, 0);
    f.run(from, from + 26 * HOUR, 10000, (t) => (t - from) % (24 * HOUR) >= 10 * HOUR &&
      (t - from) % (24 * HOUR) < 14 * HOUR ? -3000 : 1000,
    (t) => ({ voltage_l1: 231, voltage_l2: (t - from) / MINUTE < 3 ? 200 : 229, voltage_l3: 230 }));
    const last = new Map(f.sent.map((m) => [m.suffix, m.payload]));
    const ctx = { prefix: "homeassistant", base: "han/x", deviceId: "x", firmwareVersion: "0",
      meter: { id: "7359992890941742", type: null, list_version: null, manufacturer: null } };
    const keys = insightKeys(OPTIONS);
    assert.equal(keys.length, 19);
    assert.deepEqual(insightKeys(Object.assign({}, OPTIONS, { capacity: false, voltage: false })),
      keys.filter((k) => k.startsWith("net") || k.startsWith("consistency")));
    for (const key of keys) {
      const msg = insightDiscovery(ctx, key)!;
      const c = JSON.parse(msg.payload);
      assert.equal(c.uniq_id, "han_meter_7359992890941742_" + key);
      const suffix = (c.stat_t as string).replace("~/insights/", "");
      const payload = last.get(suffix);
      assert.ok(payload !== undefined, key + ": nothing on " + suffix);
      if (msg.topic.startsWith("homeassistant/binary_sensor/")) {
        const on = c.val_tpl ? JSON.parse(payload)[/value_json\.(\w+)/.exec(c.val_tpl)![1]] : payload;
        assert.ok(on === true || on === false || on === "ON" || on === "OFF", key + ": " + payload);
        continue;
      }
      const outcome = new Template(c.val_tpl).render(payload);
      assert.equal(outcome.kind, "state", key + ": " + JSON.stringify(outcome) + " of " + payload);
    }
    assert.equal(insightDiscovery(ctx, "capacity"), null);
    // Through the device's discovery queue, "*0", "*1", ... in turn: the features on announced, the others' configs
    // removed; null past the last.
    const queued = { ...ctx, insights: { capacity: false, voltage: true, net: true, consistency: true } };
    const messages = keys.map((_, i) => discoveryMessage(queued, "*" + i)!);
    assert.equal(discoveryMessage(queued, "*" + keys.length), null);
    assert.deepEqual(messages.filter((m) => m.payload !== ""), insightKeys(queued.insights).map((k) => insightDiscovery(ctx, k)));
    assert.deepEqual(messages.filter((m) => m.payload === "").map((m) => m.topic),
      keys.filter((k) => k.startsWith("capacity")).map((k) => insightDiscovery(ctx, k)!.topic));
    // The net power: the power topic's, signed, a power sensor.
    const net = JSON.parse(discoveryMessage(ctx, "active_power_net")!.payload);
    assert.deepEqual([net.stat_t, net.unit_of_meas, net.dev_cla, net.stat_cla], ["~/power", "W", "power", "measurement"]);
    const power = powerPayload(reading(2, { active_power_import: 200, active_power_export: 3200 }), from)!;
    assert.equal(new Template(net.val_tpl).render(payloadJson(power)).kind, "state");
    assert.equal(power.active_power_net, -3000);
    assert.equal(powerPayload(reading(2, { active_power_import: 200 }), from)!.active_power_net, undefined,
      "none from a list without export");
    assert.equal(sentOn(f.sent, "net").filter((n) => (n.net_energy as number) < 0).length, 4, "four hours exported");

    // The meter's own energy entities, which the dashboard takes: each of its own register, kWh, total_increasing.
    const sim = new MeterSimulator({ maker: "kamstrup", phases: 3, wires: 4, country: "NO", seed: 3, startMs: from,
      solarPeakW: 6000 });
    const registers: { [key: string]: number }[] = [];
    const decoder = new HanDecoder({ maxFrameSize: 1024, onReading(r) {
      if (r.values.active_energy_import !== undefined) registers.push(r.values);
    } });
    for (const frame of sim.advanceTo(from + 24 * HOUR + 20000)) decoder.push(frame.bytes);
    const rise: { [key: string]: number } = {};
    for (const key of ["active_energy_import", "active_energy_export", "active_energy_import_live",
      "active_energy_export_live"]) {
      const c = JSON.parse(discoveryMessage(ctx, key)!.payload);
      assert.deepEqual([c.dev_cla, c.unit_of_meas, c.stat_cla], ["energy", "kWh", "total_increasing"], key);
      if (key.endsWith("_live")) continue;
      const states = registers.map((v) => (new Template(c.val_tpl).render(JSON.stringify(v)) as { value: number }).value);
      states.forEach((s, i) => assert.equal(s, Math.round(registers[i][key]) / 1000, key));
      assert.ok(states.every((s, i) => i === 0 || s >= states[i - 1]), key + " never goes down");
      rise[key] = states[states.length - 1] - states[0];
    }
    assert.ok(rise.active_energy_import > 1 && rise.active_energy_export > 1, JSON.stringify(rise));
  });
