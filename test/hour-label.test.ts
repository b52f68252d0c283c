// The clocks behind the hour labels (lib/publish/hour-label.ts): the EU summer-time rule, held to the Europe/Oslo
// time zone of Node's own time-zone data, and each maker's meter clock read back as the instant it stands for,
// in both seasons and through both changes. The same functions on the real Espruino interpreter give the same.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { euSummerTime, meterTime } from "../lib/publish/hour-label";
import { HanDecoder } from "../lib/han-decoder";
import { Publisher } from "../lib/publish/publisher";
import { MeterSimulator } from "../scripts/sim/meter";
import { FakeClock } from "./support/fake-clock";
import { MemoryStore } from "./support/memory-store";
import type { Reading } from "../lib/reading";
import { makerClock } from "../scripts/sim/layouts";
import { utcMs } from "../scripts/sim/wallclock";
import { bundleForEspruino } from "../scripts/espruino/bundle";
import { listSpec, sampleFrame, reencoded } from "./support/layout-frames";
import { END, RESULT, espruinoMissing, resultOf, runOnEspruino } from "./support/espruino-run";

const HOUR = 3600000;
const MINUTE = 60000;
const YEARS = [2025, 2026, 2027, 2028, 2029, 2030];

/** Europe/Oslo's offset from Node's time-zone data; null when Node was built without it. */
const oslo = ((): Intl.DateTimeFormat | null => {
  try {
    const format = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Oslo", timeZoneName: "shortOffset" });
    return format.formatToParts(0).some((p) => p.value === "GMT+1") ? format : null;
  } catch {
    return null;
  }
})();
if (!oslo) console.warn("hour-label.test.ts: the rule is not compared with Europe/Oslo: Node has no data for that zone");

function osloSummer(ms: number): boolean {
  const zone = oslo!.formatToParts(ms).find((p) => p.type === "timeZoneName")!.value;
  assert.ok(zone === "GMT+1" || zone === "GMT+2", "Europe/Oslo at " + new Date(ms).toISOString() + ": " + zone);
  return zone === "GMT+2";
}

/** The instants at which Europe/Oslo changes offset in a year, to the minute. */
function osloChanges(year: number): number[] {
  const out: number[] = [];
  const end = Date.UTC(year + 1, 0, 1);
  for (let t = Date.UTC(year, 0, 1); t < end; t += HOUR) {
    if (osloSummer(t) === osloSummer(t + HOUR)) continue;
    let m = t;
    while (osloSummer(m) === osloSummer(t)) m += MINUTE;
    out.push(m);
  }
  return out;
}

describe("EU summer time", { skip: oslo ? false : "SKIPPED: Node has no Europe/Oslo time-zone data" }, () => {
  for (const year of YEARS) {
    test(year + ": every hour, and every minute around both changes, as Europe/Oslo has it", () => {
      const changes = osloChanges(year);
      assert.equal(changes.length, 2, "Europe/Oslo changes twice a year");
      const end = Date.UTC(year + 1, 0, 1);
      for (let t = Date.UTC(year, 0, 1); t < end; t += HOUR) {
        assert.equal(euSummerTime(t), osloSummer(t), new Date(t).toISOString());
      }
      for (const change of changes) {
        for (let t = change - 2 * HOUR; t <= change + 2 * HOUR; t += MINUTE) {
          assert.equal(euSummerTime(t), osloSummer(t), new Date(t).toISOString());
        }
        assert.notEqual(euSummerTime(change - 1), euSummerTime(change),
          "the change falls on " + new Date(change).toISOString());
      }
    });
  }
});

/** The clock conventions the makers use (scripts/sim/layouts.ts, makerClock): Aidon's local time with deviation
 *  0, Kaifa's with none, Kamstrup's with the daylight-saving bit, Swedish Aidon's with nothing specified, Swedish
 *  Kaifa's normal time with deviation -60, and the Austrian meters' full deviation. */
