// The live energy registers (docs/mqtt.md, Energy booked to its hour) over a simulated day per maker: what Home
// Assistant books into each hour from them, against the simulator's own registers at each hour boundary (the
// unrounded totals it encoded, not anything the device computed); how far they run ahead of the meter's next
// register; that they never go down, also across restarts. The figures are printed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Publisher } from "../lib/publish/publisher";
import { HanDecoder } from "../lib/han-decoder";
import { FakeClock } from "./support/fake-clock";
import { MemoryStore } from "./support/memory-store";
import { createRng } from "../scripts/sim/random";
import { MeterSimulator, MeterOptions, SentFrame } from "../scripts/sim/meter";

const HOUR = 3600000;
const DIRECTIONS = ["import", "export"] as const;

interface Kind {
  name: string;
  meter: Pick<MeterOptions, "maker" | "country" | "lists">;
  /** The hour boundary whose unrounded registers a frame carries, or null. */
  truthAt: (f: SentFrame) => number | null;
}

/** Hourly lists carry the registers frozen at the hour; lists with registers in every message, due at the hour,
 *  carry them at that instant. */
const hourly = (f: SentFrame) => f.list === 3 ? Math.floor(f.dueAt / HOUR) * HOUR : null;
const atTheHour = (f: SentFrame) => f.dueAt % HOUR === 0 ? f.dueAt : null;
const KINDS: Kind[] = [
  { name: "Aidon NO", meter: { maker: "aidon", country: "NO" }, truthAt: hourly },
  { name: "Kaifa NO", meter: { maker: "kaifa", country: "NO" }, truthAt: hourly },
  { name: "Kamstrup NO", meter: { maker: "kamstrup", country: "NO" }, truthAt: hourly },
  { name: "Aidon SE", meter: { maker: "aidon", country: "SE", lists: "se" }, truthAt: atTheHour },
  { name: "Kamstrup DK", meter: { maker: "kamstrup", country: "DK", lists: "dk" }, truthAt: atTheHour },
  { name: "Austrian", meter: { maker: "generic", country: "AT" }, truthAt: atTheHour },
];

interface Published { at: number; payload: { [key: string]: number | string } }

/** A day of a meter with a solar plant (so that both directions move), from `from` for `hours` hours, through
 *  the decoder and the publisher, with the device restarted at each of `restarts` (UTC ms). */
function run(kind: Kind, from: number, hours: number, restarts: number[] = []) {
  const clock = new FakeClock();
  clock.advance(from);
  const store = new MemoryStore();
  const power: Published[] = [];
  const energy: Published[] = [];
  const sink = { publish: (topic: string, payload: string) => {
    const to = topic.endsWith("/power") ? power : topic.endsWith("/energy") ? energy : null;
    if (to) to.push({ at: clock.now(), payload: JSON.parse(payload) });
    return true;
  } };
  const start = () => {
    const publisher = new Publisher(sink, { base: "han/d", deviceId: "d", firmwareVersion: "0", perValueTopics: false,
      rawTopic: false, discovery: false, discoveryPrefix: "homeassistant", discoveryInterval: 200, maxPower: 50000,
      clock, store });
    return new HanDecoder({ onReading: (r) => publisher.reading(r), scaling: { country: kind.meter.country } });
  };
  let decoder = start();
  const pendingRestarts = [...restarts];
  const frames = new MeterSimulator({ phases: 3, wires: 4, seed: 21, startMs: from, solarPeakW: 4000, ...kind.meter })
    .advanceTo(from + hours * HOUR);
  const truth = new Map<number, { [key: string]: number }>();
  for (const f of frames) {
    const boundary = kind.truthAt(f);
    if (boundary !== null && f.input.values.active_energy_import !== undefined) truth.set(boundary, f.input.values);
    // Published when its last byte is in, by a device whose clock SNTP has set.
    const at = f.sentAt + Math.ceil(f.bytes.length * 11000 / 2400);
    if (pendingRestarts.length > 0 && pendingRestarts[0] <= at) {
      clock.advance(pendingRestarts.shift()! - clock.now());
      decoder = start();
    }
    clock.advance(at - clock.now());
    decoder.push(f.bytes);
  }
  return { power, energy, truth };
}

interface Figures {
  /** Energy Home Assistant books into the hour it was used, of all energy, over the hours measured. */
  share: number;
  /** The same for the hour that fared worst. */
  worstHour: number;
  /** What the meter's registers alone give: each arrives after its hour, and is booked into the next. */
  registersAlone: number;
  /** Largest amount (Wh) a live value stood above the meter's register that closes its hour. */
  ahead: number;
  /** Largest amount (Wh) the last live value of an hour stood below that register: what the next hour books of it. */
  behind: number;
  /** Live values lower than the one before. */
  decreases: number;
  hours: number;
}

/** What Home Assistant makes of the published values for one direction: a total_increasing entity's hourly
 *  statistic is the change of its last state before each hour boundary. Computed from the messages and the
 *  simulator's registers only. */
