// The M-Bus reader: real Kaifa MA309 captures give the APDU their published decryption comes from; every layout
// survives the simulator's M-Bus frames, single and segmented, chunked down to one byte; frames that carry no
// DLMS are skipped; damage of every kind is counted under its counter and resynchronised after; and 100,000
// hostile inputs neither throw nor grow a buffer.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createDecipheriv } from "node:crypto";
import { HanDecoder } from "../lib/han-decoder";
import { MbusFrameReader, MbusCounters, createMbusReader } from "../lib/mbus/frame-reader";
import { fromHex, toHex } from "../lib/bytes";
import type { Reading } from "../lib/reading";
import { supportedSpecs, encodeApdu, expectedReading, ListInput } from "../scripts/sim/layouts";
import { randomReading } from "../scripts/sim/random-reading";
import { createRng } from "../scripts/sim/random";
import { mbusSegments, mbusTelegram, mbusLongFrame, mbusShortFrame, MBUS_C, MBUS_A } from "../scripts/sim/mbus-writer";
import { loadVectors, capturesSkip, Vector } from "./support/vectors";
import { rng as testRng } from "./support/prng";
import { MeterSimulator, MeterOptions } from "../scripts/sim/meter";
import { createUnwrap } from "../lib/dlms/unwrap";
import { nodeBlockCipher } from "../scripts/node-aes";

