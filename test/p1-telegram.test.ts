// DSMR P1 telegrams to readings: the real P1 captures of ../shared/han-vectors decoded to exactly their published
// values, the DSMR 5.0.2 companion standard's example telegram, DSMR 2.2's gas value on the line after, and the
// M-Bus sub-meters with their own capture times.
import { test } from "node:test";
import assert from "node:assert/strict";
import { P1Decoder } from "../lib/p1/decoder";
import { readTelegram } from "../lib/p1/telegram";
import { crc16arc } from "../lib/p1/telegram-reader";
import type { Reading } from "../lib/reading";
import { loadVectors, capturesSkip } from "./support/vectors";

const CAPTURES = { skip: capturesSkip(import.meta.url) };

function decodeAll(bytes: Uint8Array): { readings: Reading[]; decoder: P1Decoder } {
  const readings: Reading[] = [];
  const decoder = new P1Decoder({ onReading: (r) => readings.push(r) });
  decoder.push(bytes);
  decoder.flush();
  return { readings, decoder };
}

/** A telegram body ("/" .. "!") with its CRC and line end. */
function withCrc(body: string): Uint8Array {
  const raw = Buffer.from(body, "latin1");
  return new Uint8Array(Buffer.from(body + crc16arc(raw, 0, raw.length).toString(16).toUpperCase().padStart(4, "0") +
    "\r\n", "latin1"));
}

/** What a published value "00000896.020 kWh" is in the reading's base unit (Wh), by the units' own definitions. */
function inBaseUnit(text: string): { value: number; unit: string } {
  const [number, unit] = text.split(" ");
  const [whole, fraction = ""] = number.split(".");
  const units = Number(whole + fraction);
  const base = unit.replace(/^k/, "").replace(/^VAr/, "var");
  return { value: /^k/.test(unit) ? units * 10 ** (3 - fraction.length) : units / 10 ** fraction.length, unit: base };
}

test("CRC-16/ARC: check value of \"123456789\" is 0xBB3D, and every P1 capture's CRC matches", CAPTURES, () => {
  const check = new Uint8Array(Buffer.from("123456789", "ascii"));
  assert.equal(crc16arc(check, 0, check.length), 0xbb3d);
  const p1 = loadVectors().filter((v) => v.framing === "dsmr-p1");
  assert.ok(p1.length >= 5);
  for (const v of p1) {
    const bytes = Buffer.from(v.hex, "hex");
    const bang = bytes.indexOf(0x21);
    assert.equal(crc16arc(new Uint8Array(bytes), 0, bang + 1).toString(16).toUpperCase().padStart(4, "0"),
      bytes.subarray(bang + 1, bang + 5).toString("latin1"), v.id);
  }
});

test("every P1 capture decodes to exactly its published values", CAPTURES, () => {
  for (const v of loadVectors().filter((x) => x.framing === "dsmr-p1")) {
    const { readings, decoder } = decodeAll(new Uint8Array(Buffer.from(v.hex, "hex")));
    assert.equal(readings.length, 1, v.id);
    assert.equal(decoder.counters.unknown_lines, 0, v.id);
    const r = readings[0];
    for (const [code, text] of Object.entries(v.expected)) {
      if (code === "ident") {
        assert.equal(r.meter.manufacturer, text.substr(1, 3).toUpperCase(), v.id);
        continue;
      }
      const got = r.obis[code + ".255"];
      assert.ok(got, v.id + " " + code);
      if (code === "0-0:1.0.0") {
        assert.equal(r.clock!.raw, text);
        assert.equal(r.clock!.dst, text.endsWith("S"), v.id + " dst flag");
      } else if (code === "0-1:24.2.1") {
        const [stamp, number, unit] = text.split(" ");
        assert.deepEqual([got.value, got.unit], [Number(number), unit], v.id + " " + code);
        assert.equal(r.values.gas_volume, Number(number));
        assert.equal(r.times!.gas_volume, "20" + stamp.substr(0, 2) + "-" + stamp.substr(2, 2) + "-" + stamp.substr(4, 2) +
          "T" + stamp.substr(6, 2) + ":" + stamp.substr(8, 2) + ":" + stamp.substr(10, 2));
      } else if (/ [A-Za-z]+$/.test(text) && code.startsWith("1-0:") && !code.startsWith("1-0:99.")) {
        const want = inBaseUnit(text);
        assert.equal(got.value, want.value, v.id + " " + code);
        assert.equal(got.unit, want.unit, v.id + " " + code);
      } else if (/^[0-9]+$/.test(text) && !code.startsWith("0-0:96.1.") && !code.startsWith("0-1:96.1.") &&
        code !== "1-3:0.2.8") {
        assert.equal(got.value, Number(text), v.id + " " + code);
      } else {
        assert.equal(got.value, text, v.id + " " + code);
      }
    }
    assert.equal(Object.keys(r.obis).length, Object.keys(v.expected).length - 1, v.id + ": nothing more, nothing less");
  }
});

