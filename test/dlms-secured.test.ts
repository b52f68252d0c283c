// Ciphered APDUs and general block transfer through the decoder (DecoderOptions.unwrap = createUnwrap,
// lib/dlms/unwrap.ts): the real captures with their published keys; the refusals (no key, wrong key, altered
// tag, replayed or lower frame counter, unauthenticated frames while an authentication key is set); lost,
// duplicated and late blocks; and the simulator's protected lists back through the decoder, whole and byte by byte.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HanDecoder, DecoderOptions } from "../lib/han-decoder";
import { createUnwrap, UnwrapCounters, UnwrapOptions } from "../lib/dlms/unwrap";
import type { DataNotification } from "../lib/dlms/notification";
import type { AxdrNode } from "../lib/dlms/axdr";
import type { Reading } from "../lib/reading";
import { fromHex, toHex } from "../lib/bytes";
import { nodeBlockCipher } from "../scripts/node-aes";
import { cipheredApdu, blockTransfer, MeterSecurity } from "../scripts/sim/secure-writer";
import { hdlcFrame, llcPayload, hdlcSegments } from "../scripts/sim/hdlc-writer";
import { supportedSpecs, encodeApdu, expectedReading, addressingOf, ListInput } from "../scripts/sim/layouts";
import { randomReading } from "../scripts/sim/random-reading";
import { createRng } from "../scripts/sim/random";
import { MeterSimulator } from "../scripts/sim/meter";
import { capturesSkip, loadVectors, vector, Vector } from "./support/vectors";
import { runScript } from "./support/run-script";

type Keyed = Vector & { key?: string | null; auth_key?: string | null; reassembled_apdu?: string };

interface Run {
  decoder: HanDecoder;
  readings: Reading[];
  trees: DataNotification[];
  refused: string[];
  errors: string[];
  counters: HanDecoder["counters"] & UnwrapCounters;
}

function keyOf(hex: string | null | undefined): Uint8Array | null {
  return hex ? fromHex(hex) : null;
}

/** A decoder that opens what its keys open; `now` is the block-transfer clock. */
function run(keys: { key: Uint8Array | null; authKey: Uint8Array | null }, extra?: Partial<UnwrapOptions>,
  tree?: boolean, options?: Partial<DecoderOptions>): Run {
  const r = { readings: [], trees: [], refused: [], errors: [] } as unknown as Run;
  const unwrap = createUnwrap(Object.assign({ key: keys.key, authKey: keys.authKey,
    cipher: keys.key ? nodeBlockCipher(keys.key) : undefined, onRefused: (why: string) => r.refused.push(why),
    now: () => 0 }, extra));
  r.decoder = new HanDecoder(Object.assign({ unwrap, onReading: (x: Reading) => r.readings.push(x),
    onError: (why: string) => r.errors.push(why),
    onNotification: tree ? (n: DataNotification) => r.trees.push(n) : undefined }, options));
  r.counters = r.decoder.counters as Run["counters"];
  return r;
}

/** The APDU of wired M-Bus long frames (68 L L 68 C A CI STSAP DTSAP data CS 16), checksums checked. */
function mbusApdu(frames: string[]): Uint8Array {
  const parts = frames.map((hex) => {
    const f = fromHex(hex);
    const l = f[1];
    assert.ok(f[0] === 0x68 && f[2] === l && f[3] === 0x68 && f[5 + l] === 0x16, "an M-Bus long frame");
    let sum = 0;
    for (let i = 4; i < 4 + l; i++) sum += f[i];
    assert.equal(sum & 255, f[4 + l], "M-Bus checksum");
    return Buffer.from(f.subarray(9, 4 + l));
  });
  return new Uint8Array(Buffer.concat(parts));
}

/** Feeds a capture as the meter sends it: HDLC frames as bytes; M-Bus frames (whose reader is not this part) as
 *  the APDU they carry; a bare APDU as a message. */
