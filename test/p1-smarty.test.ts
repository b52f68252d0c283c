// Encrypted P1 (Luxembourg's Smarty): frames made by Node's own AES-128-GCM decrypt with a known key through
// lib/dlms/aes-gcm.ts; a wrong key, a flipped tag bit, a replayed or lower frame counter are refused and counted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { P1Decoder } from "../lib/p1/decoder";
import { P1Writer, smartyFrame, smartyAuthKey, SmartyFraming } from "../scripts/sim/p1-writer";
import { nodeBlockCipher } from "../scripts/node-aes";
import { crc16arc } from "../lib/p1/telegram-reader";
import * as rngModule from "../scripts/sim/random";
import type { Reading } from "../lib/reading";

const KEY = new Uint8Array(Buffer.from("000102030405060708090A0B0C0D0E0F", "hex"));
const TITLE = new Uint8Array(Buffer.from("5341476770006A41", "hex"));
const START = Date.UTC(2026, 0, 12, 8, 0, 0);

function telegram(i: number): { bytes: Uint8Array; values: { [key: string]: number } } {
  const t = new P1Writer({ version: "5.0", phases: 3, meterId: "SAG1030044663" }).telegram(START + i * 1000,
    { active_energy_import: 4e6 + i, active_power_import: 1234 + i, voltage_l1: 231.4, current_l1: 6 },
    [{ channel: 1, type: 3, id: "G0001", value: 512.25, capturedAt: START }]);
  return { bytes: t.bytes, values: t.expected.values };
}

function frame(i: number, f?: Partial<SmartyFraming>): Uint8Array {
  return smartyFrame(telegram(i).bytes, Object.assign({ key: KEY, systemTitle: TITLE, frameCounter: 100 + i }, f));
}

function run(frames: Uint8Array[], options?: { key?: Uint8Array; authKey?: Uint8Array; chunk?: number }) {
  const readings: Reading[] = [];
  const errors: string[] = [];
  const decoder = new P1Decoder({ onReading: (r) => readings.push(r), onError: (e) => errors.push(e),
    cipher: nodeBlockCipher(options && options.key || KEY), authKey: options && options.authKey });
  const stream = Buffer.concat(frames);
  const size = options && options.chunk || stream.length;
  for (let i = 0; i < stream.length; i += size) decoder.push(new Uint8Array(stream.subarray(i, i + size)));
  decoder.flush();
  return { readings, errors, c: decoder.counters };
}

test("Smarty frames decrypt with the known key into exactly the telegram's values, chunked down to one byte", () => {
  const frames = [0, 1, 2].map((i) => frame(i));
  // The frame as Smarty's specification lays it out: DB 08, the system title, 82 and the length, 30, the counter.
  assert.deepEqual([...frames[0].subarray(0, 2)], [0xdb, 0x08]);
  assert.deepEqual([...frames[0].subarray(2, 10)], [...TITLE]);
  assert.equal(frames[0][10], 0x82);
  assert.equal((frames[0][11] << 8 | frames[0][12]) + 13, frames[0].length);
  assert.equal(frames[0][13], 0x30);
  for (const chunk of [1, 5, 64, 0]) {
    const { readings, c } = run([new Uint8Array([0x00, 0xdb]), ...frames], { chunk });
    assert.equal(readings.length, 3, "chunk " + chunk);
    readings.forEach((r, i) => assert.deepEqual(r.values, telegram(i).values));
    assert.equal(readings[0].meter.id, "SAG1030044663");
    assert.deepEqual([c.decrypt_errors, c.replays, c.fcs_errors, c.frames_ok], [0, 0, 0, 3]);
    assert.equal(c.bytes_in, 2 + frames.reduce((n, f) => n + f.length, 0), "the line's bytes, not the plaintext's");
  }
});

test("a wrong key and a flipped tag bit are refused, counted and logged; nothing is published", () => {
  const wrongKey = run([frame(0)], { key: new Uint8Array(16).fill(7) });
  assert.deepEqual([wrongKey.readings.length, wrongKey.c.decrypt_errors], [0, 1]);
  assert.match(wrongKey.errors.join("\n"), /tag does not match/);
  const flipped = frame(0);
  flipped[flipped.length - 1] ^= 1;
  const bad = run([flipped, frame(1)]);
  assert.deepEqual([bad.readings.length, bad.c.decrypt_errors], [1, 1]);
  // The authentication key is part of the tag: another one than Smarty's needs telling.
  const ak = new Uint8Array(16).fill(0xa5);
  assert.equal(run([frame(0, { authKey: ak })]).c.decrypt_errors, 1);
  assert.equal(run([frame(0, { authKey: ak })], { authKey: ak }).readings.length, 1);
  assert.equal(run([frame(0, { authKey: smartyAuthKey() })]).readings.length, 1);
});

