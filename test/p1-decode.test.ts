// `npm run decode` on P1 input as a user gives it: a capture of the line (found to be P1 by itself), encrypted
// Smarty frames with --key, a wrong key (one line on stderr per frame, no values on stdout), a P1 capture in hex.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MeterSimulator } from "../scripts/sim/meter";
import { runScript } from "./support/run-script";
import { loadVectors, capturesSkip } from "./support/vectors";

const KEY = "AE1D2BC0E4A2F6A9B5C1F0E3D2C1B0A9";

function capture(encrypted: boolean) {
  const start = Date.UTC(2026, 0, 1);
  const meter = new MeterSimulator({ maker: "kaifa", phases: 3, wires: 4, country: "NO", seed: 9, startMs: start,
    framing: "p1", p1Key: encrypted ? new Uint8Array(Buffer.from(KEY, "hex")) : undefined });
  // Three telegrams: a second apart, Smarty's 10 s apart.
  const frames = meter.advanceTo(start + (encrypted ? 20000 : 2000));
  return { bytes: Buffer.concat(frames.map((f) => f.bytes)), expected: frames.map((f) => f.p1!) };
}

async function decode(args: string[], input?: Buffer) {
  const r = await runScript("scripts/decode.ts", args, { input });
  const lines = r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  return { status: r.code, lines, stderr: r.stderr };
}

test("a P1 capture on standard input decodes by itself, sub-meter times included", async () => {
  const { bytes, expected } = capture(false);
  const { status, lines, stderr } = await decode(["-"], bytes);
  assert.equal(status, 0, stderr);
  assert.equal(lines.length, 4);
  lines.slice(0, 3).forEach((l, i) => {
    assert.equal(l.layout, "dsmr");
    assert.equal(l.active_power_import, expected[i].values.active_power_import);
    assert.equal(l.gas_volume, expected[i].values.gas_volume);
    assert.deepEqual(l.times, expected[i].times);
  });
  assert.equal(lines[3].counters.frames_ok, 3);
});

test("Smarty frames decode with --key; a wrong key is one line per frame on stderr and no values", async () => {
  const { bytes, expected } = capture(true);
  const right = await decode(["--key", KEY], bytes);
  assert.equal(right.status, 0, right.stderr);
  assert.deepEqual(right.lines.slice(0, 3).map((l) => l.active_energy_import),
    expected.map((e) => e.values.active_energy_import));
  const wrong = await decode(["--key", KEY.replace("AE", "AF")], bytes);
  assert.equal(wrong.status, 1);
  assert.deepEqual(wrong.lines.map((l) => Object.keys(l)), [["framing", "counters"]]);
  assert.equal(wrong.lines[0].framing, "p1");
  assert.equal(wrong.lines[0].counters.decrypt_errors, 3);
  assert.deepEqual(wrong.stderr.trim().split("\n"), Array(3).fill("decode: encrypted P1 frame refused: its tag does " +
    "not match (wrong key or authentication key?)"));
  // In hex, a frame starting with DB is taken for a bare DLMS APDU unless --p1 says otherwise.
  const frames = capture(true);
  const first = Buffer.from(frames.bytes.subarray(0, (frames.bytes[11] << 8 | frames.bytes[12]) + 13)).toString("hex");
  const hex = await decode(["--p1", "--key", KEY, "--hex", first]);
  assert.equal(hex.status, 0, hex.stderr);
  assert.equal(hex.lines[0].active_power_import, frames.expected[0].values.active_power_import);
  const bad = await decode(["--key", "12"], bytes);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--key must be 32 hex digits/);
});

test("a P1 capture in hex decodes like its bytes", { skip: capturesSkip(import.meta.url) }, async () => {
  const v = loadVectors().find((x) => x.id === "dsmr-kamstrup-omnia-se-gh578")!;
  const { status, lines } = await decode(["--hex", v.hex]);
  assert.equal(status, 0);
  assert.equal(lines[0].active_energy_import, 9621983);
  assert.equal(lines[0].clock.raw, "240407122854S");
});