test("a Swedish P1 meter gives the keys and units of a Norwegian HDLC one", CAPTURES, () => {
  const v = loadVectors().find((x) => x.id === "dsmr-lg-e360-se-gh382")!;
  const r = decodeAll(new Uint8Array(Buffer.from(v.hex, "hex"))).readings[0];
  assert.equal(r.values.active_energy_import, 2721126);
  assert.equal(r.values.reactive_energy_import, 1384336);
  assert.equal(r.values.active_power_import, 4190);
  assert.equal(r.values.active_power_import_l2, 354);
  assert.equal(r.values.reactive_power_export_l3, 1044);
  assert.equal(r.values.voltage_l1, 230.7);
  assert.equal(r.values.current_l3, 9.2);
  // 27 objects: the clock and 26 values.
  assert.equal(Object.keys(r.values).length, 26);
});

test("a Dutch meter's total registers are the sums of its tariff registers, exact in Wh", CAPTURES, () => {
  const v = loadVectors().find((x) => x.id === "dsmr-kaifa-nl-v42-dsmrparser")!;
  const r = decodeAll(new Uint8Array(Buffer.from(v.hex, "hex"))).readings[0];
  assert.equal(r.values.active_energy_import_t1, 1581123);
  assert.equal(r.values.active_energy_import_t2, 1435706);
  assert.equal(r.values.active_energy_import, 1581123 + 1435706);
  assert.equal(r.values.active_energy_export, 0);
  assert.equal(r.meter.list_version, "42");
});

/** The example telegram of the DSMR P1 companion standard 5.0.2 (its values; the printed CRC is not reproducible
 *  from the printed text, so the CRC here is computed, and the CRC itself is checked against the captures). */
const DSMR5_EXAMPLE = [
  "/ISk5\\2MT382-1000", "", "1-3:0.2.8(50)", "0-0:1.0.0(101209113020W)",
  "0-0:96.1.1(4B384547303034303436333935353037)", "1-0:1.8.1(123456.789*kWh)", "1-0:1.8.2(123456.789*kWh)",
  "1-0:2.8.1(123456.789*kWh)", "1-0:2.8.2(123456.789*kWh)", "0-0:96.14.0(0002)", "1-0:1.7.0(01.193*kW)",
  "1-0:2.7.0(00.000*kW)", "0-0:96.7.21(00004)", "0-0:96.7.9(00002)",
  "1-0:99.97.0(2)(0-0:96.7.19)(101208152415W)(0000000240*s)(101208151004W)(0000000301*s)", "1-0:32.32.0(00002)",
  "1-0:52.32.0(00001)", "1-0:72.32.0(00000)", "1-0:32.36.0(00000)", "1-0:52.36.0(00003)", "1-0:72.36.0(00000)",
  "0-0:96.13.0(303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F" +
    "303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F)",
  "1-0:32.7.0(220.1*V)", "1-0:52.7.0(220.2*V)", "1-0:72.7.0(220.3*V)", "1-0:31.7.0(001*A)", "1-0:51.7.0(002*A)",
  "1-0:71.7.0(003*A)", "1-0:21.7.0(01.111*kW)", "1-0:41.7.0(02.222*kW)", "1-0:61.7.0(03.333*kW)",
  "1-0:22.7.0(04.444*kW)", "1-0:42.7.0(05.555*kW)", "1-0:62.7.0(06.666*kW)", "0-1:24.1.0(003)",
  "0-1:96.1.0(3232323241424344313233343536373839)", "0-1:24.2.1(101209112500W)(12785.123*m3)", "!",
].join("\r\n");