function feed(r: Run, v: Vector): void {
  const frames = v.frames && v.frames.length > 0 ? v.frames : [v.hex];
  if (v.framing === "mbus-multi") r.decoder.decodeMessage(mbusApdu(frames));
  else if (v.framing === "apdu") r.decoder.decodeMessage(fromHex(v.hex));
  else for (const f of frames) r.decoder.push(fromHex(f));
  r.decoder.flush();
}

/** A parsed value as plain data (octet strings in hex), to compare what the decoder opened with the published
 *  plaintext parsed the same way. */
function values(node: AxdrNode): unknown {
  if (Array.isArray(node.value)) return (node.value as AxdrNode[]).map(values);
  return node.value instanceof Uint8Array ? toHex(node.value) : node.value;
}

function publishedTree(apduHex: string): DataNotification {
  const trees: DataNotification[] = [];
  const d = new HanDecoder({ onReading: () => undefined, onNotification: (n) => trees.push(n), onError: () => undefined });
  d.decodeMessage(fromHex(apduHex));
  assert.equal(trees.length, 1, "the published plaintext parses");
  return trees[0];
}

const NUMBER_WITH_UNIT = /^(-?\d+(?:\.\d+)?) (\S+)$/;

/** The published values that carry an OBIS code, against the reading's. */
function checkObisValues(v: Vector, reading: Reading): number {
  let n = 0;
  for (const code of Object.keys(v.expected).filter((c) => /^\d+-\d+:[\d.]+$/.test(c))) {
    const m = NUMBER_WITH_UNIT.exec(v.expected[code]);
    const got = reading.obis[code];
    assert.ok(got, code + " decoded");
    if (m) {
      assert.equal(got.value, Number(m[1]), code);
      assert.equal(got.unit, m[2], code);
    } else if (/^-?\d+(\.\d+)?$/.test(v.expected[code])) {
      assert.equal(got.value, Number(v.expected[code]), code);
    } else if (/ wd=/.test(v.expected[code])) {
      assert.equal(got.value, v.expected[code].split(" ")[0], code);
    } else {
      assert.equal(String(got.value), v.expected[code], code);
    }
    n++;
  }
  return n;
}

