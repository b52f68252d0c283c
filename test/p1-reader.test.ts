// The P1 telegram reader: CRC checked and refused telegrams counted, DSMR 2.2 telegrams judged by structure,
// resynchronisation on "/", a fixed buffer whatever the line sends, and 100,000 hostile inputs without a throw.
import { test } from "node:test";
import assert from "node:assert/strict";
import { P1TelegramReader } from "../lib/p1/telegram-reader";
import { P1Decoder } from "../lib/p1/decoder";
import { P1Writer } from "../scripts/sim/p1-writer";
import { createRng, randomInt, Rng } from "../scripts/sim/random";

const START = Date.UTC(2026, 5, 15, 12, 0, 0);

function telegrams(version: "2.2" | "4.2" | "5.0", n: number, seed: number): Uint8Array[] {
  const writer = new P1Writer({ version, phases: 3, meterId: "E0012345678901234" });
  const rng = createRng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const values = { active_energy_import: 5e6 + i * 300, active_energy_export: 1e5, active_power_import: rng() * 9000,
      active_power_export: 0, voltage_l1: 229 + rng() * 3, voltage_l2: 231, voltage_l3: 230, current_l1: rng() * 20,
      current_l2: 3, current_l3: 1, active_power_import_l1: 100, active_power_import_l2: 200, active_power_import_l3: 300 };
    out.push(writer.telegram(START + i * 1000, values, [
      { channel: 1, type: 3, id: "G1", value: 1000 + i / 100, capturedAt: START + i * 1000 - 5000 }]).bytes);
  }
  return out;
}

function collect(chunks: Uint8Array[], max?: number): { texts: string[]; reader: P1TelegramReader } {
  const texts: string[] = [];
  const reader = new P1TelegramReader({ onTelegram: (t) => texts.push(t), maxTelegram: max });
  for (const c of chunks) reader.push(c);
  reader.flush();
  return { texts, reader };
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

test("whole telegrams are delivered, '/' to the CRC, whatever the chunking, down to one byte", () => {
  for (const version of ["5.0", "4.2", "2.2"] as const) {
    const t = telegrams(version, 3, 1);
    const stream = concat([new Uint8Array([0x0d, 0x0a, 0x41]), ...t]);
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
      const { texts, reader } = collect(chunks);
      assert.deepEqual(texts, t.map((b) => Buffer.from(b).toString("latin1").replace(/\r\n$/, "")), version + " / " + size);
      assert.equal(reader.counters.frames_ok, 3);
      assert.equal(reader.counters.unchecked, version === "2.2" ? 3 : 0);
      // The 3 bytes before the first telegram; the line ends after each are not dropped bytes.
      assert.equal(reader.counters.bytes_dropped, 3, version + " / " + size);
      assert.equal(reader.counters.bytes_in, stream.length);
    }
  }
});

test("a bad CRC is refused and counted; the telegrams around it get through", () => {
  const [a, b, c] = telegrams("5.0", 3, 2);
  const bad = new Uint8Array(b);
  // A digit of the power flipped: 0x30 <-> 0x31.
  const at = Buffer.from(bad).indexOf("1-0:1.7.0(") + 11;
  bad[at] ^= 1;
  const { texts, reader } = collect([a, bad, c]);
  assert.equal(texts.length, 2);
  assert.equal(reader.counters.fcs_errors, 1);
  assert.equal(reader.counters.frames_ok, 2);
  // A CRC of other than 4 hex digits counts the same.
  const text = Buffer.from(a).toString("latin1");
  const broken = collect([new Uint8Array(Buffer.from(text.replace(/![0-9A-F]{4}/, "!G12Z"), "latin1"))]);
  assert.equal(broken.texts.length, 0);
  assert.equal(broken.reader.counters.fcs_errors, 1);
});

test("a telegram without its CRC after telegrams with one is refused: the meter sends DSMR 4 or 5", () => {
  const [a, b] = telegrams("5.0", 2, 3);
  const stripped = Buffer.from(b).toString("latin1").replace(/![0-9A-F]{4}/, "!");
  const { texts, reader } = collect([a, new Uint8Array(Buffer.from(stripped, "latin1"))]);
  assert.equal(texts.length, 1);
  assert.equal(reader.counters.fcs_errors, 1);
});

