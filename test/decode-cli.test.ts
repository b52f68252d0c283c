// `npm run decode` as a user runs it: hex arguments, a file of hex lines, a binary capture on stdin, bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromHex } from "../lib/bytes";
import { loadVectors } from "./support/vectors";
import { runScript } from "./support/run-script";

const vectors = loadVectors();
const byId = (id: string) => vectors.find((v) => v.id === id)!;

async function decode(args: string[], input?: Buffer) {
  const r = await runScript("scripts/decode.ts", args, { input });
  const lines = r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  return { status: r.code, lines, stderr: r.stderr };
}

test("--hex prints a reading with the OBIS map and normalized keys, then the counters", async () => {
  const v = byId("aidon-no-list2-3p-6534");
  const { status, lines } = await decode(["--hex", v.hex]);
  assert.equal(status, 0);
  assert.equal(lines.length, 2);
  const [reading, tail] = lines;
  assert.equal(reading.list, 2);
  assert.equal(reading.active_power_import, 6942);
  assert.equal(reading.current_l1, 19.3);
  assert.deepEqual(reading.obis["1-0:32.7.0.255"], { value: 234.3, unit: "V" });
  assert.equal(reading.meter.id, "7359992895913195");
  assert.equal(tail.counters.frames_ok, 1);
});

test("a file of hex lines and a binary capture on stdin decode alike; a corrupt frame is counted, not fatal", async () => {
  const dir = mkdtempSync(join(tmpdir(), "decode-"));
  const good = ["kaifa-no-list3-MA304H3E-roarfred", "kamstrup-no-list2-3p-hassams", "aidon-no-list1-3p-7d-in-data"]
    .map((id) => byId(id).hex);
  const bad = byId("negative-kamstrup-incorrect-pkg-crc").hex;
  const file = join(dir, "frames.txt");
  writeFileSync(file, ["# a capture", good[0], bad, good[1], "", good[2]].join("\n"));
  const text = await decode([file]);
  assert.equal(text.status, 0);
  const binary = await decode(["-"], Buffer.concat([good[0], bad, good[1], good[2]].map((h) => Buffer.from(fromHex(h)))));
  assert.equal(binary.status, 0);
  for (const out of [text, binary]) {
    const readings = out.lines.filter((l) => l.obis);
    assert.deepEqual(readings.map((r) => r.list), [3, 3, 1]);
    const counters = out.lines[out.lines.length - 1].counters;
    assert.equal(counters.fcs_errors, 1);
    assert.equal(counters.frames_ok, 3);
  }
  assert.deepEqual(text.lines.slice(0, 3), binary.lines.slice(0, 3));
});

test("--tree prints the A-XDR tree before the reading; LLC payloads are accepted", async () => {
  const v = byId("aidon-no-list3-3w-6525-llc-only");
  const { status, lines } = await decode(["--tree", "--hex", v.hex]);
  assert.equal(status, 0);
  assert.equal(lines[0].tree.type, "array");
  assert.equal(lines[0].tree.items.length, 17);
  assert.equal(lines[0].tree.items[0].items[0].obis, "1-1:0.2.129.255");
  assert.equal(lines[1].active_energy_import, 22721380);
});

test("an encrypted capture is reported unsupported", async () => {
  const { status, lines } = await decode(["--hex", byId("kamstrup-dk-encrypted-nokey-gh73").hex]);
  assert.equal(status, 0);
  assert.match(lines[0].unsupported, /encrypted/);
  assert.equal(lines[1].counters.unsupported, 1);
});

test("invalid input gets a one-line error and a non-zero exit", async () => {
  for (const args of [["--hex", "7e0g"], ["--hex", "abc"], ["/no/such/file"], ["--layout", "nope", "--hex", "00"],
    ["--country", "norway", "--hex", "00"], ["--bogus"], ["--ct-ratio", "-3", "--hex", "00"]]) {
    const { status, stderr } = await decode(args);
    assert.equal(status, 2, args.join(" "));
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /^decode: /);
  }
});
