// The A-XDR, Data-Notification and HDLC writers on their own: each type's bytes, and a read-back through the
// project's decoding half where one exists.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AxdrWriter, DateTimeFields, cosemDateTime } from "../scripts/sim/axdr-writer";
import { hdlcFrame, hdlcSegments, llcPayload, HdlcAddressing, LLC_HEADER } from "../scripts/sim/hdlc-writer";
import { dataNotification, TimeEncoding } from "../scripts/sim/notification-writer";
import { cursor, readData } from "../lib/dlms/axdr";
import { readDataNotification } from "../lib/dlms/notification";
import { crc16x25 } from "../lib/crc16";
import { toHex as bytesHex } from "../lib/bytes";

function hexOf(build: (w: AxdrWriter) => AxdrWriter): string {
  return bytesHex(build(new AxdrWriter()).bytes());
}

const CLOCK: DateTimeFields = { year: 2024, month: 3, day: 31, weekday: 7, hour: 2, minute: 59, second: 58,
  hundredths: 12, deviation: -120, status: 0x80 };

test("A-XDR lengths use the short form below 0x80 and 81/82/84 above", function () {
  assert.equal(hexOf(function (w) { return w.axdrLength(0x7f); }), "7f");
  assert.equal(hexOf(function (w) { return w.axdrLength(0x80); }), "8180");
  assert.equal(hexOf(function (w) { return w.axdrLength(0xff); }), "81ff");
  assert.equal(hexOf(function (w) { return w.axdrLength(0x100); }), "820100");
  assert.equal(hexOf(function (w) { return w.axdrLength(0xffff); }), "82ffff");
  assert.equal(hexOf(function (w) { return w.axdrLength(0x10000); }), "8400010000");
  assert.equal(hexOf(function (w) { return w.octetString(new Uint8Array(200)); }).slice(0, 6), "0981c8");
});

test("every A-XDR type of han-spec 3.3 has its tag and big-endian body", function () {
  const cases: [string, (w: AxdrWriter) => AxdrWriter][] = [
    ["00", function (w) { return w.nullData(); }],
    ["0103", function (w) { return w.array(3); }],
    ["0212", function (w) { return w.structure(18); }],
    ["0301", function (w) { return w.boolean(true); }],
    ["0409b080", function (w) { return w.bitString([true, false, true, true, false, false, false, false, true]); }],
    ["05fffffffe", function (w) { return w.int32(-2); }],
    ["06ffffffff", function (w) { return w.uint32(4294967295); }],
    ["0903010203", function (w) { return w.octetString([1, 2, 3]); }],
    ["0a03414243", function (w) { return w.visibleString("ABC"); }],
    ["0c09c398e282acf09f9880", function (w) { return w.utf8String("\u00d8\u20ac\ud83d\ude00"); }],
    ["0d42", function (w) { return w.bcd(42); }],
    ["0ffd", function (w) { return w.int8(-3); }],
    ["10ffcd", function (w) { return w.int16(-51); }],
    ["11ff", function (w) { return w.uint8(255); }],
    ["120927", function (w) { return w.uint16(2343); }],
    ["14ffffffffffffffff", function (w) { return w.long64(-1); }],
    ["14ffe0000000000001", function (w) { return w.long64(-9007199254740991); }],
    ["15001fffffffffffff", function (w) { return w.long64Unsigned(9007199254740991); }],
    ["150000000100000005", function (w) { return w.long64Unsigned(4294967301); }],
    ["161b", function (w) { return w.enumValue(27); }],
    ["173fc00000", function (w) { return w.float32(1.5); }],
    ["18c00921fb54442d18", function (w) { return w.float64(-Math.PI); }],
    ["1907e8031f07023b3a0cff8880", function (w) { return w.dateTime(CLOCK); }],
    ["1a07e8031f07", function (w) { return w.date(CLOCK); }],
    ["1b023b3a0c", function (w) { return w.time(CLOCK); }],
    ["090c07e8031f07023b3a0cff8880", function (w) { return w.dateTimeOctets(CLOCK); }],
    ["09060100200700ff", function (w) { return w.obis([1, 0, 32, 7, 0, 255]); }],
    ["02020fff1623", function (w) { return w.scalerUnit(-1, 35); }],
  ];
  for (const c of cases) assert.equal(hexOf(c[1]), c[0]);
});

test("unspecified date-time fields become FF, FFFF and 8000", function () {
  const none: DateTimeFields = { year: null, month: null, day: null, weekday: null, hour: null, minute: null,
    second: null, hundredths: null, deviation: null, status: null };
  assert.equal(bytesHex(new Uint8Array(cosemDateTime(none))), "ffffffffffffffffff8000ff");
  const lastDay = Object.assign({}, none, { day: 0xfe });
  assert.equal(cosemDateTime(lastDay)[3], 0xfe);
});