test("a DSMR 2.2 telegram is judged by its structure: a non-ASCII byte or a broken line refuses it", () => {
  const [a] = telegrams("2.2", 1, 4);
  const high = new Uint8Array(a);
  high[40] |= 0x80;
  const noClose = new Uint8Array(Buffer.from(Buffer.from(a).toString("latin1").replace("*kWh)", "*kWh"), "latin1"));
  for (const bad of [high, noClose]) {
    const { texts, reader } = collect([bad]);
    assert.equal(texts.length, 0);
    assert.equal(reader.counters.length_errors, 1);
  }
  // Its "!" ends it even at the end of input without a line end.
  const { texts } = collect([a.subarray(0, a.length - 2)]);
  assert.equal(texts.length, 1);
});

test("a '/' inside a telegram cuts it short and starts the next; a '/' without an identification line is noise", () => {
  const [a, b] = telegrams("5.0", 2, 5);
  const { texts, reader } = collect([a.subarray(0, 300), b, new Uint8Array(Buffer.from("/\r\n/ab\r\n", "latin1")), a]);
  assert.equal(texts.length, 2);
  assert.equal(reader.counters.length_errors, 1);
  assert.equal(reader.counters.hcs_errors, 2);
});

test("a 10 KB line and a telegram without its '!' never grow the buffer; the next telegram gets through", () => {
  const [a, b] = telegrams("5.0", 2, 6);
  const long = new Uint8Array(10240).fill(0x41);
  const open = a.subarray(0, a.indexOf(0x21));
  const { texts, reader } = collect([open, long, b, open, long, long, a], 2048);
  assert.equal(texts.length, 2);
  assert.equal(reader.counters.oversize_frames, 2);
  assert.equal((reader as unknown as { buf: Uint8Array }).buf.length, 2048);
});

function hostile(rng: Rng, good: Uint8Array[]): Uint8Array {
  const base = good[randomInt(rng, 0, good.length - 1)];
  switch (randomInt(rng, 0, 7)) {
    case 0: { // bit flips
      const b = new Uint8Array(base);
      for (let k = randomInt(rng, 1, 4); k > 0; k--) b[randomInt(rng, 0, b.length - 1)] ^= 1 << randomInt(rng, 0, 7);
      return b;
    }
    case 1: return base.subarray(0, randomInt(rng, 0, base.length)); // cut short
    case 2: { // bytes over 0x7F
      const b = new Uint8Array(base);
      for (let k = randomInt(rng, 1, 20); k > 0; k--) b[randomInt(rng, 0, b.length - 1)] = randomInt(rng, 0x80, 0xff);
      return b;
    }
    case 3: return new Uint8Array(randomInt(rng, 1, 10240)).fill(randomInt(rng, 0x20, 0x7e)); // a long line
    case 4: { // no "!"
      const b = new Uint8Array(base);
      b[b.indexOf(0x21)] = 0x3f;
      return b;
    }
    case 5: return new Uint8Array([0x2f]); // a lone "/"
    case 6: { // random bytes
      const b = new Uint8Array(randomInt(rng, 1, 600));
      for (let i = 0; i < b.length; i++) b[i] = randomInt(rng, 0, 255);
      return b;
    }
    default: return base; // a good one now and then
  }
}

test("100,000 hostile inputs: no throw, the buffer stays its size, every reading comes from a valid telegram", () => {
  const good = [...telegrams("5.0", 4, 7), ...telegrams("2.2", 2, 8)];
  const rng = createRng(2026);
  let readings = 0;
  const decoder = new P1Decoder({ onReading: () => { readings++; }, maxTelegram: 4096 });
  const heapBefore = process.memoryUsage().heapUsed;
  let delivered = 0;
  for (let i = 0; i < 100000; i++) {
    const input = hostile(rng, good);
    if (input === good[0]) delivered++;
    // Each input in random pieces, and now and then the line goes quiet.
    let at = 0;
    while (at < input.length) {
      const n = randomInt(rng, 1, 512);
      decoder.push(input.subarray(at, at + n));
      at += n;
    }
    if (rng() < 0.01) decoder.flush();
  }
  decoder.flush();
  const c = decoder.counters;
  assert.equal((decoder as unknown as { reader: { buf: Uint8Array } }).reader.buf.length, 4096);
  assert.equal(c.readings + c.decode_errors, c.frames_ok);
  assert.equal(readings, c.readings);
  assert.ok(c.fcs_errors > 1000 && c.oversize_frames > 1000 && c.hcs_errors > 1000 && c.length_errors > 1000,
    JSON.stringify(c));
  assert.ok(c.frames_ok >= delivered / 2, "good telegrams among the noise still get through: " + c.frames_ok);
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 64 * 1024 * 1024);
});
