// The simulated meter over whole days: each maker's cadence (han-spec.md 1.7), the hourly list at its second,
// energy registers that only grow and agree with the power, a daily load curve, and determinism.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MeterSimulator, MeterOptions, SentFrame } from "../scripts/sim/meter";
import { expectedReading, encodeFrame } from "../scripts/sim/layouts";
import { utcMs } from "../scripts/sim/wallclock";
import { crc16x25 } from "../lib/crc16";

const DAY = 86400000;
const HOUR = 3600000;
/** A winter Monday, 00:00 Norwegian time. */
const START = utcMs(2024, 1, 14, 23, 0, 0);

function day(options: Partial<MeterOptions>): SentFrame[] {
  const o: MeterOptions = Object.assign({ maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 7, startMs: START },
    options);
  return new MeterSimulator(o).advanceTo(o.startMs + DAY - 1);
}

/** Where the HCS starts: after flag, format, both addresses (their last byte has LSB 1) and control. */
function headerEnd(frame: Uint8Array): number {
  let pos = 3;
  while ((frame[pos] & 1) === 0) pos++;
  pos++;
  while ((frame[pos] & 1) === 0) pos++;
  return pos + 2;
}

function count(frames: SentFrame[], list: SentFrame["list"]): number {
  return frames.filter(function (f) { return f.list === list; }).length;
}

const DAYS: { [maker: string]: SentFrame[] } = {
  aidon: day({ maker: "aidon" }),
  kaifa: day({ maker: "kaifa", wires: 3 }),
  kamstrup: day({ maker: "kamstrup", phases: 1 }),
};

test("Aidon: list 1 every 2.5 s, list 2 every 10 s, list 3 at xx:00:10 in place of that list 2", function () {
  const f = DAYS.aidon;
  assert.equal(count(f, 1), DAY / 2500);
  assert.equal(count(f, 2), DAY / 10000 - 24);
  assert.equal(count(f, 3), 24);
  const list1 = f.filter(function (x) { return x.list === 1; });
  for (let i = 1; i < list1.length; i++) assert.equal(list1[i].dueAt - list1[i - 1].dueAt, 2500);
  assert.equal(f.filter(function (x) { return x.list === 2 && x.dueAt % HOUR === 10000; }).length, 0);
});

test("Kaifa: list 1 every 2 s, list 2 every 10 s, list 3 at xx:00:10 in place of that list 2", function () {
  const f = DAYS.kaifa;
  assert.equal(count(f, 1), DAY / 2000);
  assert.equal(count(f, 2), DAY / 10000 - 24);
  assert.equal(count(f, 3), 24);
});

test("Kamstrup: its 10-s list at hh:mm:x0 and its hourly list at xx:00:05, nothing else", function () {
  const f = DAYS.kamstrup;
  assert.equal(count(f, 2), DAY / 10000);
  assert.equal(count(f, 3), 24);
  assert.equal(f.length, DAY / 10000 + 24);
  f.filter(function (x) { return x.list === 2; }).forEach(function (x) { assert.equal(x.dueAt % 10000, 0); });
});

test("exactly one hourly list per hour, each at its maker's second, carrying its clock", function () {
  const second: { [maker: string]: number } = { aidon: 10, kaifa: 10, kamstrup: 5 };
  for (const maker of Object.keys(DAYS)) {
    const hourly = DAYS[maker].filter(function (x) { return x.list === 3; });
    hourly.forEach(function (x, i) {
      assert.equal(x.dueAt, START + i * HOUR + second[maker] * 1000, maker + " hour " + i);
      assert.equal(Math.floor(x.sentAt / 1000) % 60, second[maker], maker + " sent second");
      const clock = x.input.clock;
      assert.equal(clock.hour, i, maker + " local hour");
      // Aidon's clock register names the hour the values were frozen at; Kaifa and Kamstrup name the send time.
      assert.equal(clock.second, maker === "aidon" ? 0 : second[maker], maker + " clock second");
    });
  }
});