describe("the encrypted and block-transfer captures", { skip: capturesSkip(import.meta.url) }, () => {
  const keyed = () => (loadVectors() as Keyed[]).filter((v) => v.encrypted && v.key && v.framing !== "gcm-vector");

  test("every capture with a published key opens to exactly its published plaintext, nothing refused", () => {
    const vs = keyed();
    assert.equal(vs.length, 5, vs.map((v) => v.id).join());
    for (const v of vs) {
      const r = run({ key: keyOf(v.key), authKey: keyOf(v.auth_key) }, undefined, true);
      feed(r, v);
      assert.deepEqual(r.refused, [], v.id);
      assert.equal(r.trees.length, 1, v.id + ": one Data-Notification");
      const published = publishedTree(v.decrypted_apdu as string);
      assert.equal(r.trees[0].invokeId, published.invokeId, v.id);
      assert.deepEqual(r.trees[0].time, published.time, v.id);
      assert.deepEqual(values(r.trees[0].body), values(published.body), v.id);
      assert.equal(r.counters.decrypt_errors + r.counters.replays + r.counters.no_key + r.counters.decode_errors, 0, v.id);
    }
  });

  test("the OBIS-coded encrypted lists (Kaifa MA309 PL, EVN) decode to their published values", () => {
    for (const id of ["kaifa-ma309-pl-mbus-encrypted-gh905", "kaifa-ma309-at-evn-doc-mbus-encrypted"]) {
      const v = vector(id) as Keyed;
      const r = run({ key: keyOf(v.key), authKey: null });
      feed(r, v);
      assert.equal(r.readings.length, 1, id);
      assert.ok(checkObisValues(v, r.readings[0]) >= 11, id);
    }
    // EVN's clock and meter number carry no OBIS code: the clock is the header's.
    const evn = vector("kaifa-ma309-at-evn-doc-mbus-encrypted") as Keyed;
    const r = run({ key: keyOf(evn.key), authKey: null }, undefined, true);
    feed(r, evn);
    const clock = r.readings[0].clock;
    assert.ok(clock);
    assert.equal(clock.local + " dev=" + clock.deviation + " wd=" + clock.weekday + " status=0x" + (clock.status as number).toString(16),
      evn.expected["clock (octet-string without OBIS)"]);
    const items = r.trees[0].body.value as AxdrNode[];
    assert.equal(Buffer.from(items[items.length - 1].value as Uint8Array).toString("latin1"),
      evn.expected["meter_number (octet-string without OBIS)"]);
  });

  test("Landis+Gyr E450 (Netz Burgenland): authenticated, its positional values as published", () => {
    for (const id of ["lg-e450-at-encrypted-gh501-1", "lg-e450-at-encrypted-gh501-2"]) {
      const v = vector(id) as Keyed;
      const r = run({ key: keyOf(v.key), authKey: keyOf(v.auth_key) }, undefined, true);
      feed(r, v);
      // U1-3, I1-3, P+, P-, A+, A-, three unknown, the meter id: the raw integers in that order.
      const items = (r.trees[0].body.value as AxdrNode[]).map((n) => n.value);
      const raw = Object.keys(v.raw_values as object).map((k) => (v.raw_values as Record<string, { raw: number }>)[k].raw);
      assert.deepEqual(items.slice(0, 13), raw, id);
      assert.equal(Buffer.from(items[13] as Uint8Array).toString("latin1"), v.expected["0-0:96.1.0.255"], id);
      // Read by its own layout (its values against the published ones: test/conformance.test.ts).
      assert.equal(r.readings.length, 1, id);
      assert.equal(r.readings[0].layout, "burgenland", id);
    }
  });

  test("Landis+Gyr E450 (CH): three block-transfer frames reassemble to the published APDU and values", () => {
    const v = vector("lg-e450-ch-gbt-3frames-gh740") as Keyed;
    const r = run({ key: null, authKey: null }, undefined, true);
    feed(r, v);
    assert.equal(r.trees.length, 1);
    const published = publishedTree(v.reassembled_apdu as string);
    assert.deepEqual(values(r.trees[0].body), values(published.body));
    // The push object list (element 0) names each element after it.
    const items = r.trees[0].body.value as AxdrNode[];
    const list = items[0].value as AxdrNode[];
    const byCode: { [code: string]: unknown } = {};
    list.forEach((d, i) => {
      const ln = (d.value as AxdrNode[])[1].value as Uint8Array;
      const code = ln[0] + "-" + ln[1] + ":" + ln[2] + "." + ln[3] + "." + ln[4] + "." + ln[5];
      if (i > 0 && (d.value as AxdrNode[])[2].value === 2) byCode[code] = items[i].value;
    });
    const raw = v.raw_values as Record<string, { raw: number }>;
    for (const code of Object.keys(raw)) assert.equal(byCode[code], raw[code].raw, code);
    assert.equal(Buffer.from(byCode["0-0:96.1.0.255"] as Uint8Array).toString("latin1"), "63326413");
    assert.equal(r.counters.blocks_lost + r.counters.blocks_duplicated + r.counters.blocks_out_of_order, 0);
  });

  test("the Kamstrup DK capture without a published key: \"no key\", counted, nothing else", () => {
    const v = vector("kamstrup-dk-encrypted-nokey-gh73");
    const r = run({ key: null, authKey: null });
    feed(r, v);
    assert.equal(r.readings.length, 0);
    assert.equal(r.counters.no_key, 1);
    assert.equal(r.counters.frames_ok, 1);
    assert.equal(r.counters.decode_errors + r.counters.decrypt_errors, 0);
    assert.deepEqual(r.refused, ["encrypted APDU from 4b414d4501ac4d6e: no key (han.key)"]);
  });

  test("a wrong key is refused and counted: by the tag with an authentication key, by the plaintext without", () => {
    const v = vector("lg-e450-at-encrypted-gh501-1") as Keyed;
    const wrong = fromHex("000102030405060708090a0b0c0d0e0f");
    const withTag = run({ key: wrong, authKey: keyOf(v.auth_key) });
    feed(withTag, v);
    const withoutTag = run({ key: wrong, authKey: null });
    feed(withoutTag, v);
    const gh73 = run({ key: wrong, authKey: null });
    feed(gh73, vector("kamstrup-dk-encrypted-nokey-gh73"));
    for (const r of [withTag, withoutTag, gh73]) {
      assert.equal(r.readings.length, 0);
      assert.equal(r.counters.decrypt_errors, 1);
      assert.equal(r.refused.length, 1);
    }
    assert.match(withTag.refused[0], /wrong key or altered APDU from 4c475a6772a9a111: the authentication tag does not match/);
    assert.match(withoutTag.refused[0], /wrong key for 4c475a6772a9a111: the plaintext is not an APDU/);
  });

  test("a flipped bit in the tag or the ciphertext is refused (the frame's CRCs made right again)", () => {
    const v = vector("lg-e450-at-encrypted-gh501-1") as Keyed;
    const frame = fromHex(v.hex);
    // The info field: after 7E A0 76 CE FF 03 13 HCS(2); the tag is the 12 bytes before the FCS.
    const info = frame.subarray(9, frame.length - 3);
    for (const at of [info.length - 1, info.length - 12, 30]) {
      const bad = info.slice();
      bad[at] ^= 0x10;
      const r = run({ key: keyOf(v.key), authKey: keyOf(v.auth_key) });
      r.decoder.push(hdlcFrame(bad, 0, bad.length, { destination: [0x67, 0x7f], source: [1], control: 0x13 }, false));
      assert.equal(r.counters.frames_ok, 1, "the frame itself is valid");
      assert.equal(r.counters.decrypt_errors, 1, "byte " + at);
      assert.equal(r.readings.length + r.trees.length, 0);
    }
  });

  test("a replayed or lower frame counter is refused and counted; a higher one is taken", () => {
    const one = vector("lg-e450-at-encrypted-gh501-1") as Keyed;
    const two = vector("lg-e450-at-encrypted-gh501-2") as Keyed;
    const r = run({ key: keyOf(one.key), authKey: keyOf(one.auth_key) }, undefined, true);
    r.decoder.push(fromHex(two.hex));
    r.decoder.push(fromHex(two.hex));
    r.decoder.push(fromHex(one.hex));
    assert.equal(r.trees.length, 1);
    assert.equal(r.counters.replays, 2);
    assert.match(r.refused[0], /frame counter 2195703 of 4c475a6772a9a111 is not above the last, 2195703: replayed/);
    assert.match(r.refused[1], /frame counter 2195702 .* not above the last, 2195703/);
    const fresh = run({ key: keyOf(one.key), authKey: keyOf(one.auth_key) }, undefined, true);
    fresh.decoder.push(fromHex(one.hex));
    fresh.decoder.push(fromHex(two.hex));
    assert.equal(fresh.trees.length, 2);
    assert.equal(fresh.counters.replays, 0);
  });
});

