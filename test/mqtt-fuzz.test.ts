// 100,000 seeded malformed and mutated MQTT packets through the parser. No exception may escape; every input ends
// as packets, a counted error, or an incomplete tail (a truncation); whatever decodes must encode and decode back
// to itself; and the parser never holds more than one packet's worth of bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Packet } from "../lib/mqtt/packets";
import { PacketParser } from "../lib/mqtt/parser";
import { encodePacket } from "../lib/mqtt/writer";
import { SAMPLE_PACKETS } from "./support/mqtt-samples";
import { rng, Rng } from "./support/prng";

const INPUTS = 100000;
const MAX_PACKET = 512;
/** What a broker sends, mostly; the packets only a broker receives are seeds too, for the parser to refuse. */
const BROKER_BOUND = [1, 8, 10, 12, 14];
const seeds = SAMPLE_PACKETS.filter((p) => !BROKER_BOUND.includes(p.type)).map(encodePacket)
  .concat(SAMPLE_PACKETS.filter((p) => p.type === 1 || p.type === 8).map(encodePacket));
const SPECIAL = [0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xc0, 0xe0, 0xf0, 0xff, 0x23, 0x2b];

function setByte(s: string, i: number, b: number): string {
  return s.slice(0, i) + String.fromCharCode(b) + s.slice(i + 1);
}

function randomBytes(r: Rng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(r.int(256));
  return s;
}

function mutate(r: Rng, input: string): string {
  switch (r.int(8)) {
    case 0: { // bit flips
      let s = input;
      const flips = 1 + r.int(3);
      for (let k = 0; k < flips; k++) {
        const i = r.int(s.length);
        s = setByte(s, i, s.charCodeAt(i) ^ 1 << r.int(8));
      }
      return s;
    }
    case 1: return input.slice(0, r.int(input.length)); // truncation
    case 2: return setByte(input, r.int(input.length), SPECIAL[r.int(SPECIAL.length)]);
    case 3: return setByte(input, 0, r.int(256)); // another type or flags
    case 4: { // a wrong remaining length, possibly multi-byte
      const length = [0, 1, 2, 127, 128, 255, 16383, 16384, 2097152, 268435455][r.int(10)];
      let field = "";
      let n = length;
      do {
        field += String.fromCharCode(n % 128 | (n >= 128 ? 128 : 0));
        n = Math.floor(n / 128);
      } while (n > 0);
      return input.charAt(0) + field + input.slice(2);
    }
    case 5: { // inserted bytes
      const at = r.int(input.length + 1);
      return input.slice(0, at) + randomBytes(r, 1 + r.int(8)) + input.slice(at);
    }
    case 6: return input + input.slice(0, r.int(input.length)); // a second packet cut short
    default: return randomBytes(r, r.int(40)); // noise
  }
}

/** Splits s at random points, to exercise packets across chunks. */
function chunks(r: Rng, s: string): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < s.length) {
    const n = 1 + r.int(Math.max(1, s.length - at));
    out.push(s.slice(at, at + n));
    at += n;
  }
  return out;
}

test("100,000 mutated packets: packets, counted errors or incomplete tails; no throw; bounded memory", () => {
  const r = rng(0x6d717474);
  let current: Packet[] = [];
  const parser = new PacketParser((p) => current.push(p), MAX_PACKET);
  const outcome = { packets: 0, errors: 0, incomplete: 0, empty: 0, oversize: 0 };
  let maxBuffered = 0;
  for (let i = 0; i < INPUTS; i++) {
    const input = mutate(r, seeds[r.int(seeds.length)]);
    current = [];
    parser.reset();
    let error: string | null = null;
    for (const chunk of chunks(r, input)) {
      error = parser.feed(chunk);
      maxBuffered = Math.max(maxBuffered, parser.buffered());
      if (error !== null) break;
    }
    if (error !== null) {
      assert.match(error, /^(bad remaining length|packet of \d+ bytes over 512|reserved packet type \d+|bad flags in [A-Z]+|malformed [A-Z]+|[A-Z]+ is not sent to clients)$/);
      outcome.errors++;
    } else if (parser.buffered() > 0) {
      outcome.incomplete++;
    } else if (current.length > 0) {
      outcome.packets++;
    } else {
      assert.equal(input, "");
      outcome.empty++;
    }
    for (const p of current) {
      // An oversize PUBLISH comes without its payload: its topic and identifier encode back, as a small packet.
      const plain: Packet = Object.assign({}, p);
      if (plain.type === 3 && plain.oversize) {
        assert.equal(plain.payload, "");
        delete plain.oversize;
        outcome.oversize++;
      }
      const again: Packet[] = [];
      const check = new PacketParser((q) => again.push(q), MAX_PACKET);
      assert.equal(check.feed(encodePacket(plain)), null);
      assert.deepEqual(again, [plain]);
    }
  }
  assert.equal(parser.errors, outcome.errors, "every error is counted");
  assert.equal(outcome.packets + outcome.errors + outcome.incomplete + outcome.empty, INPUTS);
  assert.ok(maxBuffered < MAX_PACKET, "the parser held " + maxBuffered + " bytes");
  // The mutations must reach every outcome in quantity, or the test proves little.
  assert.ok(outcome.packets > 10000 && outcome.errors > 10000 && outcome.incomplete > 5000 && outcome.oversize > 300,
    JSON.stringify(outcome));
});

test("one parser over a continuous stream of mutated packets stays bounded and keeps counting", () => {
  const r = rng(42);
  let packets = 0;
  let oversize = false;
  const parser = new PacketParser((p) => {
    packets++;
    if (p.type === 3 && p.oversize) oversize = true;
  }, MAX_PACKET);
  let errors = 0;
  let maxBuffered = 0;
  for (let i = 0; i < 20000; i++) {
    const input = r.int(2) === 0 ? seeds[r.int(seeds.length)] : mutate(r, seeds[r.int(seeds.length)]);
    for (const chunk of chunks(r, input)) {
      if (parser.feed(chunk) !== null) errors++;
      maxBuffered = Math.max(maxBuffered, parser.buffered());
    }
    // An oversize PUBLISH that claims megabytes swallows what follows, as on a connection (until keep-alive gives
    // up on it); the stream starts again here, or one such packet would end the test.
    if (oversize) parser.reset();
    oversize = false;
  }
  assert.equal(parser.errors, errors);
  assert.ok(packets > 1000 && errors > 1000, packets + " packets, " + errors + " errors");
  assert.ok(maxBuffered < MAX_PACKET, "the parser held " + maxBuffered + " bytes");
});
