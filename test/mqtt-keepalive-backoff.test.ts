// Keep-alive and reconnect backoff against a fake clock.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Backoff } from "../lib/mqtt/backoff";
import { KeepAlive } from "../lib/mqtt/keepalive";
import { FakeClock } from "./support/fake-clock";

const K = 60000;

function setup(): { clock: FakeClock; ka: KeepAlive; pings: number[]; deaths: number[] } {
  const clock = new FakeClock();
  const pings: number[] = [];
  const deaths: number[] = [];
  const ka: KeepAlive = new KeepAlive(clock, K, () => {
    pings.push(clock.now());
    ka.sent();
  }, () => deaths.push(clock.now()));
  return { clock, ka, pings, deaths };
}

test("keep-alive: a silent broker is declared dead after more than K and at most 1.5 K", () => {
  const { clock, ka, pings, deaths } = setup();
  ka.start();
  clock.advance(10 * K);
  assert.deepEqual(pings, [K]);
  assert.deepEqual(deaths, [1.5 * K]);
  assert.equal(clock.pending(), 0, "no timer left after the death");
});

test("keep-alive: dead within 1.5 K of the last packet received, wherever it fell between ticks", () => {
  for (const offset of [1, 7000, 29999, 30000, 45000, 59999]) {
    const { clock, ka, deaths } = setup();
    ka.start();
    clock.advance(offset);
    ka.received();
    clock.advance(10 * K);
    assert.equal(deaths.length, 1);
    const silence = deaths[0] - offset;
    assert.ok(silence > K && silence <= 1.5 * K, "offset " + offset + ": dead after " + silence + " ms");
  }
});

test("keep-alive: a broker that answers every PINGREQ keeps the connection alive", () => {
  const { clock, ka, pings, deaths } = setup();
  ka.start();
  // Each PINGRESP arrives 2 s after its PINGREQ; an idle hour.
  let answered = 0;
  for (let t = 0; t < 3600; t++) {
    clock.advance(1000);
    if (pings.length > answered && clock.now() - pings[answered] >= 2000) {
      ka.received();
      answered++;
    }
  }
  assert.deepEqual(deaths, []);
  assert.ok(pings.length >= 60 && pings.length <= 120, pings.length + " pings in an hour");
});

test("keep-alive: a PINGREQ goes out within K of the last packet sent, even while packets come in", () => {
  const { clock, ka, pings, deaths } = setup();
  ka.start();
  let lastSent = 0;
  for (let t = 0; t < 600; t++) {
    clock.advance(1000);
    ka.received(); // a chatty broker
    if (pings.length > 0) lastSent = Math.max(lastSent, pings[pings.length - 1]);
    assert.ok(clock.now() - lastSent <= K, "quiet for " + (clock.now() - lastSent) + " ms at " + clock.now());
  }
  assert.deepEqual(deaths, []);
});

test("keep-alive: a publish-only client pings when nothing has come back for K", () => {
  const { clock, ka, pings, deaths } = setup();
  ka.start();
  // QoS 0 publishes every 2 s: the client is never idle sending, but hears nothing.
  for (let t = 0; t < 40; t++) {
    clock.advance(2000);
    ka.sent();
  }
  assert.deepEqual(pings, [K], "pinged once K after the last packet received");
  ka.received(); // the PINGRESP
  for (let t = 0; t < 30; t++) {
    clock.advance(2000);
    ka.sent();
  }
  assert.deepEqual(deaths, []);
});

test("keep-alive: stop() cancels its timer and 0 turns it off", () => {
  const { clock, ka } = setup();
  ka.start();
  assert.equal(clock.pending(), 1);
  ka.stop();
  assert.equal(clock.pending(), 0);
  const off = new KeepAlive(clock, 0, () => assert.fail("ping"), () => assert.fail("dead"));
  off.start();
  assert.equal(clock.pending(), 0);
});

test("backoff: doubles from the base, with jitter in [d/2, d], and stays at the 60 s cap forever", () => {
  const low = new Backoff(1000, 60000, () => 0);
  const high = new Backoff(1000, 60000, () => 0.999999);
  const lows: number[] = [];
  const highs: number[] = [];
  for (let i = 0; i < 2000; i++) {
    lows.push(low.next());
    highs.push(high.next());
  }
  assert.deepEqual(lows.slice(0, 8), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.deepEqual(highs.slice(0, 8), [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  assert.ok(lows.slice(6).every((d) => d === 30000));
  assert.ok(highs.slice(6).every((d) => d === 60000));
});

test("backoff: reset() starts again from the base; jitter comes from the injected source", () => {
  let n = 0;
  const randoms = [0.5, 0.25, 0.75];
  const b = new Backoff(100, 60000, () => randoms[n++ % randoms.length]);
  assert.deepEqual([b.next(), b.next(), b.next()], [75, 125, 350]);
  b.reset();
  assert.equal(b.next(), 75);
});