test("out-of-range values are refused, not wrapped", function () {
  const w = new AxdrWriter();
  assert.throws(function () { w.uint16(65536); }, /uint16/);
  assert.throws(function () { w.uint32(-1); }, /uint32/);
  assert.throws(function () { w.int16(1.5); }, /int16/);
  assert.throws(function () { w.long64Unsigned(9007199254740992); }, /long64/);
  assert.throws(function () { w.dateTime(Object.assign({}, CLOCK, { month: 13 })); }, /month/);
  assert.throws(function () { w.dateTime(Object.assign({}, CLOCK, { day: 32 })); }, /day/);
  assert.throws(function () { w.visibleString("\u20ac"); }, /not a byte string/);
  assert.equal(w.length, 0);
});

test("what the writer writes, the A-XDR reader reads back", function () {
  const w = new AxdrWriter().structure(12).int32(-123456).uint32(3000000000).int16(-32768).uint16(65535)
    .int8(-128).uint8(200).long64(-5000000000).long64Unsigned(5000000000).float64(0.1).visibleString("KFM_001")
    .boolean(false).array(2).nullData().enumValue(30);
  const bytes = w.bytes();
  const c = cursor(bytes, 0, bytes.length);
  const node = readData(c, 0);
  assert.equal(c.pos, bytes.length);
  const values = (node.value as { value: unknown }[]).map(function (n) { return n.value; });
  assert.deepEqual(values.slice(0, 11), [-123456, 3000000000, -32768, 65535, -128, 200, -5000000000, 5000000000, 0.1,
    "KFM_001", false]);
});

test("the Data-Notification header carries the date-time in each of the four encodings", function () {
  const body = new AxdrWriter().structure(1).uint32(1320).bytes();
  const prefixes: [TimeEncoding, string][] = [["none", "00"], ["octet-string", "0c"], ["tagged-octet-string", "090c"],
    ["date-time", "19"]];
  for (const p of prefixes) {
    const apdu = dataNotification(0x40000000, p[0], p[0] === "none" ? null : CLOCK, body);
    const clock = p[0] === "none" ? "" : "07e8031f07023b3a0cff8880";
    assert.equal(bytesHex(apdu), "0f40000000" + p[1] + clock + "020106" + "00000528", p[0]);
    const parsed = readDataNotification(apdu, 0, apdu.length);
    assert.equal(parsed.invokeId, 0x40000000);
    assert.equal(parsed.time === null ? null : parsed.time.raw, p[0] === "none" ? null : clock);
  }
  assert.throws(function () { dataNotification(0, "octet-string", null, body); }, /needs a time/);
});

const AIDON: HdlcAddressing = { destination: [0x20], source: [4, 65], control: 0x13 };

function checkCrcs(frame: Uint8Array): void {
  const length = ((frame[1] & 7) << 8) | frame[2];
  assert.equal(frame.length, length + 2);
  assert.equal(frame[0], 0x7e);
  assert.equal(frame[frame.length - 1], 0x7e);
  const fcsAt = frame.length - 3;
  assert.equal(frame[fcsAt] | (frame[fcsAt + 1] << 8), crc16x25(frame, 1, fcsAt));
}

test("HDLC addresses follow the LSB rule; a frame without information has no HCS", function () {
  const frame = hdlcFrame([], 0, 0, AIDON, false);
  assert.equal(bytesHex(frame.subarray(0, 7)), "7ea00841088313");
  checkCrcs(frame);
  const four = hdlcFrame([1], 0, 1, { destination: [0x67, 0x7f], source: [1, 2, 3, 4], control: 3 }, false);
  assert.equal(bytesHex(four.subarray(3, 10)), "ceff02040609" + "03");
  assert.throws(function () { hdlcFrame([], 0, 0, { destination: [128], source: [1], control: 0x13 }, false); }, /7 bits/);
  assert.throws(function () { hdlcFrame(new Uint8Array(2040), 0, 2040, AIDON, false); }, /11-bit length/);
});

test("a long information field is segmented with the S bit on all but the last frame", function () {
  const apdu = new Uint8Array(700);
  for (let i = 0; i < apdu.length; i++) apdu[i] = (i * 7) & 0xff;
  const info = llcPayload(apdu);
  const frames = hdlcSegments(info, AIDON, 250);
  assert.equal(frames.length, 3);
  const joined: number[] = [];
  frames.forEach(function (f, i) {
    checkCrcs(f);
    assert.equal((f[1] & 0x08) !== 0, i < frames.length - 1, "S bit of segment " + i);
    assert.equal(f[1] & 0xf0, 0xa0);
    // 7E | format(2) | 41 | 08 83 | 13 | HCS(2) | information
    assert.equal(f[7] | (f[8] << 8), crc16x25(f, 1, 7), "HCS of segment " + i);
    for (let k = 9; k < f.length - 3; k++) joined.push(f[k]);
  });
  assert.deepEqual(joined.slice(0, 3), LLC_HEADER);
  assert.notEqual(bytesHex(frames[1].subarray(9, 12)), "e6e700");
  assert.deepEqual(new Uint8Array(joined), info);
  assert.equal(hdlcSegments(info, AIDON, 1000).length, 1);
});
