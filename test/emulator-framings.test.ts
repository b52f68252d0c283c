// Every framing end to end on the emulated ESP32 with the firmware bundle: an encrypted HDLC meter (Austrian
// style, general-glo-ciphering with its tag), an M-Bus meter, plain and encrypted (EVN's Kaifa MA309: ciphered
// APDUs without a tag in M-Bus segments), DSMR 5 P1 and Luxembourg's encrypted P1 (Smarty, every 10 s).
// The device starts with no stored serial setting, finds the framing by itself, loads the parts it needs, and
// publishes readings whose values are the simulator's; a wrong key publishes nothing and is counted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokerForFile, deviceConfig, emulate } from "./support/emulated-device";
import { meterSource } from "../scripts/emulator/index";
import type { MeterSourceOptions } from "../scripts/emulator/sources/meter";
import type { LineSettings } from "../scripts/emulator/line";
import { expectedReading } from "../scripts/sim/layouts";
import { fromHex, toHex } from "../lib/bytes";

const MINUTE = 60000;
const START = Date.UTC(2025, 4, 6, 10, 0, 0);
const KEY = fromHex("000102030405060708090A0B0C0D0E0F");
const AUTH_KEY = fromHex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF");

const { broker, recorder } = brokerForFile(["han/#"]);

interface Case {
  name: string;
  meter: Omit<MeterSourceOptions, "startMs" | "onFrame">;
  line: LineSettings;
  han: { [field: string]: string };
  /** What diag must say once the setting is found. */
  serial: string;
  framing: string;
}

const EVEN_2400: LineSettings = { baud: 2400, bytesize: 8, parity: "even", stopbits: 1 };

const CASES: Case[] = [
  { name: "encrypted HDLC (general-glo-ciphering with its tag)",
    meter: { maker: "generic", phases: 3, wires: 4, country: "AT", seed: 71, security: { key: KEY, authKey: AUTH_KEY } },
    line: EVEN_2400, han: { key: toHex(KEY), authKey: toHex(AUTH_KEY) }, serial: "2400 8E1", framing: "hdlc" },
  { name: "M-Bus at 9600 8E1",
    meter: { maker: "generic", phases: 3, wires: 4, country: "AT", seed: 72, framing: "mbus", mbusBaud: 9600 },
    line: { baud: 9600, bytesize: 8, parity: "even", stopbits: 1 }, han: {}, serial: "9600 8E1", framing: "mbus" },
  { name: "encrypted M-Bus (general-glo-ciphering without a tag, in segments)",
    meter: { maker: "generic", phases: 3, wires: 4, country: "AT", seed: 75, framing: "mbus",
      security: { key: KEY, authKey: AUTH_KEY, control: 0x20 } },
    line: EVEN_2400, han: { key: toHex(KEY) }, serial: "2400 8E1", framing: "mbus" },
  { name: "DSMR 5 P1",
    meter: { maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 73, framing: "p1", p1Version: "5.0" },
    line: { baud: 115200, bytesize: 8, parity: "none", stopbits: 1 }, han: {}, serial: "115200 8N1", framing: "p1" },
  { name: "Smarty (encrypted P1)",
    meter: { maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 74, framing: "p1", p1Version: "5.0", p1Key: KEY },
    line: { baud: 115200, bytesize: 8, parity: "none", stopbits: 1 }, han: { key: toHex(KEY) }, serial: "115200 8N1",
    framing: "p1" },
];

/** The values the simulator says each frame carries, in the order sent. */
type Sent = { [key: string]: number }[];

function run(c: Case, han: { [field: string]: string }, sent: Sent, base: string) {
  const country = c.meter.country;
  return emulate({ startMs: START,
    files: { "han.json": deviceConfig(broker().port, base.substr(4), { han, meter: { country } }) },
    source: meterSource(Object.assign({}, c.meter, { startMs: START, line: c.line,
      onFrame (f: { input: Parameters<typeof expectedReading>[0]; p1?: { values: { [key: string]: number } } }) {
        sent.push(f.p1 ? f.p1.values : expectedReading(f.input).values);
      } })) }, recorder);
}

for (const c of CASES) {
  test(c.name + ": found from no stored setting; readings carry the simulator's values", async function () {
    const base = "han/fr-" + c.framing + "-" + c.meter.seed;
    const sent: Sent = [];
    const emu = run(c, c.han, sent, base);
    try {
      assert.ok(await emu.advanceUntil(function () { return recorder.on(base + "/power").length >= 3; }, 8 * MINUTE),
        "no readings; console:\n" + emu.console.text());
      assert.deepEqual(emu.console.uncaught, [], emu.console.text());
      const power = recorder.json(base + "/power");
      for (const p of power) {
        // The frame it came from: the one with its import power (the simulator's household changes it each frame).
        const from = sent.filter((v) => { return v.active_power_import === p.active_power_import; });
        assert.ok(from.length > 0, "a power reading no frame carried: " + JSON.stringify(p));
        let compared = 0;
        for (const k of Object.keys(p)) {
          if (typeof p[k] !== "number" || from[0][k] === undefined) continue;
          assert.ok(from.some((v) => { return v[k] === p[k]; }), k + ": " + p[k] + " is no sent value");
          compared++;
        }
        assert.ok(compared >= 1);
      }
      assert.ok(await emu.advanceUntil(function () {
        const d = recorder.json(base + "/diag");
        return d.length > 0 && d[d.length - 1].serial_locked === true;
      }, 3 * MINUTE), "no diag with the setting locked");
      const diags = recorder.json(base + "/diag");
      const diag = diags[diags.length - 1];
      assert.equal(diag.serial, c.serial);
      assert.equal(diag.framing, c.framing);
      assert.ok((diag.readings as number) > 0);
      // Each setting tried is booked what came while it was tried: a framing's fresh reader starts its window.
      for (const t of diag.serial_tried as { bytes: number; frames_ok: number }[]) {
        assert.ok(t.bytes >= 0 && t.frames_ok >= 0, JSON.stringify(diag.serial_tried));
      }
      assert.equal(diag.decrypt_errors || 0, 0);
    } finally {
      emu.close();
    }
  });
}

test("encrypted HDLC with a wrong key: nothing published, decrypt_errors counted on diag", async function () {
  const c = CASES[0];
  const base = "han/fr-wrong-key";
  const sent: Sent = [];
  const wrong = new Uint8Array(KEY);
  wrong[15] ^= 1;
  const emu = run(c, { key: toHex(wrong), authKey: toHex(AUTH_KEY) }, sent, base);
  try {
    assert.ok(await emu.advanceUntil(function () {
      const d = recorder.json(base + "/diag");
      return d.length > 0 && (d[d.length - 1].decrypt_errors as number) >= 3;
    }, 4 * MINUTE), "no diag counting decrypt errors; console:\n" + emu.console.text());
    assert.ok(sent.length >= 3);
    assert.equal(recorder.on(base + "/power").length, 0);
    const diags = recorder.json(base + "/diag");
    const diag = diags[diags.length - 1];
    assert.equal(diag.readings, 0);
    assert.equal(diag.framing, "hdlc");
    assert.match(String(diag.last_error), /authentication tag does not match/);
  } finally {
    emu.close();
  }
});
