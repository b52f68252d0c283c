// The insights on the emulated device (the firmware bundle, its insights part evaluated from Storage): a simulated
// June day and more of a Kamstrup meter with panels, a car charged one evening and the grid's voltage sagging and
// swelling, then a power cut. What the device publishes on <base>/insights/... and the net power on <base>/power
// are judged against a computation over the simulator's own record of what the meter sent
// (test/support/insights.ts, with Oslo time from the platform's time-zone data): not against lib/insights.
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokerForFile, deviceConfig, emulate } from "./support/emulated-device";
import { meterSource } from "../scripts/emulator/index";
import { householdProfile, localToUtc } from "../scripts/sim/load-profile";
import { capacityOf, distinct, MeterTruth, oslo, stepsOf, voltageOf } from "./support/insights";

const MINUTE = 60000;
const HOUR = 3600000;
const LIMITS = [2, 5, 10, 15, 20, 25];
const ID = "insdev";
const BASE = "han/" + ID;
/** Ten minutes before local midnight on 9 June 2026. */
const START = localToUtc([2026, 6, 9, 23, 50]);
const CUT = localToUtc([2026, 6, 11, 1, 2]);
const END = localToUtc([2026, 6, 11, 3, 2]);

const { broker, recorder } = brokerForFile(["han/#", "homeassistant/#"]);

