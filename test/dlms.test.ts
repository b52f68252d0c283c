// The DLMS layer on its own: every A-XDR type, the four date-time encodings of the Data-Notification header,
// and the COSEM date-time interpretation, against the project's encoder and hand-checked bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cursor, readData, AxdrNode } from "../lib/dlms/axdr";
import { readDataNotification } from "../lib/dlms/notification";
import { readCosemDateTime, daysFromCivil } from "../lib/dlms/cosem-datetime";
import { AxdrWriter, DateTimeFields } from "../scripts/sim/axdr-writer";
import { dataNotification, TimeEncoding } from "../scripts/sim/notification-writer";
import { fromHex } from "../lib/bytes";

function read(bytes: Uint8Array): AxdrNode {
  const c = cursor(bytes, 0, bytes.length);
  const node = readData(c, 0);
  assert.equal(c.pos, bytes.length, "consumed exactly");
  return node;
}

const CET_WINTER: DateTimeFields = { year: 2026, month: 1, day: 21, weekday: 3, hour: 16, minute: 0, second: 10,
  hundredths: null, deviation: -60, status: 0 };

test("every A-XDR type decodes to what was encoded", () => {
  const cases: [AxdrWriter, unknown][] = [
    [new AxdrWriter().nullData(), null],
    [new AxdrWriter().boolean(true), true],
    [new AxdrWriter().int32(-123456789), -123456789],
    [new AxdrWriter().uint32(4294967295), 4294967295],
    [new AxdrWriter().visibleString("AIDON_V0001"), "AIDON_V0001"],
    [new AxdrWriter().utf8String("abc"), "abc"],
    [new AxdrWriter().bcd(42), 42],
    [new AxdrWriter().int8(-3), -3],
    [new AxdrWriter().int16(-51), -51],
    [new AxdrWriter().uint8(200), 200],
    [new AxdrWriter().uint16(65535), 65535],
    [new AxdrWriter().long64(-5000000000), -5000000000],
    [new AxdrWriter().long64Unsigned(9007199254740991), 9007199254740991],
    [new AxdrWriter().enumValue(27), 27],
    [new AxdrWriter().float32(0.5), 0.5],
    [new AxdrWriter().float64(-1234.5678), -1234.5678],
  ];
  for (const [w, expected] of cases) assert.deepEqual(read(w.bytes()).value, expected);
  const octets = read(new AxdrWriter().octetString([1, 0, 1, 8, 0, 255]).bytes());
  assert.deepEqual(Array.from(octets.value as Uint8Array), [1, 0, 1, 8, 0, 255]);
  const bits = read(new AxdrWriter().bitString([true, false, true, true, false, false, false, false, true]).bytes());
  assert.deepEqual(Array.from(bits.value as Uint8Array), [0xb0, 0x80]);
  for (const [w, n] of [[new AxdrWriter().dateTime(CET_WINTER), 12], [new AxdrWriter().date(CET_WINTER), 5],
    [new AxdrWriter().time(CET_WINTER), 4]] as const) {
    assert.equal((read(w.bytes()).value as Uint8Array).length, n);
  }
  const nested = read(new AxdrWriter().structure(2).array(1).uint16(7).scalerUnit(-1, 35).bytes());
  assert.equal(((nested.value as AxdrNode[])[0].value as AxdrNode[])[0].value, 7);
});

test("A-XDR lengths in every form, and long strings", () => {
  const long = "x".repeat(300);
  assert.equal(read(new AxdrWriter().visibleString(long).bytes()).value, long);
  assert.equal(read(fromHex("0a8103616263")).value, "abc");
  assert.equal(read(fromHex("0a820003616263")).value, "abc");
  assert.equal(read(fromHex("0a8400000003616263")).value, "abc");
});

test("malformed A-XDR is refused with a reason, never read past the end", () => {
  const bad: [string, RegExp][] = [
    ["06000001", /past the end/],
    ["0a05616263", /past the end/],
    ["0285ff", /bad length/],
    ["02820fff0600000001", /cannot fit/],
    ["13", /unsupported type/],
    ["0201".repeat(9) + "00", /nesting/],
  ];
  for (const [hex, reason] of bad) {
    const bytes = fromHex(hex);
    assert.throws(() => readData(cursor(bytes, 0, bytes.length), 0), reason, hex);
  }
  // The cursor's end is the limit, not the buffer's: bytes beyond it belong to something else.
  const bytes = fromHex("060000000100");
  assert.throws(() => readData(cursor(bytes, 0, 3), 0), /past the end/);
});

test("the Data-Notification header accepts all four date-time encodings", () => {
  const body = new AxdrWriter().structure(1).uint32(1320).bytes();
  const encodings: TimeEncoding[] = ["none", "octet-string", "tagged-octet-string", "date-time"];
  for (const e of encodings) {
    const apdu = dataNotification(0x40000000, e, e === "none" ? null : CET_WINTER, body);
    const n = readDataNotification(apdu, 0, apdu.length);
    assert.equal(n.invokeId, 0x40000000);
    assert.equal(n.time === null, e === "none", e);
    if (n.time) assert.equal(n.time.local, "2026-01-21T16:00:10");
    assert.equal(((n.body.value as AxdrNode[])[0]).value, 1320);
  }
  assert.throws(() => readDataNotification(fromHex("0f400000000c07ea"), 0, 8), /truncated/);
  assert.throws(() => readDataNotification(fromHex("0f4000000077020106"), 0, 9), /date-time encoding/);
});

test("COSEM date-time: local label, deviation, daylight saving, unspecified fields", () => {
  const winter = readCosemDateTime(new AxdrWriter().dateTime(CET_WINTER).bytes(), 1)!;
  assert.equal(winter.local, "2026-01-21T16:00:10");
  assert.equal(winter.deviation, -60);
  assert.equal(winter.utc, "2026-01-21T15:00:10Z", "UTC = local + deviation");
  assert.equal(winter.dst, false);
  // EVN example from han-spec.md 3.4: deviation -120 with the DST bit is CEST.
  const summer = readCosemDateTime(fromHex("07e80615060c1e00ffff888000"), 0)!;
  assert.equal(summer.deviation, -120);
  assert.equal(summer.dst, true);
  assert.equal(summer.utc, "2024-06-21T10:30:00Z");
  // Kaifa and Kamstrup in Norway: deviation unspecified, so no UTC is invented from a local label.
  const norway = readCosemDateTime(fromHex("07e1090c0217122aff800000"), 0)!;
  assert.equal(norway.local, "2017-09-12T23:18:42");
  assert.equal(norway.deviation, null);
  assert.equal(norway.utc, null);
  assert.equal(norway.weekday, 2);
  const unknown = readCosemDateTime(fromHex("ffffffffffffffffff8000ff"), 0)!;
  assert.equal(unknown.local, "????-??-??T??:??:??");
  assert.equal(unknown.status, null);
  assert.equal(unknown.weekday, null);
  assert.equal(readCosemDateTime(fromHex("07e1"), 0), null);
});

test("days from the civil calendar agree with the host's Date over four centuries", () => {
  for (let t = Date.parse("1900-01-01T00:00:00Z"); t < Date.parse("2300-01-01T00:00:00Z"); t += 86400000 * 17) {
    const d = new Date(t);
    assert.equal(daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()), t / 86400000);
  }
});