// ---- the simulator's protected lists -------------------------------------------------------------------------

const KEY = fromHex("5468697320697320616e2041455320"  + "6b");
const AUTH = fromHex("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf");
const TITLE = fromHex("4b464d0102030405");

function frameOf(input: ListInput, apdus: Uint8Array[]): Uint8Array[] {
  return apdus.map((a, i) => {
    const info = i === 0 ? llcPayload(a) : a;
    return hdlcFrame(info, 0, info.length, addressingOf(input), false);
  });
}

function check(input: ListInput, r: Reading | undefined, label: string): void {
  const e = expectedReading(input);
  assert.ok(r, label + ": decoded");
  assert.deepEqual(r.values, e.values, label + " values");
  assert.equal(r.meter.id, e.meter.id, label + " id");
  assert.equal(r.clock ? r.clock.raw : null, e.clockRaw, label + " clock");
}

function pushChunked(d: HanDecoder, bytes: Uint8Array, size: number): void {
  for (let at = 0; at < bytes.length; at += size) d.push(bytes.subarray(at, at + size));
}

const concat = (frames: Uint8Array[]) => new Uint8Array(Buffer.concat(frames.map((f) => Buffer.from(f))));

test("every layout, ciphered glo and ded, each security control, in and out of block transfer, any chunking", () => {
  const rng = createRng(12);
  const controls = [0x30, 0x20, 0x10, 0x31, 0x21];
  let counter = 100;
  let n = 0;
  for (const spec of supportedSpecs()) {
    const input = randomReading(rng, spec);
    const sc = controls[n % controls.length];
    const dedicated = n % 2 === 1;
    const block = [0, 1, 17, 64][n % 4];
    const apdu = cipheredApdu(encodeApdu(input), { key: KEY, authKey: AUTH, systemTitle: TITLE, counter: ++counter,
      control: sc, dedicated });
    const stream = concat(frameOf(input, block ? blockTransfer(apdu, block) : [apdu]));
    const label = `${spec.maker}/${spec.country}/list ${spec.list} sc ${sc.toString(16)} ${dedicated ? "ded" : "glo"} block ${block}`;
    for (const chunk of [1, 5, stream.length]) {
      const authKey = sc & 0x10 ? AUTH : null;
      const ct = input.maker === "kamstrup" && (input.meterType || "").indexOf("685") === 0;
      const r = run({ key: KEY, authKey }, undefined, false, { scaling: { country: input.country, ct } });
      pushChunked(r.decoder, stream, chunk);
      assert.deepEqual(r.refused, [], label);
      assert.equal(r.readings.length, 1, label + " chunk " + chunk);
      check(input, r.readings[0], label);
    }
    n++;
  }
  assert.ok(n >= 40);
});