test("frames never overlap on the 2400-baud line and every one carries valid HCS and FCS", function () {
  for (const maker of Object.keys(DAYS)) {
    const f = DAYS[maker];
    const bitsPerByte = maker === "kamstrup" ? 10 : 11;
    for (let i = 0; i < f.length; i++) {
      const b = f[i].bytes;
      assert.ok(f[i].sentAt >= f[i].dueAt);
      if (i > 0) assert.ok(f[i].sentAt >= f[i - 1].sentAt + f[i - 1].bytes.length * bitsPerByte * 1000 / 2400);
      if (i % 97 !== 0) continue;
      const hcsEnd = headerEnd(b);
      assert.equal(b[hcsEnd] | (b[hcsEnd + 1] << 8), crc16x25(b, 1, hcsEnd), maker + " HCS");
      assert.equal(b[b.length - 3] | (b[b.length - 2] << 8), crc16x25(b, 1, b.length - 3), maker + " FCS");
      assert.deepEqual(encodeFrame(f[i].input), b);
    }
  }
});

test("energy registers never decrease, and the hourly steps match the power integrated in between", function () {
  for (const maker of Object.keys(DAYS)) {
    const f = DAYS[maker];
    const hourly = f.filter(function (x) { return x.list === 3; }).map(function (x) { return expectedReading(x.input); });
    for (const key of ["active_energy_import", "active_energy_export", "reactive_energy_import",
      "reactive_energy_export"]) {
      for (let i = 1; i < hourly.length; i++) {
        assert.ok(hourly[i].values[key] >= hourly[i - 1].values[key], maker + " " + key);
      }
    }
    let unrounded = -1;
    f.forEach(function (x) {
      const a = x.input.values.active_energy_import;
      if (a === undefined) return;
      assert.ok(a >= unrounded, maker + " unrounded register went down");
      unrounded = a;
    });
    // Energy between the 01:00 and 23:00 registers against the 10-s powers in that span (rectangle rule).
    const from = START + HOUR, to = START + 23 * HOUR;
    let wh = 0;
    f.forEach(function (x) {
      if (x.dueAt < from || x.dueAt >= to || x.dueAt % 10000 !== 0 || x.list === 1) return;
      wh += x.input.values.active_power_import * 10 / 3600;
    });
    const registered = hourly[23].values.active_energy_import - hourly[1].values.active_energy_import;
    assert.ok(Math.abs(registered - wh) < 0.01 * wh + 20,
      maker + ": " + registered + " Wh registered, " + wh + " Wh integrated");
  }
});

test("the load follows a daily curve: evening peak well above the night, voltages near 230 V", function () {
  const f = DAYS.aidon;
  const mean = function (fromHour: number, toHour: number): number {
    const sel = f.filter(function (x) {
      return x.list === 1 && x.dueAt >= START + fromHour * HOUR && x.dueAt < START + toHour * HOUR;
    });
    return sel.reduce(function (s, x) { return s + x.input.values.active_power_import; }, 0) / sel.length;
  };
  const night = mean(2, 5), morning = mean(6.5, 8), evening = mean(17, 20);
  assert.ok(night > 100 && night < 800, "night " + night);
  assert.ok(morning > 2 * night, "morning " + morning + " vs night " + night);
  assert.ok(evening > 3 * night, "evening " + evening + " vs night " + night);
  f.filter(function (x) { return x.list === 2; }).forEach(function (x) {
    const v = x.input.values;
    for (const k of ["voltage_l1", "voltage_l2", "voltage_l3"]) assert.ok(v[k] > 218 && v[k] < 242, k + " " + v[k]);
  });
});