const CLOCKS = [listSpec("aidon", 3, 4, 3, "NO"), listSpec("kaifa", 3, 4, 3, "NO"), listSpec("kamstrup", 3, 4, 3, "NO"),
  listSpec("aidon", 3, 4, "se", "SE"), listSpec("kaifa", 3, 4, "se", "SE"), listSpec("generic", 3, 4, 3, "AT")];

/** A reading whose meter clock reads the instant `utc` the maker's way, through a frame and the decoder. */
function readingAt(spec: ReturnType<typeof listSpec>, utc: number): Reading {
  const sample = reencoded(sampleFrame(spec, 3), (input) => { input.clock = makerClock(input, utc); });
  let out: Reading | null = null;
  new HanDecoder({ onReading: (r) => { out = r; }, scaling: { country: spec.country } }).push(sample.frame);
  assert.ok(out && (out as Reading).clock, spec.maker + " " + spec.list + ": no meter clock");
  return out;
}

/** Winter and summer days, and every 10 minutes of both change nights of 2026 (29 March, 25 October). */
const INSTANTS: number[] = [utcMs(2026, 1, 21, 9, 41, 17), utcMs(2026, 7, 21, 9, 41, 17), utcMs(2026, 12, 31, 23, 30, 0)];
for (const night of [utcMs(2026, 3, 28, 22, 0, 0), utcMs(2026, 10, 24, 22, 0, 0)]) {
  for (let t = night; t <= night + 6 * HOUR; t += 10 * MINUTE) INSTANTS.push(t + 5000);
}

describe("the meter's clock as an instant", () => {
  for (const spec of CLOCKS) {
    test(spec.maker + " " + spec.list + " " + spec.country + ": the instant it was sent, in both seasons and through " +
      "both changes", () => {
      for (const t of INSTANTS) {
        const r = readingAt(spec, t);
        assert.equal(meterTime(r, t + 20 * MINUTE), t, r.clock!.local + " near the truth");
      }
    });
  }

  test("October's repeated hour is the one nearer the device's reckoning, the first of the two without one", () => {
    const kaifa = listSpec("kaifa", 3, 4, 3, "NO");
    const first = utcMs(2026, 10, 25, 0, 30, 0);
    const second = first + HOUR;
    const a = readingAt(kaifa, first);
    const b = readingAt(kaifa, second);
    assert.equal(a.clock!.local, b.clock!.local, "the same wall time twice");
    assert.equal(meterTime(a, first - 25 * MINUTE), first);
    assert.equal(meterTime(b, second + 25 * MINUTE), second);
    assert.equal(meterTime(b, NaN), first);
  });

  test("no time from a clock with unspecified fields, or none", () => {
    const r = readingAt(listSpec("kaifa", 3, 4, 3, "NO"), INSTANTS[0]);
    assert.ok(Number.isNaN(meterTime({ ...r, clock: { ...r.clock!, local: "2026-01-21T??:41:17" } }, NaN)));
    assert.ok(Number.isNaN(meterTime({ ...r, clock: null }, NaN)));
  });
});

const missing = espruinoMissing("hour-label.test.ts");

/** 01:00 UTC on the last Sunday of a month (1-12), by Node's Date: when EU summer time begins or ends. */
function euChange(year: number, month: number): number {
  const last = new Date(Date.UTC(year, month, 0));
  return Date.UTC(year, month - 1, last.getUTCDate() - last.getUTCDay(), 1);
}