test("a day on the emulated device: capacity, alert, voltage, net and consistency as the meter's own figures " +
  "give them, the net power on the power topic, and the month kept across a power cut", { timeout: 120000 },
async function (t) {
  const meter = new MeterTruth();
  const emu = emulate({
    startMs: START,
    files: { "han.json": deviceConfig(broker().port, ID), "han.serial": JSON.stringify({ baud: 2400, parity: "none" }) },
    source: meterSource({ maker: "kamstrup", phases: 3, wires: 4, country: "NO", seed: 613, startMs: START,
      solarPeakW: 6000, profile: householdProfile({
        charging: [{ at: [2026, 6, 10, 18, 0], minutes: 90 }],
        voltage: [{ at: [2026, 6, 10, 12, 3], minutes: 3, phase: 2, volts: -30 },
          { at: [2026, 6, 10, 15, 0], minutes: 5, phase: 1, volts: 27 }],
      }),
      onFrame: meter.onFrame }),
    serialPollMs: 1000,
    memoryRefreshMs: HOUR,
  }, recorder);
  const real = Date.now();
  const json = (suffix: string) => recorder.on(BASE + "/insights/" + suffix).map((m) =>
    Object.assign({ at: m.at }, JSON.parse(m.payload)) as { at: number } & { [key: string]: unknown });
  try {
    while (emu.clock.now < CUT - START) await emu.advance(Math.min(HOUR, CUT - START - emu.clock.now), 5000);
    await recorder.waitFor(() => json("consistency").some((c) => c.hour_end === "2026-06-10T23:00:00Z"),
      "the hour closed at 01:00 local").catch(() => { /* asserted below */ });

    const hours = meter.hours().map((h) => [h.start, h.wh] as [number, number]);
    const net = new Map(meter.hours().map((h) => [new Date(h.start).toISOString().replace(".000Z", "Z"), h.net]));
    assert.ok(hours.length >= 25, hours.length + " hours");

    // Capacity: the last figures before the cut are the month's so far; the step rose as the truth's did.
    const capacity = json("capacity");
    const last = capacity[capacity.length - 1];
    const truth = capacityOf(hours, LIMITS);
    assert.equal(last.month, "2026-06");
    assert.deepEqual([1, 2, 3].map((i) => [last["top" + i], last["top" + i + "_kwh"]]),
      truth.top.concat([[null, null], [null, null]] as unknown as [string, number][]).slice(0, 3));
    assert.deepEqual([last.average_kw, last.step], [truth.average, truth.step]);
    assert.deepEqual(distinct(capacity.map((c) => c.step)), stepsOf(hours, LIMITS));
    // The charging hour is the one that raised the step; the alert came on within it, and was off again after.
    const steps = hours.map((_h, i) => capacityOf(hours.slice(0, i), LIMITS).step);
    const raised = hours.findIndex((h, i) => capacityOf(hours.slice(0, i + 1), LIMITS).step > steps[i] &&
      oslo(h[0]).slice(11, 13) === "18");
    assert.ok(raised >= 0, "the charging hour raised the step: " + JSON.stringify(steps));
    const from = hours[raised][0];
    const alert = recorder.on(BASE + "/insights/capacity/alert");
    assert.ok(alert.length >= 3, alert.length + " alert messages");
    const on = alert.filter((m) => m.payload === "ON").map((m) => m.at + START);
    assert.ok(on.some((at) => at >= from && at < from + HOUR), "ON during the hour that raised the step");
    assert.equal(alert[alert.length - 1].payload, "OFF");

    // Voltage: per day the minutes out of 207-253 V, the events as they start, the day's minutes all there.
    const minutes = meter.minutes;
    const volts = voltageOf(minutes, 207, 253);
    const day = json("voltage/day").find((d) => d.day === "2026-06-10");
    assert.ok(day, "the summary of 10 June");
    assert.deepEqual([day.minutes, day.minutes_low, day.minutes_high, day.final],
      [[...minutes.keys()].filter((k) => oslo(k * MINUTE).startsWith("2026-06-10")).length,
        volts.lowByDay.get("2026-06-10") || 0, volts.highByDay.get("2026-06-10") || 0, true]);
    assert.deepEqual([day.minutes_low, day.minutes_high], [3, 5], "the profile's sag and swell");
    const started = json("voltage/event").filter((e) => e.end === null);
    assert.equal(started.length, volts.events);
    assert.equal(day.month_events, volts.events);

    // Net: each hour's import less export, and the hours that gave more than they took.
    const nets = json("net");
    assert.deepEqual(nets.map((n) => [n.hour_start, n.net_energy]),
      nets.map((n) => [n.hour_start, Math.round(net.get(n.hour_start as string) as number)]));
    assert.equal(nets.length, hours.length);
    const exported = [...net.entries()].filter((e) => e[1] < 0 && oslo(Date.parse(e[0])).startsWith("2026-06")).length;
    assert.ok(exported > 0, "the panels exported");
    const lastNet = nets.find((n) => n.hour_start === "2026-06-10T21:00:00Z");
    assert.ok(lastNet, "the last hour of 10 June");
    assert.equal(lastNet.export_hours_month, exported);

    // Consistency: each hour's register rise as the meter counted it; none beyond what sampling explains.
    const checked = json("consistency");
    assert.equal(checked.length, hours.length);
    for (const c of checked) {
      const h = hours.find((x) => new Date(x[0]).toISOString().replace(".000Z", "Z") === c.hour_start);
      assert.ok(h, "an hour of the truth: " + c.hour_start);
      assert.deepEqual([c.register_wh, c.flagged], [Math.round(h[1]), false]);
      // Each rounded to the Wh on its own.
      assert.ok(Math.abs((c.integral_wh as number) - (c.register_wh as number) - (c.deviation_wh as number)) <= 1);
      assert.ok(Math.abs(c.deviation_wh as number) <= (c.bound_wh as number), c.hour_start + " within its bound");
    }

    // The net power, on the power topic with the meter's two directions.
    const power = recorder.json(BASE + "/power").filter((p) => p.active_power_export !== undefined);
    assert.ok(power.length > 8000, power.length + " power messages with export");
    assert.deepEqual(power.filter((p) => p.active_power_net !== (p.active_power_import as number) -
      (p.active_power_export as number)), []);
    assert.ok(power.some((p) => (p.active_power_net as number) < 0), "negative while the panels give");

    // Discovery: the insights' entities and the net power's, on the meter's device.
    const configs = recorder.messages.filter((m) => m.topic.startsWith("homeassistant/") && m.payload !== "");
    const alertConfig = configs.find((m) => /\/binary_sensor\/.*\/capacity_alert\/config$/.test(m.topic));
    assert.ok(alertConfig && JSON.parse(alertConfig.payload).stat_t === "~/insights/capacity/alert");
    const netConfig = configs.find((m) => /\/sensor\/.*\/active_power_net\/config$/.test(m.topic));
    assert.ok(netConfig, "an entity for the net power");
    assert.deepEqual([JSON.parse(netConfig.payload).stat_t, JSON.parse(netConfig.payload).unit_of_meas], ["~/power", "W"]);

    // A power cut: the month's top three and its voltage events come back from Storage.
    const before = recorder.messages.length;
    emu.powerCut();
    while (emu.clock.now < END - START) await emu.advance(Math.min(HOUR, END - START - emu.clock.now), 5000);
    await recorder.waitFor(() => json("net").some((n) => n.hour_end === "2026-06-11T01:00:00Z"), "an hour after the cut")
      .catch(() => { /* asserted below */ });
    const after = recorder.messages.slice(before).filter((m) => m.topic === BASE + "/insights/capacity")
      .map((m) => JSON.parse(m.payload));
    assert.ok(after.length > 0, "capacity after the cut");
    assert.deepEqual([1, 2, 3].map((i) => after[0]["top" + i + "_kwh"]), [1, 2, 3].map((i) => last["top" + i + "_kwh"]));
    assert.equal(after[0].step, last.step);
    assert.ok(json("net").some((n) => n.hour_end === "2026-06-11T00:00:00Z"), "the first hour after the cut");
    const voltage = recorder.messages.slice(before).filter((m) => m.topic === BASE + "/insights/voltage");
    assert.ok(voltage.length > 0 && JSON.parse(voltage[0].payload).month_events === volts.events, "month events kept");
    assert.deepEqual(emu.console.uncaught, [], emu.console.text());
    assert.equal(emu.resets.length, 1);
    t.diagnostic("step " + truth.step + " (" + truth.average + " kW), top " + truth.top.map((x) => x.join(" "))
      .join(", ") + "; " + volts.events + " voltage events; " + exported + " export hours; " +
      ((Date.now() - real) / 1000).toFixed(1) + " s real");
  } finally {
    emu.close();
  }
});