test("the same seed gives the same bytes however time is advanced; another seed does not", function () {
  const o: MeterOptions = { maker: "kaifa", phases: 3, wires: 4, country: "NO", seed: 42, startMs: START + 1234 };
  const whole = new MeterSimulator(o).advanceTo(START + 2 * HOUR);
  const stepped = new MeterSimulator(o);
  let pieces: SentFrame[] = [];
  for (let t = START; t <= START + 2 * HOUR; t += 777) pieces = pieces.concat(stepped.advanceTo(t));
  pieces = pieces.concat(stepped.advanceTo(START + 2 * HOUR));
  assert.equal(pieces.length, whole.length);
  for (let i = 0; i < whole.length; i++) {
    assert.equal(pieces[i].sentAt, whole[i].sentAt);
    assert.deepEqual(pieces[i].bytes, whole[i].bytes);
  }
  const other = new MeterSimulator(Object.assign({}, o, { seed: 43 })).advanceTo(START + 2 * HOUR);
  assert.notDeepEqual(other[other.length - 1].bytes, whole[whole.length - 1].bytes);
  assert.ok(whole[0].dueAt >= START + 1234, "nothing is sent before the start");
});

test("a solar plant exports at midday: export register grows and Aidon's currents turn negative", function () {
  const summer = utcMs(2024, 6, 20, 22, 0, 0);
  const frames = new MeterSimulator({ maker: "aidon", phases: 1, wires: 4, country: "NO", seed: 3, startMs: summer,
    solarPeakW: 8000 }).advanceTo(summer + DAY - 1);
  const noon = frames.filter(function (x) {
    const h = x.input.clock.hour as number;
    return x.list === 2 && h >= 11 && h < 14;
  });
  assert.ok(noon.every(function (x) { return x.input.values.active_power_export > 0 && x.input.values.current_l1 < 0; }));
  const hourly = frames.filter(function (x) { return x.list === 3; });
  assert.ok(hourly[23].input.values.active_energy_export - hourly[0].input.values.active_energy_export > 10000);
});

test("Kamstrup's clock sets the daylight-saving bit in summer; every UTC hour still has one hourly list", function () {
  // The night of the change to summer time in 2024 (31 March, 01:00 UTC).
  const from = utcMs(2024, 3, 30, 23, 0, 0);
  const frames = new MeterSimulator({ maker: "kamstrup", phases: 3, wires: 4, country: "NO", seed: 1, startMs: from })
    .advanceTo(from + 4 * HOUR - 1);
  const hourly = frames.filter(function (x) { return x.list === 3; }).map(function (x) { return x.input.clock; });
  assert.deepEqual(hourly.map(function (c) { return c.hour; }), [0, 1, 3, 4]);
  assert.deepEqual(hourly.map(function (c) { return c.status; }), [0, 0, 0x80, 0x80]);
  assert.ok(hourly.every(function (c) { return c.deviation === null; }));
});

test("the Swedish and Danish lists and the Austrian meter keep their own cadence", function () {
  const span = 10 * 60000;
  const run = function (o: Partial<MeterOptions>): SentFrame[] {
    const full: MeterOptions = Object.assign({ maker: "aidon", phases: 3, wires: 4, country: "SE", seed: 2,
      startMs: START }, o);
    return new MeterSimulator(full).advanceTo(START + span - 1);
  };
  const se = run({ maker: "aidon", lists: "se" });
  assert.equal(se.length, span / 10000);
  assert.ok(se.every(function (x) { return x.list === "se" && x.bytes.length === 581; }));
  const kaifaSe = run({ maker: "kaifa", lists: "se" });
  assert.ok(kaifaSe.every(function (x) { return x.dueAt % 10000 === 5000 && x.input.clock.deviation === -60; }));
  const dk = run({ maker: "kamstrup", country: "DK", lists: "dk" });
  assert.equal(dk.length, span / 10000);
  assert.equal(expectedReading(dk[0].input).list, "other");
  const at = run({ maker: "generic", country: "AT" });
  assert.equal(at.length, span / 5000);
  assert.equal((at[1].input.invokeId || 0) - (at[0].input.invokeId || 0), 1);
  assert.throws(function () { run({ maker: "kamstrup", country: "NO", lists: "se" }); }, /unsupported list/);
});