test("the DSMR 5.0.2 example telegram decodes to the standard's values", () => {
  const { readings, decoder } = decodeAll(withCrc(DSMR5_EXAMPLE));
  assert.equal(readings.length, 1);
  assert.equal(decoder.counters.unknown_lines, 0);
  const r = readings[0];
  assert.deepEqual(r.meter, { id: "K8EG004046395507", type: "MT382-1000", list_version: "50", manufacturer: "ISK" });
  assert.deepEqual(r.clock, { raw: "101209113020W", local: "2010-12-09T11:30:20", deviation: -60, weekday: 4, status: 0,
    dst: false, utc: "2010-12-09T10:30:20Z" });
  assert.deepEqual(r.values, {
    active_energy_import_t1: 123456789, active_energy_import_t2: 123456789, active_energy_export_t1: 123456789,
    active_energy_export_t2: 123456789, active_energy_import: 246913578, active_energy_export: 246913578,
    active_power_import: 1193, active_power_export: 0,
    voltage_l1: 220.1, voltage_l2: 220.2, voltage_l3: 220.3, current_l1: 1, current_l2: 2, current_l3: 3,
    active_power_import_l1: 1111, active_power_import_l2: 2222, active_power_import_l3: 3333,
    active_power_export_l1: 4444, active_power_export_l2: 5555, active_power_export_l3: 6666,
    gas_volume: 12785.123,
  });
  assert.deepEqual(r.times, { gas_volume: "2010-12-09T11:25:00" });
  const o = (code: string) => r.obis[code + ".255"].value;
  assert.equal(o("0-0:96.14.0"), 2);
  assert.equal(o("0-0:96.7.21"), 4);
  assert.equal(o("0-0:96.7.9"), 2);
  assert.equal(o("1-0:99.97.0"), "2 0-0:96.7.19 101208152415W 0000000240 s 101208151004W 0000000301 s");
  assert.deepEqual(["32.32.0", "52.32.0", "72.32.0", "32.36.0", "52.36.0", "72.36.0"].map((c) => o("1-0:" + c)),
    [2, 1, 0, 0, 3, 0]);
  assert.equal(o("0-0:96.13.0"), "0123456789:;<=>?".repeat(5));
  assert.equal(o("0-1:24.1.0"), 3);
  assert.equal(o("0-1:96.1.0"), "2222ABCD123456789");
});

test("DSMR 2.2: no CRC, the gas value on the line after its 24.3.0 object, a time stamp without S/W", () => {
  const body = ["/ISk5\\2MT382-1004", "", "0-0:96.1.1(4B384547303034303436333935353037)",
    "1-0:1.8.1(00185.000*kWh)", "1-0:1.8.2(00084.000*kWh)", "1-0:2.8.1(00013.000*kWh)", "1-0:2.8.2(00019.000*kWh)",
    "0-0:96.14.0(0001)", "1-0:1.7.0(0000.98*kW)", "1-0:2.7.0(0000.00*kW)", "0-0:17.0.0(0999.00*kW)",
    "0-0:96.3.10(1)", "0-0:96.13.1()", "0-0:96.13.0()", "0-1:24.1.0(3)", "0-1:96.1.0(3238313031453631373038389930337131)",
    "0-1:24.3.0(121030140000)(00)(60)(1)(0-1:24.2.1)(m3)", "(00124.477)", "0-1:24.4.0(1)", "!"].join("\r\n");
  const { readings, decoder } = decodeAll(new Uint8Array(Buffer.from(body + "\r\n", "latin1")));
  assert.equal(readings.length, 1);
  assert.equal(decoder.counters.unchecked, 1);
  assert.equal(decoder.counters.unknown_lines, 0);
  const r = readings[0];
  assert.equal(r.clock, null);
  assert.equal(r.values.active_power_import, 980);
  assert.equal(r.values.active_energy_import, 269000);
  assert.equal(r.values.active_energy_export, 32000);
  assert.equal(r.values.gas_volume, 124.477);
  assert.deepEqual(r.times, { gas_volume: "2012-10-30T14:00:00" });
  assert.deepEqual(r.obis["0-1:24.3.0.255"], { value: 124.477, unit: "m3" });
});

test("sub-meters by device type: gas, water and heat each under its key with its own time; a second gas meter " +
  "and a unit that does not fit its type stay in obis only", () => {
  const body = ["/KFM5KAIFA-METER", "", "1-3:0.2.8(50)", "0-0:1.0.0(260630120001S)", "1-0:1.7.0(00.500*kW)",
    "0-1:24.1.0(007)", "0-1:96.1.0(57415445523031)", "0-1:24.2.1(260630115500S)(00123.456*m3)",
    "0-2:24.1.0(003)", "0-2:24.2.1(260630120000S)(01234.567*m3)",
    "0-3:24.1.0(004)", "0-3:24.2.1(260630110000S)(00012.345*GJ)",
    "0-4:24.1.0(003)", "0-4:24.2.1(260630120000S)(00999.000*m3)", "!"].join("\r\n");
  const r = decodeAll(withCrc(body)).readings[0];
  assert.deepEqual(r.values, { active_power_import: 500, water_volume: 123.456, gas_volume: 1234.567,
    heat_energy: 12.345 });
  assert.deepEqual(r.times, { water_volume: "2026-06-30T11:55:00", gas_volume: "2026-06-30T12:00:00",
    heat_energy: "2026-06-30T11:00:00" });
  assert.deepEqual(r.obis["0-4:24.2.1.255"], { value: 999, unit: "m3" });
  assert.equal(r.obis["0-1:96.1.0.255"].value, "WATER01");
  const wrongUnit = readTelegram(body.replace("(00012.345*GJ)", "(00012.345*m3)")).reading;
  assert.equal(wrongUnit.values.heat_energy, undefined);
});