test("the real interpreter finds the same seasons and meter instants", { skip: missing ? "SKIPPED: " + missing : false },
  async () => {
    const seconds: number[] = [];
    for (const year of YEARS) {
      for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 241 * HOUR) seconds.push(t / 1000);
      for (const change of [euChange(year, 3), euChange(year, 10)]) {
        for (const minutes of [-61, -1, 0, 1, 59]) seconds.push((change + minutes * MINUTE) / 1000);
      }
    }
    // Every third instant (the interpreter holds the script and its data in its 12,000 variables), and the second
    // of October's two 02:30 with nothing to tell it by.
    const clocks: { local: string; deviation: number | null; near: number | null }[] = CLOCKS.flatMap((spec) =>
      INSTANTS.filter((_, i) => i % 3 === 0).map((t) => {
        const c = readingAt(spec, t).clock!;
        return { local: c.local, deviation: c.deviation, near: t / 1000 + 1200 };
      }));
    const repeated = readingAt(CLOCKS[1], utcMs(2026, 10, 25, 1, 30, 0)).clock!;
    clocks.push({ local: repeated.local, deviation: repeated.deviation, near: null });
    const entry = fileURLToPath(new URL("./support/hour-label-entry.ts", import.meta.url));
    const code = bundleForEspruino(entry) + "var secs=" + JSON.stringify(seconds) + ";var clocks=" +
      JSON.stringify(clocks) + ";print(" + JSON.stringify(RESULT) + "+JSON.stringify({" +
      "summer:secs.map(function(s){return __hours.euSummerTime(s*1000);})," +
      "meter:clocks.map(function(c){return __hours.meterTime({clock:c},c.near===null?NaN:c.near*1000)/1000;})}));" +
      "print(" + JSON.stringify(END) + ");";
    const got = resultOf(await runOnEspruino(code, 120000)) as { summer: boolean[]; meter: number[] };
    assert.deepEqual(got.summer, seconds.map((s) => euSummerTime(s * 1000)));
    const want = clocks.map((c) => meterTime({ clock: c } as unknown as Reading, c.near === null ? NaN : c.near * 1000));
    assert.deepEqual(got.meter, want.map((ms) => ms / 1000));
    assert.ok(want.every((ms) => Number.isInteger(ms)), "every clock read");
    assert.equal(want[want.length - 1], utcMs(2026, 10, 25, 0, 30, 0), "the first 02:30 without a reckoning");
  });

test("registers in every message (Danish Kamstrup), the device restarted in the hour's first 30 s, some after the " +
  "hour was published: each hour is published once", () => {
  const HOUR_MS = 3600000;
  const from = Date.UTC(2026, 5, 15, 9, 58);
  const clock = new FakeClock();
  clock.advance(from);
  const store = new MemoryStore();
  const labels: string[] = [];
  const sink = { publish: (topic: string, payload: string) => {
    if (topic.endsWith("/energy")) labels.push(JSON.parse(payload).hour_end);
    return true;
  } };
  const start = () => {
    const publisher = new Publisher(sink, { base: "han/d", deviceId: "d", firmwareVersion: "0", perValueTopics: false,
      rawTopic: false, discovery: false, discoveryPrefix: "homeassistant", discoveryInterval: 200, maxPower: 50000,
      clock, store });
    return new HanDecoder({ onReading: (r) => publisher.reading(r), scaling: { country: "DK" } });
  };
  // 10:00:15 and 11:00:25 after the hour's register went out at xx:00:00; 12:00:00.5 before it.
  const restarts = [Date.UTC(2026, 5, 15, 10, 0, 15), Date.UTC(2026, 5, 15, 11, 0, 25),
    Date.UTC(2026, 5, 15, 12, 0, 0, 500)];
  let decoder = start();
  for (const f of new MeterSimulator({ maker: "kamstrup", country: "DK", lists: "dk", phases: 3, wires: 4, seed: 3,
    startMs: from }).advanceTo(from + 3 * HOUR_MS)) {
    const at = f.sentAt + Math.ceil(f.bytes.length * 10000 / 2400);
    if (restarts.length > 0 && restarts[0] <= at) {
      clock.advance(restarts.shift()! - clock.now());
      decoder = start();
    }
    clock.advance(at - clock.now());
    decoder.push(f.bytes);
  }
  assert.deepEqual(labels, ["2026-06-15T10:00:00Z", "2026-06-15T11:00:00Z", "2026-06-15T12:00:00Z"]);
});
