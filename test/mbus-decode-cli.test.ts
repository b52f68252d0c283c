// `npm run decode` on M-Bus input as a user has it: a binary capture that starts mid-line (its framing found by
// its first valid frame), one frame per hex line (segments reassembled across lines), a forced framing, a bad
// --framing, and a capture with no valid frame of any framing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "../lib/bytes";
import { encodeApdu, expectedReading, ListInput } from "../scripts/sim/layouts";
import { randomReading } from "../scripts/sim/random-reading";
import { createRng } from "../scripts/sim/random";
import { mbusSegments, mbusTelegram } from "../scripts/sim/mbus-writer";
import { runScript } from "./support/run-script";

const rng = createRng(905);
const INPUT: ListInput = randomReading(rng, { maker: "generic", phases: 3, wires: 4, list: 3, country: "AT" });
const APDU = encodeApdu(INPUT);

async function decode(args: string[], input?: Buffer) {
  const r = await runScript("scripts/decode.ts", args, { input });
  const lines = r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  return { status: r.code, lines, stderr: r.stderr };
}

function checkReading(line: { [key: string]: unknown }): void {
  const e = expectedReading(INPUT);
  for (const key of Object.keys(e.values)) assert.equal(line[key], e.values[key], key);
}

test("a binary M-Bus capture that starts mid-frame is found to be M-Bus and decodes", async () => {
  const telegram = mbusTelegram(APDU, 100);
  assert.equal(mbusSegments(APDU, 100).length > 1, true, "several segments");
  const capture = Buffer.concat([Buffer.from(telegram.subarray(150)), Buffer.from(telegram), Buffer.from(telegram)]);
  const r = await decode(["-"], capture);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.lines.length, 3, "two readings and the counters");
  checkReading(r.lines[0]);
  const tail = r.lines[2];
  assert.equal(tail.framing, "mbus");
  assert.equal(tail.counters.readings, 2);
  assert.ok(tail.counters.segments_lost >= 1, "the cut telegram's later segments, orphaned");
  assert.equal(tail.counters.bytes_in, capture.length, "the bytes held while the framing was unknown are decoded too");
});

test("one M-Bus frame per hex line: the segments of an APDU come together across lines", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mbus-decode-"));
  const file = join(dir, "frames.txt");
  writeFileSync(file, "# an Austrian meter\n" + mbusSegments(APDU, 64).map((f) => toHex(f)).join("\n") + "\n");
  const r = await decode([file]);
  assert.equal(r.status, 0, r.stderr);
  checkReading(r.lines[0]);
  assert.equal(r.lines[r.lines.length - 1].counters.readings, 1);
});

test("--framing forces a framing, and names the accepted ones when it is wrong", async () => {
  const forced = await decode(["--framing", "hdlc", "-"], Buffer.from(mbusTelegram(APDU)));
  assert.equal(forced.status, 1, "M-Bus bytes read as HDLC give no frame");
  assert.match(forced.stderr, /no frames found in standard input/);
  const right = await decode(["--framing", "mbus", "-"], Buffer.from(mbusTelegram(APDU)));
  assert.equal(right.status, 0, right.stderr);
  checkReading(right.lines[0]);
  const bad = await decode(["--framing", "x25"], Buffer.alloc(0));
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim(), 'decode: --framing must be one of auto, hdlc, mbus; got "x25"');
});

test("bytes with no valid frame of any framing: one clear line, exit 1", async () => {
  const noise = Buffer.from(Array.from({ length: 2000 }, (_, i) => [0x68, 0x7e, 0x10, (i * 37) & 255][i % 4]));
  const r = await decode(["-"], noise);
  assert.equal(r.status, 1);
  assert.match(r.stderr.trim(), /^decode: no frames found in standard input \(2000 bytes\): a capture holds HDLC frames .* or M-Bus frames/);
  assert.equal(r.stderr.trim().split("\n").length, 1);
});
