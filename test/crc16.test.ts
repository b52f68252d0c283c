import { test } from "node:test";
import assert from "node:assert/strict";
import { crc16x25 } from "../lib/crc16";
import { fromHex as hexBytes } from "../lib/bytes";
import { vector, capturesSkip } from "./support/vectors";

// The frames of real meters: frames from the project's encoder would only check the CRC against itself.
const CAPTURES = { skip: capturesSkip(import.meta.url) };

test("CRC-16/X-25 check value of \"123456789\" is 0x906E", function () {
  const bytes = new Uint8Array(Buffer.from("123456789", "ascii"));
  assert.equal(crc16x25(bytes, 0, bytes.length), 0x906e);
});

test("CRC-16/X-25 of an empty range is 0", function () {
  assert.equal(crc16x25(new Uint8Array(4), 2, 2), 0);
});

test("a real Kaifa frame's HCS and FCS match, sent least-significant byte first", CAPTURES, function () {
  const frame = hexBytes(vector("kaifa-no-list1-roarfred").hex);
  // 7E | A0 27 | 01 | 02 01 | 10 | HCS | ... | FCS | 7E
  const hcs = crc16x25(frame, 1, 7);
  assert.equal(hcs, 0x875a);
  assert.deepEqual([frame[7], frame[8]], [hcs & 0xff, hcs >> 8]);
  const end = frame.length - 3;
  const fcs = crc16x25(frame, 1, end);
  assert.deepEqual([frame[end], frame[end + 1]], [fcs & 0xff, fcs >> 8]);
});

test("the FCS over a whole Aidon list 3 frame matches and a flipped bit breaks it", CAPTURES, function () {
  const frame = hexBytes(vector("aidon-no-list3-3p-6534-hassams").hex);
  const end = frame.length - 3;
  const sent = frame[end] | (frame[end + 1] << 8);
  assert.equal(crc16x25(frame, 1, end), sent);
  frame[40] ^= 0x10;
  assert.notEqual(crc16x25(frame, 1, end), sent);
});

test("the table-driven CRC gives the bit-by-bit CRC for every length and offset", function () {
  const bytes = new Uint8Array(80);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 167 + 13) & 255;
  for (let start = 0; start < 9; start++) {
    for (let end = start; end <= bytes.length; end++) {
      let crc = 0xffff;
      for (let i = start; i < end; i++) {
        crc ^= bytes[i];
        for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
      }
      assert.equal(crc16x25(bytes, start, end), (crc ^ 0xffff) & 0xffff, `bytes ${start}..${end}`);
    }
  }
});