test("a feature turned off: nothing of it is published, and its entities' retained configs are removed; with all " +
  "off, no insight at all", { timeout: 60000 }, async function () {
  for (const off of [["capacity"], ["capacity", "voltage", "net", "consistency"]]) {
    const id = "insoff" + off.length;
    const insights: { [feature: string]: boolean } = {};
    for (const f of off) insights[f] = false;
    const from = recorder.messages.length;
    const emu = emulate({
      startMs: START,
      files: { "han.json": deviceConfig(broker().port, id, { insights }),
        "han.serial": JSON.stringify({ baud: 2400, parity: "none" }) },
      source: meterSource({ maker: "kamstrup", phases: 3, wires: 4, country: "NO", seed: 614, startMs: START }),
      serialPollMs: 1000,
    }, recorder);
    try {
      // Past local midnight and the first hour's close: every kind of message but the month's would have come.
      await emu.advance(75 * MINUTE, 5000);
      await recorder.waitFor(() => recorder.messages.slice(from).some((m) => m.topic === "han/" + id + "/diag"), "a diag");
      const mine = recorder.messages.slice(from);
      const kinds = [...new Set(mine.filter((m) => m.topic.startsWith("han/" + id + "/insights/"))
        .map((m) => m.topic.split("/insights/")[1]))].sort();
      assert.deepEqual(kinds.filter((k) => off.includes(k.split("/")[0])), [], "nothing of " + off.join(", "));
      if (off.length === 1) assert.deepEqual(kinds, ["consistency", "net", "voltage", "voltage/day"]);
      // The removals are empty retained configs on the topics of the configs they replace: the meter's device.
      // The meter's own voltage_l1 ... l3 are no insight's.
      const entity = /^homeassistant\/(binary_)?sensor\/[^/]+\/(capacity|voltage|net|consistency)_(?!l[1-3]\/)[a-z_0-9]+\/config$/;
      const removed = mine.filter((m) => entity.test(m.topic) && m.payload === "");
      const announced = mine.filter((m) => entity.test(m.topic) && m.payload !== "");
      const feature = (topic: string) => topic.split("/")[3].split("_")[0];
      assert.ok(removed.some((m) => /\/binary_sensor\/.*\/capacity_alert\/config$/.test(m.topic)), "the alert removed");
      assert.deepEqual([...new Set(removed.map((m) => feature(m.topic)))].sort(), [...off].sort());
      assert.deepEqual([...new Set(announced.map((m) => feature(m.topic)))].sort(),
        ["capacity", "voltage", "net", "consistency"].filter((f) => !off.includes(f)).sort());
      assert.deepEqual(emu.console.uncaught, [], emu.console.text());
    } finally {
      emu.close();
    }
  }
});