function reader(out: Uint8Array[], maxMessageSize?: number): MbusFrameReader {
  return new MbusFrameReader({ maxMessageSize, onMessage: (apdu) => out.push(apdu.slice()) });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function pushChunked(r: { push(b: Uint8Array): void }, bytes: Uint8Array, size: number): void {
  for (let at = 0; at < bytes.length; at += size) r.push(bytes.subarray(at, at + size));
}

/** The counters that must stay 0 on a clean line. */
function damage(c: MbusCounters): number {
  return c.hcs_errors + c.fcs_errors + c.length_errors + c.bytes_dropped + c.oversize_frames + c.segments_lost;
}

describe("the Kaifa MA309 M-Bus captures", { skip: capturesSkip(import.meta.url) }, () => {
  const captures = (): Vector[] => loadVectors().filter((v) => v.framing === "mbus-multi");

  test("there are M-Bus captures to read", () => {
    assert.ok(captures().length >= 2);
  });

  /** AES-128-GCM without a tag is CTR from counter 2 (han-spec.md 3.2): enough to prove the APDU byte-exact. */
  function decrypt(apdu: Uint8Array, keyHex: string): Uint8Array {
    assert.equal(apdu[0], 0xdb, "general-glo-ciphering");
    assert.equal(apdu[1], 8, "system title length");
    let p = 10;
    let len = apdu[p++];
    if (len === 0x81) len = apdu[p++];
    else if (len === 0x82) { len = apdu[p] * 256 + apdu[p + 1]; p += 2; }
    assert.equal(p + len, apdu.length, "the A-XDR length covers the reassembled APDU exactly");
    const sc = apdu[p];
    assert.equal(sc & 0x10, 0, "these captures carry no tag");
    const iv = new Uint8Array(16);
    iv.set(apdu.subarray(2, 10), 0);
    iv.set(apdu.subarray(p + 1, p + 5), 8);
    iv[15] = 2;
    const d = createDecipheriv("aes-128-ctr", Buffer.from(keyHex, "hex"), iv);
    return new Uint8Array(Buffer.concat([d.update(apdu.subarray(p + 5)), d.final()]));
  }

  for (const id of ["kaifa-ma309-pl-mbus-encrypted-gh905", "kaifa-ma309-at-evn-doc-mbus-encrypted"]) {
    test(`${id}: both frames pass, and their segments make the APDU its published plaintext comes from`, () => {
      const v = captures().find((x) => x.id === id) as Vector & { key: string };
      assert.ok(v, id);
      for (const size of [1, 3, 64, 1000]) {
        const out: Uint8Array[] = [];
        const r = reader(out);
        pushChunked(r, fromHex(v.hex), size);
        r.flush();
        assert.equal(r.counters.frames_ok, (v.frames as string[]).length, "frames");
        assert.equal(damage(r.counters), 0, "damage");
        assert.equal(out.length, 1, "one APDU");
        const glo = v.verification.glo as { system_title: string };
        assert.equal(toHex(out[0].subarray(2, 10)), glo.system_title);
        assert.equal(toHex(decrypt(out[0], v.key)), v.decrypted_apdu, "decrypts to the published plaintext");
      }
    });
  }

  for (const id of ["kaifa-ma309-pl-mbus-encrypted-gh905", "kaifa-ma309-at-evn-doc-mbus-encrypted"]) {
    test(`${id}: through the decoder, with its published key, to its published values`, () => {
      const v = captures().find((x) => x.id === id) as Vector & { key: string };
      const key = fromHex(v.key);
      const readings: Reading[] = [];
      const decoder = new HanDecoder({ reader: createMbusReader, onReading: (r) => readings.push(r),
        unwrap: createUnwrap({ key, authKey: null, cipher: nodeBlockCipher(key) }) });
      decoder.push(fromHex(v.hex));
      assert.equal(readings.length, 1);
      let compared = 0;
      for (const code of Object.keys(v.expected)) {
        // The Austrian list's clock and meter number are bare octet-strings: no OBIS code names them.
        if (!/^\d+-\d+:/.test(code)) continue;
        const m = /^(-?\d+(?:\.\d+)?)(?: (\S+))?$/.exec(v.expected[code]);
        const got = readings[0].obis[code];
        assert.ok(got, code);
        if (m) {
          assert.equal(got.value, Number(m[1]), code);
          if (m[2]) assert.equal(got.unit, m[2], code);
          compared++;
        }
      }
      assert.ok(compared >= 10, "values compared");
    });
  }
});

describe("the simulator's M-Bus frames", () => {
  function check(input: ListInput, r: Reading | undefined, label: string): void {
    const e = expectedReading(input);
    assert.ok(r, label + ": decoded");
    assert.deepEqual(r.values, e.values, label + " values");
    assert.equal(r.meter.id, e.meter.id, label + " id");
    assert.equal(r.clock ? r.clock.raw : null, e.clockRaw, label + " clock");
  }

  test("every layout, in one frame and in segments, chunked down to one byte, through the decoder", () => {
    const rng = createRng(11);
    let segmented = 0;
    for (const spec of supportedSpecs()) {
      const input = randomReading(rng, spec);
      const apdu = encodeApdu(input);
      for (const perFrame of [245, 40, 1]) {
        if (Math.ceil(apdu.length / perFrame) > 16) continue;
        const bytes = mbusTelegram(apdu, perFrame);
        if (perFrame < apdu.length) segmented++;
        for (const chunk of [1, 7, bytes.length]) {
          const out: Reading[] = [];
          const decoder = new HanDecoder({ reader: createMbusReader, onReading: (r) => out.push(r),
            scaling: { country: input.country, ct: (input.meterType || "").indexOf("685") === 0 } });
          pushChunked(decoder, bytes, chunk);
          const label = `${spec.maker}/${spec.country}/list ${spec.list}/${spec.phases}p, ${perFrame} per frame, ` +
            `chunks of ${chunk}`;
          assert.equal(out.length, 1, label);
          check(input, out[0], label);
          assert.equal(decoder.counters.frames_ok, Math.max(1, Math.ceil(apdu.length / perFrame)), label);
        }
      }
    }
    assert.ok(segmented > 50, "segmented telegrams were tried");
  });

  test("the simulated meter with --framing mbus: an hour of each maker's lists, one byte at a time", () => {
    const start = Date.UTC(2026, 0, 20, 11, 30, 0);
    for (const [maker, country, baud] of [["generic", "AT", 2400], ["aidon", "NO", 9600], ["kamstrup", "NO", 2400]] as
      [MeterOptions["maker"], string, number][]) {
      const sim = new MeterSimulator({ maker, phases: 3, wires: 4, country, seed: 3, startMs: start, framing: "mbus",
        mbusBaud: baud });
      const readings: Reading[] = [];
      const decoder = new HanDecoder({ reader: createMbusReader, scaling: { country }, onReading: (r) => readings.push(r) });
      const frames = sim.advanceTo(start + 3600000);
      let lineMs = 0;
      for (const f of frames) {
        pushChunked(decoder, f.bytes, 1);
        lineMs += f.bytes.length * 11 * 1000 / baud;
      }
      assert.equal(readings.length, frames.length, maker);
      frames.forEach((f, i) => { assert.deepEqual(readings[i].values, expectedReading(f.input).values, maker + " " + i); });
      assert.equal(damage(decoder.counters as unknown as MbusCounters), 0, maker);
      // Each telegram waits for the one before to leave the line, at 11 bits a byte.
      assert.ok(frames.every((f, i) => i === 0 ||
        f.sentAt >= frames[i - 1].sentAt + Math.floor(frames[i - 1].bytes.length * 11000 / baud)), maker);
      assert.ok(lineMs < 3600000, maker + ": the line keeps up at " + baud + " baud 8E1");
      if (maker === "aidon") assert.ok(frames.some((f) => f.bytes.length > 264), "Aidon's longer lists take two frames");
    }
    assert.throws(() => new MeterSimulator({ maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 1, startMs: 0,
      framing: "mbus", mbusBaud: 4800 }), /mbusBaud must be 2400 or 9600, got 4800/);
  });

  test("the simulated meter encrypting in M-Bus frames, with and without its tag, each maker, one byte at a time", () => {
    const key = fromHex("000102030405060708090A0B0C0D0E0F");
    const authKey = fromHex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF");
    const start = Date.UTC(2026, 0, 20, 11, 58, 0);
    const makers: [MeterOptions["maker"], string][] = [["generic", "AT"], ["kaifa", "NO"], ["aidon", "NO"],
      ["kamstrup", "NO"], ["embriq", "NO"]];
    let segmented = 0;
    for (const [maker, country] of makers) {
      for (const tagged of [true, false]) {
        const sim = new MeterSimulator({ maker, phases: 3, wires: 4, country, seed: 8, startMs: start, framing: "mbus",
          security: { key, authKey, control: tagged ? 0x30 : 0x20 } });
        // Across the full hour, for the makers' hourly lists.
        const frames = sim.advanceTo(start + 3 * 60000);
        const stream = concat(frames.map((f) => f.bytes));
        const label = maker + (tagged ? " with its tag" : " without a tag");
        assert.ok(frames.length >= 18, label);
        for (const size of [1, 7, stream.length]) {
          const readings: Reading[] = [];
          const decoder = new HanDecoder({ reader: createMbusReader, scaling: { country }, onReading: (r) => readings.push(r),
            unwrap: createUnwrap({ key, authKey: tagged ? authKey : null, cipher: nodeBlockCipher(key) }) });
          pushChunked(decoder, stream, size);
          assert.equal(readings.length, frames.length, label + " / " + size);
          frames.forEach((f, i) => {
            const e = expectedReading(f.input);
            assert.deepEqual(readings[i].values, e.values, label + " / " + size + " #" + i);
            assert.equal(readings[i].clock ? readings[i].clock!.raw : null, e.clockRaw, label + " / " + size + " #" + i);
          });
          const c = decoder.counters as unknown as MbusCounters & { decrypt_errors: number; replays: number };
          assert.equal(damage(c) + c.decrypt_errors + c.replays, 0, label + " / " + size);
          if (size === 1 && c.frames_ok > frames.length) segmented++;
        }
        // Without the key nothing is read: the lists are ciphered, not plain.
        const locked = new HanDecoder({ reader: createMbusReader, scaling: { country }, onReading: () => assert.fail(label),
          unwrap: createUnwrap({ key: null, authKey: null }) });
        locked.push(stream);
        assert.equal((locked.counters as unknown as { no_key: number }).no_key, frames.length, label);
      }
    }
    assert.ok(segmented >= 2, "ciphered APDUs over more than one segment");
    assert.throws(() => new MeterSimulator({ maker: "generic", phases: 3, wires: 4, country: "AT", seed: 1, startMs: 0,
      framing: "mbus", security: { key, authKey, blockSize: 64 } }), /security\.blockSize: .*HDLC frames only/);
  });

  test("a telegram of 16 segments is the longest the sequence number allows", () => {
    const apdu = new Uint8Array(16 * 3).map((_, i) => i);
    assert.equal(mbusSegments(apdu, 3).length, 16);
    assert.throws(() => mbusSegments(new Uint8Array(49), 3), /at most 16/);
    const out: Uint8Array[] = [];
    const r = reader(out);
    r.push(mbusTelegram(apdu, 3));
    assert.deepEqual(out.map((m) => toHex(m)), [toHex(apdu)]);
  });
});

describe("frames that carry no DLMS, and damage", () => {
  const apdu = new Uint8Array(300).map((_, i) => (i * 7) & 255);
  const telegram = mbusTelegram(apdu);

  test("short, control and other applications' frames, and single acknowledgements, are skipped and counted", () => {
    const out: Uint8Array[] = [];
    const r = reader(out);
    const control = mbusLongFrame(MBUS_C, MBUS_A, 0x10, []);
    const other = mbusLongFrame(0x08, 0x01, 0x72, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    r.push(concat([mbusShortFrame(0x40, 0xfd), new Uint8Array([0xe5]), control, other, telegram, new Uint8Array([0xe5])]));
    r.flush();
    assert.deepEqual(out.map((m) => toHex(m)), [toHex(apdu)]);
    assert.equal(r.counters.other_frames, 3);
    assert.equal(r.counters.frames_ok, 5);
    assert.equal(damage(r.counters), 0);
  });

  test("each kind of damage is counted once and the next telegram still decodes", () => {
    const cases: [string, (f: Uint8Array) => Uint8Array, keyof MbusCounters][] = [
      ["bad checksum", (f) => { f[f.length - 2] ^= 1; return f; }, "fcs_errors"],
      ["a data byte flipped", (f) => { f[20] ^= 0x40; return f; }, "fcs_errors"],
      ["L != L", (f) => { f[2] ^= 1; return f; }, "hcs_errors"],
      ["no stop byte", (f) => { f[f.length - 1] = 0x17; return f; }, "length_errors"],
      ["cut short", (f) => f.subarray(0, 100), "length_errors"],
    ];
    for (const [name, damageIt, counter] of cases) {
      const out: Uint8Array[] = [];
      const r = reader(out);
      const frames = mbusSegments(apdu);
      const first = damageIt(frames[0].slice());
      r.push(concat([first, frames[1], new Uint8Array([0x00, 0x68, 0x99]), telegram]));
      r.flush();
      assert.deepEqual(out.map((m) => toHex(m)), [toHex(apdu)], name + ": the good telegram decodes");
      assert.equal(r.counters[counter], 1, name + ": " + counter);
      assert.equal(r.counters.segments_lost, 1, name + ": the orphaned last segment");
    }
  });

  test("segments out of order, repeated or joined half way drop their message and are counted", () => {
    const frames = mbusSegments(apdu, 100);
    assert.equal(frames.length, 3);
    const out: Uint8Array[] = [];
    const r = reader(out);
    r.push(concat([frames[1], frames[2]]));
    r.push(concat([frames[0], frames[0], frames[1], frames[2]]));
    r.push(concat([frames[0], frames[2]]));
    r.push(concat(frames));
    assert.deepEqual(out.map((m) => toHex(m)), [toHex(apdu), toHex(apdu)]);
    assert.equal(r.counters.segments_lost, 4, "two orphans, a repeat, a gap");
  });

  test("a message longer than the limit is dropped whole; a message left open at the end is a length error", () => {
    const out: Uint8Array[] = [];
    const r = reader(out, 250);
    r.push(telegram);
    r.push(mbusTelegram(apdu.subarray(0, 200)));
    r.push(mbusSegments(apdu)[0]);
    r.flush();
    assert.deepEqual(out.map((m) => toHex(m)), [toHex(apdu.subarray(0, 200))]);
    assert.equal(r.counters.oversize_frames, 1);
    assert.equal(r.counters.length_errors, 1);
  });

  test("a body of 257 bytes with its length wrapped to 01, as Sagemcom meters send it", () => {
    const data = [0x01, 0x67].concat(Array.from(apdu.subarray(0, 252)));
    const frame = mbusLongFrame(MBUS_C, MBUS_A, 0x10, data);
    assert.equal(frame[1], 1);
    const out: Uint8Array[] = [];
    const r = reader(out);
    r.push(frame);
    assert.deepEqual(out.map((m) => toHex(m)), [toHex(apdu.subarray(0, 252))]);
  });

  test("100,000 hostile inputs: no throw, bounded buffers, every byte counted", () => {
    const rng = testRng(2026);
    const valid = mbusSegments(apdu, 120);
    let messages = 0;
    const r = new MbusFrameReader({ maxMessageSize: 512, onMessage: (m) => {
      messages++;
      assert.ok(m.length <= 512);
    } });
    let pushed = 0;
    for (let n = 0; n < 100000; n++) {
      let bytes: Uint8Array;
      const kind = rng.int(6);
      if (kind === 0) {
        // A header with any lengths, then anything.
        bytes = new Uint8Array(4 + rng.int(300)).map(() => rng.int(256));
        bytes[0] = 0x68;
        bytes[3] = 0x68;
        if (rng.int(2)) bytes[2] = bytes[1];
      } else if (kind === 1) {
        bytes = new Uint8Array(1 + rng.int(40)).map(() => [0x68, 0x16, 0x10, 0xe5, rng.int(256)][rng.int(5)]);
      } else {
        // A valid frame, damaged in a few places, cut anywhere, or whole.
        bytes = valid[rng.int(valid.length)].slice();
        for (let k = rng.int(3); k > 0; k--) bytes[rng.int(bytes.length)] = rng.int(256);
        if (rng.int(3) === 0) bytes = bytes.subarray(0, rng.int(bytes.length));
      }
      pushChunked(r, bytes, 1 + rng.int(64));
      pushed += bytes.length;
      if (rng.int(1000) === 0) r.flush();
    }
    r.flush();
    const c = r.counters;
    assert.equal(c.bytes_in, pushed);
    assert.ok(c.frames_ok > 1000 && messages > 100, `${c.frames_ok} frames, ${messages} messages`);
    assert.ok(c.fcs_errors > 0 && c.hcs_errors > 0 && c.length_errors > 0 && c.segments_lost > 0);
    const inner = r as unknown as { buf: Uint8Array; msg: Uint8Array | null };
    assert.equal(inner.buf.length, 264, "the frame buffer never grows");
    assert.ok(inner.msg === null || inner.msg.length === 512, "the message buffer never grows");
  });
});