test("a replayed or lower frame counter is refused; a new system title (a replaced meter) starts afresh", () => {
  const { readings, c, errors } = run([frame(5), frame(5), frame(3), frame(6),
    frame(0, { systemTitle: new Uint8Array(8).fill(0x41), frameCounter: 1 })]);
  assert.equal(readings.length, 3);
  assert.equal(c.replays, 2);
  assert.match(errors.join("\n"), /frame counter 103 not above 105/);
});

test("encryption without authentication (0x20) is read and checked by the telegram's CRC; other modes are not", () => {
  const plain = run([frame(0, { security: 0x20 })]);
  assert.deepEqual(plain.readings[0].values, telegram(0).values);
  const other = frame(0);
  other[13] = 0x31;
  const refused = run([other, frame(1)]);
  assert.deepEqual([refused.readings.length, refused.c.unsupported], [1, 1]);
  assert.match(refused.errors[0], /security byte 0x31/);
});

test("a length field past the buffer, a cut frame and noise are counted, not thrown", () => {
  const f = frame(0);
  const huge = new Uint8Array(f);
  huge[11] = 0xff;
  const { readings, c } = run([huge.subarray(0, 40), new Uint8Array([0xdb, 0x09, 1, 2]), f, f.subarray(0, 100)]);
  assert.equal(readings.length, 1);
  assert.ok(c.oversize_frames >= 1 && c.length_errors >= 2, JSON.stringify(c));
});

test("100,000 hostile inputs to the encrypted framing: no throw, a fixed buffer, only genuine frames read", () => {
  const { createRng, randomInt, pick } = rngModule;
  const rng = createRng(77);
  const body = "/SAG5\\2T210-D\r\n\r\n1-0:1.7.0(00.500*kW)\r\n!";
  const crc = crc16arc(new Uint8Array(Buffer.from(body, "latin1")), 0, body.length).toString(16).toUpperCase().padStart(4, "0");
  const telegramBytes = new Uint8Array(Buffer.from(body + crc + "\r\n", "latin1"));
  let counter = 1;
  const good = () => smartyFrame(telegramBytes, { key: KEY, systemTitle: TITLE, frameCounter: counter++ });
  let readings = 0;
  const decoder = new P1Decoder({ onReading: (r) => { readings++; assert.equal(r.values.active_power_import, 500); },
    cipher: nodeBlockCipher(KEY), maxTelegram: 1024 });
  let sent = 0;
  for (let i = 0; i < 100000; i++) {
    let input: Uint8Array;
    const kind = randomInt(rng, 0, 5);
    if (kind === 0) {
      input = good();
      sent++;
    } else if (kind === 1) { // a frame with a byte changed: its header, length, counter, ciphertext or tag
      input = good();
      input[randomInt(rng, 0, input.length - 1)] ^= 1 << randomInt(rng, 0, 7);
    } else if (kind === 2) { // a length field of any value
      input = good();
      input[10] = pick(rng, [0x81, 0x82, 0x83, 0x7f, 0x00]);
      input[11] = randomInt(rng, 0, 255);
      input[12] = randomInt(rng, 0, 255);
    } else if (kind === 3) { // cut short
      input = good().subarray(0, randomInt(rng, 0, 60));
    } else if (kind === 4) { // noise full of DB 08
      input = new Uint8Array(randomInt(rng, 1, 300));
      for (let k = 0; k < input.length; k++) input[k] = rng() < 0.2 ? 0xdb : rng() < 0.2 ? 0x08 : randomInt(rng, 0, 255);
    } else { // a replay
      input = smartyFrame(telegramBytes, { key: KEY, systemTitle: TITLE, frameCounter: Math.max(1, counter - 5) });
    }
    decoder.push(input);
  }
  decoder.flush();
  const c = decoder.counters;
  assert.equal((decoder as unknown as { smarty: { buf: Uint8Array } }).smarty.buf.length, 1024 + 64);
  assert.ok(readings >= sent * 0.9 && readings <= sent + 20000, readings + " of " + sent);
  assert.ok(c.decrypt_errors > 1000 && c.replays > 1000 && c.length_errors > 1000, JSON.stringify(c));
});