test("with an authentication key set, frames without a tag are refused (a downgrade), as are compression and suites past 1", () => {
  const rng = createRng(3);
  const input = randomReading(rng, supportedSpecs()[0]);
  const make = (control: number, counter: number) => concat(frameOf(input, [cipheredApdu(encodeApdu(input),
    { key: KEY, authKey: AUTH, systemTitle: TITLE, counter, control })]));
  const r = run({ key: KEY, authKey: AUTH });
  r.decoder.push(make(0x20, 1));
  const compressed = cipheredApdu(encodeApdu(input), { key: KEY, authKey: AUTH, systemTitle: TITLE, counter: 2, control: 0x30 });
  compressed[11] = 0xb0;
  r.decoder.push(concat(frameOf(input, [compressed])));
  r.decoder.push(make(0x32, 3));
  assert.equal(r.readings.length, 0);
  assert.equal(r.counters.decrypt_errors, 3);
  assert.match(r.refused[0], /not authenticated \(security control 0x20\) while han.authKey is set/);
  assert.match(r.refused[1], /security control 0xb0 not supported/);
  assert.match(r.refused[2], /security control 0x32 not supported/);
  // The same key without the authentication key reads the encryption-only frame.
  const open = run({ key: KEY, authKey: null });
  open.decoder.push(make(0x20, 1));
  assert.equal(open.readings.length, 1);
});