function figures(r: ReturnType<typeof run>, direction: typeof DIRECTIONS[number], first: number, last: number): Figures {
  const liveKey = "active_energy_" + direction + "_live";
  const registerKey = "active_energy_" + direction;
  const live = r.power.filter((p) => typeof p.payload[liveKey] === "number")
    .map((p) => ({ at: p.at, wh: p.payload[liveKey] as number }));
  let decreases = 0;
  for (let i = 1; i < live.length; i++) if (live[i].wh < live[i - 1].wh) decreases++;
  const lastBefore = (series: { at: number; wh: number }[], t: number) => {
    let v: number | undefined;
    for (const s of series) if (s.at < t) v = s.wh;
    return v;
  };
  const registers = r.energy.filter((e) => typeof e.payload[registerKey] === "number")
    .map((e) => ({ at: e.at, wh: e.payload[registerKey] as number, end: Date.parse(e.payload.hour_end as string) }));
  let right = 0, all = 0, worstHour = 1, rightAlone = 0, ahead = -Infinity, behind = -Infinity, hours = 0;
  for (let h = first; h < last; h += HOUR) {
    const t0 = r.truth.get(h), t1 = r.truth.get(h + HOUR);
    assert.ok(t0 && t1, "the simulator's registers at " + new Date(h).toISOString());
    const used = t1[registerKey] - t0[registerKey];
    const l0 = lastBefore(live, h), l1 = lastBefore(live, h + HOUR);
    assert.ok(l0 !== undefined && l1 !== undefined, "a live value before " + new Date(h).toISOString());
    const booked = l1 - l0;
    const alone = (lastBefore(registers, h + HOUR) ?? 0) - (lastBefore(registers, h) ?? 0);
    right += Math.min(booked, used);
    rightAlone += Math.max(0, Math.min(alone, used));
    all += used;
    // Hours of a few Wh (export at night) say nothing in shares.
    if (used > 50) worstHour = Math.min(worstHour, Math.min(booked, used) / used);
    const next = registers.find((x) => x.end === h + HOUR);
    assert.ok(next, "the register closing " + new Date(h + HOUR).toISOString());
    for (const l of live) if (l.at >= h && l.at < h + HOUR) ahead = Math.max(ahead, l.wh - next.wh);
    behind = Math.max(behind, next.wh - l1);
    hours++;
  }
  return { share: right / all, worstHour, registersAlone: rightAlone / all, ahead, behind, decreases, hours };
}

const pct = (x: number) => (100 * x).toFixed(2) + " %";

test("over a day per maker Home Assistant books at least 99 % of each direction's energy into the hour it was " +
  "used; the live registers never go down, nor run more than 30 Wh ahead of the meter's next register", () => {
  // From 22:58 the day before: the 23:00 registers anchor the live ones before the first hour measured.
  const from = Date.UTC(2026, 5, 14, 22, 58);
  const first = Date.UTC(2026, 5, 15);
  for (const kind of KINDS) {
    const r = run(kind, from, 25.2);
    for (const direction of DIRECTIONS) {
      const f = figures(r, direction, first, first + 24 * HOUR);
      console.log("live-energy: " + kind.name + " " + direction + ": " + pct(f.share) + " booked to its hour over " +
        f.hours + " h (worst hour " + pct(f.worstHour) + "; the registers alone " + pct(f.registersAlone) + "), at most " +
        f.ahead.toFixed(0) + " Wh above the next register, at the hour's end at most " + f.behind.toFixed(0) +
        " Wh below it, " + f.decreases + " decreases");
      const what = kind.name + " " + direction;
      assert.equal(f.decreases, 0, what);
      assert.ok(f.share >= 0.99, what + ": " + pct(f.share));
      assert.ok(f.ahead <= 30, what + ": " + f.ahead + " Wh ahead");
      assert.ok(f.share > f.registersAlone, what);
    }
  }
});

test("restarts at random moments, the hour's first seconds among them: the live registers never go down", () => {
  const from = Date.UTC(2026, 5, 14, 22, 58);
  const rng = createRng(5);
  // One in each hour from 01:00 to 10:00, and at 06:00:00 and 08:00:10, the second an hourly list comes.
  const restarts = Array.from({ length: 10 }, (_, i) => Date.UTC(2026, 5, 15, 1 + i) + Math.floor(rng() * HOUR))
    .concat([Date.UTC(2026, 5, 15, 6), Date.UTC(2026, 5, 15, 8, 0, 10)]).sort((a, b) => a - b);
  for (const kind of [KINDS[0], KINDS[2], KINDS[5]]) {
    const r = run(kind, from, 13.2, restarts);
    for (const direction of DIRECTIONS) {
      const f = figures(r, direction, Date.UTC(2026, 5, 15), Date.UTC(2026, 5, 15, 12));
      console.log("live-energy: " + kind.name + " " + direction + " with " + restarts.length + " restarts: " +
        pct(f.share) + " booked to its hour, " + f.decreases + " decreases, at most " + f.ahead.toFixed(0) +
        " Wh above the next register");
      assert.equal(f.decreases, 0, kind.name + " " + direction);
    }
  }
});