test("unknown objects and malformed lines are counted and kept out of the values", () => {
  const body = ["/KFM5KAIFA-METER", "", "1-0:1.7.0(00.500*kW)", "1-0:1.7.0(00.5x0*kW)", "0-0:99.99.9(hello)",
    "1-0:2.7.0(00.100*V)", "1-0:32.7.0(230.0*V", "garbage", "1-0:31.7.0(0x10*A)", "1-0:51.7.0( 1*A)",
    "1-0:71.7.0(1.*A)", "1-0:21.7.0(-1.000*kW)", "1-0:41.7.0(*kW)", "1-0:61.7.0(1234567890123456*kW)",
    "1-0:1.8.1(001.2.3*kWh)", "!"].join("\r\n");
  const { reading, unknown } = readTelegram(body);
  assert.equal(unknown, 12);
  assert.deepEqual(reading.values, { active_power_import: 500 });
  assert.throws(() => readTelegram("1-0:1.7.0(1*kW)\r\n!"), /no identification line/);
});

test("a meter's next telegrams are read anew: values, units, identifiers and capture times that change", () => {
  const telegram = (power: string, unit: string, id: string, gasTime: string, gas: string) => ["/ISK5\\2M550T-1012", "",
    "0-0:96.1.1(" + id + ")", "1-0:1.7.0(" + power + "*" + unit + ")", "0-1:24.1.0(003)",
    "0-1:24.2.1(" + gasTime + ")(" + gas + "*m3)", "!"].join("\r\n");
  const seen = [
    readTelegram(telegram("01.193", "kW", "4530303034", "260201110000W", "00101.001")).reading,
    readTelegram(telegram("01.193", "W", "4530303035", "260201110500W", "00101.002")).reading,
    readTelegram(telegram("02.000", "kW", "4530303035", "260201110500W", "00101.002")).reading,
    readTelegram(telegram("02.000", "kW", "4530303034", "260201110000W", "00101.001")).reading,
  ];
  assert.deepEqual(seen.map((r) => r.values.active_power_import), [1193, 1.193, 2000, 2000]);
  assert.deepEqual(seen.map((r) => r.meter.id), ["E0004", "E0005", "E0005", "E0004"]);
  assert.deepEqual(seen.map((r) => r.values.gas_volume), [101.001, 101.002, 101.002, 101.001]);
  assert.deepEqual(seen.map((r) => r.times && r.times.gas_volume), ["2026-02-01T11:00:00", "2026-02-01T11:05:00",
    "2026-02-01T11:05:00", "2026-02-01T11:00:00"]);
  assert.deepEqual(seen.map((r) => r.obis["1-0:1.7.0.255"]), [{ value: 1193, unit: "W" }, { value: 1.193, unit: "W" },
    { value: 2000, unit: "W" }, { value: 2000, unit: "W" }]);
  // A unit that is not the quantity's, after one that was, is no value.
  const wrong = readTelegram(telegram("01.193", "V", "4530303034", "260201110000W", "00101.001"));
  assert.equal(wrong.reading.values.active_power_import, undefined);
  assert.equal(wrong.unknown, 1);
});

test("the objects end at the first line that begins with \"!\", and a \"!\" inside a line ends nothing", () => {
  const body = ["/ISK5\\2M550T-1012", "", "0-0:96.13.0(a!b)", "1-0:1.7.0(01.193*kW)", "  !", "1-0:2.7.0(00.100*kW)",
    "!1234"].join("\r\n");
  const { reading, unknown } = readTelegram(body);
  assert.deepEqual(reading.values, { active_power_import: 1193 });
  assert.equal(reading.obis["0-0:96.13.0.255"].value, "a!b");
  assert.equal(unknown, 0);
  assert.equal(reading.obis["1-0:2.7.0.255"], undefined);
});
