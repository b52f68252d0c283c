// The simulator's helpers: wall-clock time (checked against the platform's time-zone data), the makers' clock
// conventions, the seeded random source and the random list inputs for property tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import { civilTime, utcMs, isEuSummerTime, cetOffsetMinutes } from "../scripts/sim/wallclock";
import { createRng, randomInt } from "../scripts/sim/random";
import { randomReading } from "../scripts/sim/random-reading";
import { encodeFrame, expectedReading, makerClock, supportedSpecs, listObjects, valueFormat, quantize, fromRaw } from
  "../scripts/sim/layouts";

/** Minutes east of UTC in Oslo at an instant, from the platform's time-zone database. */
function osloOffset(ms: number): number {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Oslo", timeZoneName: "longOffset" })
    .formatToParts(new Date(ms));
  const name = parts.find(function (p) { return p.type === "timeZoneName"; })!.value; // "GMT+01:00"
  const m = /GMT([+-])(\d\d):(\d\d)/.exec(name)!;
  return (m[1] === "-" ? -1 : 1) * (parseInt(m[2], 10) * 60 + parseInt(m[3], 10));
}

test("civil time and its inverse agree with Date over two centuries", function () {
  const rng = createRng(11);
  for (let i = 0; i < 2000; i++) {
    const ms = Math.floor((rng() * 200 - 70) * 365.25 * 86400000);
    const t = civilTime(ms, 0);
    const d = new Date(ms);
    assert.deepEqual([t.year, t.month, t.day, t.hour, t.minute, t.second, t.hundredths],
      [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(),
        Math.floor(d.getUTCMilliseconds() / 10)]);
    assert.equal(t.weekday, d.getUTCDay() === 0 ? 7 : d.getUTCDay());
    assert.equal(utcMs(t.year, t.month, t.day, t.hour, t.minute, t.second), ms - (ms % 1000 + 1000) % 1000);
  }
});

test("EU summer time starts and ends at 01:00 UTC on the last Sundays of March and October", function () {
  assert.equal(isEuSummerTime(utcMs(2024, 3, 31, 0, 59, 59)), false);
  assert.equal(isEuSummerTime(utcMs(2024, 3, 31, 1, 0, 0)), true);
  assert.equal(isEuSummerTime(utcMs(2024, 10, 27, 0, 59, 59)), true);
  assert.equal(isEuSummerTime(utcMs(2024, 10, 27, 1, 0, 0)), false);
  const rng = createRng(5);
  for (let i = 0; i < 500; i++) {
    const ms = utcMs(1997, 1, 1, 0, 0, 0) + Math.floor(rng() * 90 * 365.25 * 86400) * 1000;
    assert.equal(cetOffsetMinutes(ms), osloOffset(ms), new Date(ms).toISOString());
  }
});

test("each maker fills the clock its own way", function () {
  const summerNoon = utcMs(2024, 7, 1, 10, 0, 0);
  const winterNoon = utcMs(2024, 1, 15, 11, 0, 0);
  const s = function (maker: "aidon" | "kaifa" | "kamstrup" | "generic", list: 1 | 2 | 3 | "se", country: string) {
    return { maker: maker, phases: 3 as const, wires: 4 as const, list: list, country: country };
  };
  assert.deepEqual(makerClock(s("aidon", 3, "NO"), summerNoon), { year: 2024, month: 7, day: 1, weekday: 1, hour: 12,
    minute: 0, second: 0, hundredths: null, deviation: 0, status: 0 });
  const aidonSe = makerClock(s("aidon", "se", "SE"), winterNoon);
  assert.deepEqual([aidonSe.hour, aidonSe.deviation, aidonSe.status], [12, null, null]);
  const kamstrup = makerClock(s("kamstrup", 2, "NO"), summerNoon);
  assert.deepEqual([kamstrup.hour, kamstrup.deviation, kamstrup.status], [12, null, 0x80]);
  assert.equal(makerClock(s("kamstrup", 2, "NO"), winterNoon).status, 0);
  const kaifa = makerClock(s("kaifa", 2, "NO"), summerNoon);
  assert.deepEqual([kaifa.hour, kaifa.deviation, kaifa.status], [12, null, 0]);
  // Swedish OBIS-coded Kaifa: normal time all year, deviation -60 (kaifa-se-MA304H4-obis, in October).
  const kaifaSe = makerClock(s("kaifa", "se", "SE"), summerNoon);
  assert.deepEqual([kaifaSe.hour, kaifaSe.deviation, kaifaSe.status], [11, -60, 0]);
  const evn = makerClock(s("generic", 3, "AT"), summerNoon + 470);
  assert.deepEqual([evn.hour, evn.hundredths, evn.deviation, evn.status], [12, 47, -120, 0x80]);
});

test("the random source repeats per seed, stays in [0, 1) and spreads evenly", function () {
  const a = createRng(99), b = createRng(99), c = createRng(100);
  const xs: number[] = [];
  for (let i = 0; i < 10000; i++) {
    const x = a();
    assert.equal(x, b());
    assert.ok(x >= 0 && x < 1);
    xs.push(x);
  }
  assert.notEqual(c(), createRng(99)());
  const mean = xs.reduce(function (s, x) { return s + x; }, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, "mean " + mean);
  const buckets = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  xs.forEach(function (x) { buckets[Math.floor(x * 10)]++; });
  assert.ok(buckets.every(function (n) { return n > 850 && n < 1150; }), buckets.join(","));
  const r = createRng(0);
  const seen: { [n: number]: boolean } = {};
  for (let i = 0; i < 200; i++) seen[randomInt(r, 3, 6)] = true;
  assert.deepEqual(Object.keys(seen).map(Number).sort(), [3, 4, 5, 6]);
});

test("random readings encode for every supported list, land on the grid, and reach the type limits", function () {
  const specs = supportedSpecs();
  let atLimit = 0, offGrid = 0;
  for (let s = 0; s < specs.length; s++) {
    const rng = createRng(1000 + s);
    for (let n = 0; n < 40; n++) {
      const input = randomReading(rng, specs[s]);
      const frame = encodeFrame(input);
      assert.equal(frame[0], 0x7e);
      const e = expectedReading(input);
      for (const cde of listObjects(specs[s])) {
        const v = valueFormat(specs[s], cde);
        if (!(v.key in e.values)) continue;
        const got = e.values[v.key], sent = input.values[v.key], step = fromRaw(1, v.format.scaler);
        const raw = quantize(got, v.format.scaler);
        assert.equal(fromRaw(raw, v.format.scaler), got, "on the grid");
        // Objects a 3-wire meter sends as 0 are the only ones allowed to differ by more than half a step.
        if (!(got === 0 && Math.abs(sent) > step)) {
          assert.ok(Math.abs(sent - got) <= step / 2 + 1e-9 * Math.abs(got), v.key + ": " + sent + " -> " + got);
        }
        if (raw === 4294967295 || raw === 65535 || raw === -32768 || raw === 32767 || raw === 9007199254740991) atLimit++;
        if (input.values[v.key] !== e.values[v.key]) offGrid++;
      }
    }
  }
  assert.ok(atLimit > 100, "values at the type limits: " + atLimit);
  assert.ok(offGrid > 1000, "values off the grid: " + offGrid);
});