test("a refused frame does not move the frame counter: a forged high counter cannot lock the meter out", () => {
  const rng = createRng(4);
  const input = randomReading(rng, supportedSpecs()[0]);
  const good = (counter: number) => concat(frameOf(input, [cipheredApdu(encodeApdu(input),
    { key: KEY, authKey: AUTH, systemTitle: TITLE, counter })]));
  const forged = cipheredApdu(encodeApdu(input), { key: fromHex("00".repeat(16)), authKey: AUTH, systemTitle: TITLE,
    counter: 0xfffffff0 });
  const r = run({ key: KEY, authKey: AUTH });
  r.decoder.push(good(5));
  r.decoder.push(concat(frameOf(input, [forged])));
  r.decoder.push(good(6));
  assert.equal(r.readings.length, 2);
  assert.equal(r.counters.decrypt_errors, 1);
  assert.equal(r.counters.replays, 0);
});

describe("block transfer", () => {
  const rng = createRng(8);
  const input = randomReading(rng, supportedSpecs().filter((s) => s.maker === "kamstrup")[0]);
  const blocks = blockTransfer(encodeApdu(input), 20);
  const frames = frameOf(input, blocks);

  test("a lost block drops the message, counted; the next message whole decodes", () => {
    const r = run({ key: null, authKey: null });
    for (const i of [0, 1, 3, 4]) r.decoder.push(frames[i]);
    for (const f of frames) r.decoder.push(f);
    assert.ok(blocks.length > 5);
    assert.equal(r.readings.length, 1);
    assert.equal(r.counters.blocks_lost, 1);
    assert.deepEqual(r.refused, ["block transfer: blocks 3 to 3 lost; message dropped"]);
    check(input, r.readings[0], "after the loss");
  });

  test("a repeated block is counted and ignored; an older one is out of order", () => {
    const r = run({ key: null, authKey: null });
    r.decoder.push(frames[0]);
    r.decoder.push(frames[1]);
    r.decoder.push(frames[1]);
    r.decoder.push(frames[2]);
    r.decoder.push(frameOf(input, [new Uint8Array([0xe0, 0x40, 0, 2, 0, 0, 1, 0x99])])[0]);
    for (let i = 3; i < frames.length; i++) r.decoder.push(frames[i]);
    assert.equal(r.readings.length, 1);
    assert.equal(r.counters.blocks_duplicated, 1);
    assert.equal(r.counters.blocks_out_of_order, 1);
    check(input, r.readings[0], "despite the repeats");
  });

  test("a block later than the timeout drops the message; a new block 1 starts over", () => {
    let now = 0;
    const r = run({ key: null, authKey: null }, { now: () => now, blockTimeoutMs: 5000 });
    r.decoder.push(frames[0]);
    now = 5001;
    for (let i = 1; i < frames.length; i++) r.decoder.push(frames[i]);
    assert.equal(r.readings.length, 0);
    assert.equal(r.counters.blocks_lost, 1);
    assert.match(r.refused[0], /block 2 did not come within 5000 ms/);
    for (const f of frames) r.decoder.push(f);
    assert.equal(r.readings.length, 1);
  });

  test("a message longer than the maximum is dropped and counted, its memory not kept", () => {
    const r = run({ key: null, authKey: null }, { maxBlockTransfer: 50 });
    for (const f of frames) r.decoder.push(f);
    assert.equal(r.readings.length, 0);
    assert.equal(r.counters.oversize_frames, 1);
    assert.equal(r.refused.length, 1);
    assert.match(r.refused[0], /longer than 50 bytes/);
  });

  test("a ciphered APDU split over HDLC segments (S bit) and over blocks reassembles", () => {
    const apdu = cipheredApdu(encodeApdu(input), { key: KEY, authKey: AUTH, systemTitle: TITLE, counter: 9 });
    const segmented = hdlcSegments(llcPayload(apdu), addressingOf(input), 30);
    assert.ok(segmented.length > 3);
    const r = run({ key: KEY, authKey: AUTH });
    pushChunked(r.decoder, concat(segmented), 1);
    assert.equal(r.readings.length, 1);
    check(input, r.readings[0], "segmented");
  });
});

test("the simulated meter sends protected lists that decode as it sent them", () => {
  const security: MeterSecurity = { key: KEY, authKey: AUTH, blockSize: 40 };
  const meter = new MeterSimulator({ maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 5,
    startMs: Date.UTC(2025, 0, 10, 8), security });
  const sent = meter.advanceTo(Date.UTC(2025, 0, 10, 8, 1));
  assert.ok(sent.length >= 20);
  const r = run({ key: KEY, authKey: AUTH });
  pushChunked(r.decoder, concat(sent.map((s) => s.bytes)), 1);
  assert.equal(r.readings.length, sent.length);
  // List 1 carries no meter id: the decoder gives it the last one seen, so values and clock are compared.
  sent.forEach((s, i) => {
    const e = expectedReading(s.input);
    assert.deepEqual(r.readings[i].values, e.values, "frame " + i);
    assert.equal(r.readings[i].clock ? r.readings[i].clock.raw : null, e.clockRaw, "frame " + i);
  });
  assert.equal(r.counters.replays + r.counters.decrypt_errors + r.counters.blocks_lost, 0);
});

test("npm run decode --key/--auth-key: readings with the right keys; a wrong key, a bad tag, a replay or no key is one line on stderr and no values", async () => {
  const rng = createRng(21);
  const input = randomReading(rng, supportedSpecs().filter((s) => s.maker === "kamstrup")[0]);
  const apdu = (counter: number) => cipheredApdu(encodeApdu(input), { key: KEY, authKey: AUTH, systemTitle: TITLE, counter });
  const frame = (counter: number) => toHex(concat(frameOf(input, [apdu(counter)])));
  const keys = ["--key", toHex(KEY), "--auth-key", toHex(AUTH)];
  // The last line, the counters (with the framing they are of), is no reading.
  const readingLines = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("{") && !("counters" in JSON.parse(l)));

  const good = await runScript("scripts/decode.ts", ["--hex", frame(7), "--hex", frame(7)].concat(keys));
  assert.equal(readingLines(good.stdout).length, 1, good.stdout + good.stderr);
  assert.equal(JSON.parse(readingLines(good.stdout)[0]).active_power_import, expectedReading(input).values.active_power_import);
  assert.deepEqual(good.stderr.trim().split("\n"), ["decode: refused: frame counter 7 of 4b464d0102030405 is not above the last, 7: replayed"]);

  const tampered = apdu(8);
  tampered[tampered.length - 1] ^= 1;
  const refusals: [string[], RegExp][] = [
    [["--hex", frame(8), "--key", "00".repeat(16), "--auth-key", toHex(AUTH)], /the authentication tag does not match/],
    [["--hex", toHex(concat(frameOf(input, [tampered])))].concat(keys), /the authentication tag does not match/],
    [["--hex", frame(8)], /no key/],
  ];
  for (const [args, why] of refusals) {
    const r = await runScript("scripts/decode.ts", args);
    assert.equal(readingLines(r.stdout).length, 0, r.stdout);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], why);
  }
});

test("frame counters are kept for the last 4 system titles only: memory stays bounded whatever titles come", () => {
  const rng = createRng(6);
  const input = randomReading(rng, supportedSpecs()[0]);
  const frame = (title: number, counter: number) => concat(frameOf(input, [cipheredApdu(encodeApdu(input),
    { key: KEY, authKey: AUTH, systemTitle: new Uint8Array([0x4b, 0x46, 0x4d, 0, 0, 0, 0, title]), counter })]));
  const r = run({ key: KEY, authKey: AUTH });
  for (let t = 1; t <= 5; t++) r.decoder.push(frame(t, 100));
  r.decoder.push(frame(5, 100));
  r.decoder.push(frame(2, 100));
  assert.equal(r.counters.replays, 2, "titles 5 and 2 are still kept");
  r.decoder.push(frame(1, 100));
  assert.equal(r.counters.replays, 2, "title 1, the oldest, was let go");
  assert.equal(r.readings.length, 6);
});
