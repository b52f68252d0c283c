// `npm run decode` as a user runs it: hex arguments, a file of hex lines, a binary capture on stdin, a live line
// whose bytes come slowly, bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromHex, toHex } from "../lib/bytes";
import { listSpec, sampleFrame } from "./support/layout-frames";
import { encodeLlc, encodeApdu } from "../scripts/sim/layouts";
import { cipheredApdu } from "../scripts/sim/secure-writer";
import { P1Writer, smartyFrame } from "../scripts/sim/p1-writer";
import { hdlcFrame, llcPayload } from "../scripts/sim/hdlc-writer";
import { SCHEMA } from "../lib/config/schema";
import { runScript, startScript } from "./support/run-script";

const AIDON_LIST1 = sampleFrame(listSpec("aidon", 3, 4, 1, "NO"), 1);
const AIDON_LIST2 = sampleFrame(listSpec("aidon", 3, 4, 2, "NO"), 2);
const KAIFA_LIST3 = toHex(sampleFrame(listSpec("kaifa", 3, 3, 3, "NO"), 3).frame);
const KAMSTRUP_LIST3 = sampleFrame(listSpec("kamstrup", 3, 3, 3, "NO"), 4);

/** A frame whose FCS does not match its content. */
function corrupted(frame: Uint8Array): string {
  const bad = Uint8Array.from(frame);
  bad[bad.length - 3] ^= 0x01;
  return toHex(bad);
}

/** A general-glo-ciphering APDU (tag DB): system title, then security header, frame counter and sealed bytes. */
function encryptedFrame(): string {
  const sealed = [0x30, 0x00, 0x00, 0x12, 0x34].concat(Array.from({ length: 40 }, (_, i) => (i * 73 + 5) & 0xff));
  const info = llcPayload([0xdb, 0x08, 0x4b, 0x41, 0x4d, 0x00, 0x00, 0x00, 0x00, 0x01, sealed.length].concat(sealed));
  return toHex(hdlcFrame(info, 0, info.length, { destination: [0x01], source: [0x01, 0x00], control: 0x10 }, false));
}

async function decode(args: string[], input?: Buffer) {
  const r = await runScript("scripts/decode.ts", args, { input });
  const lines = r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  return { status: r.code, lines, stderr: r.stderr };
}

test("--hex prints a reading with the OBIS map and normalized keys, then the counters", async () => {
  const expected = AIDON_LIST2.expected;
  const { status, lines } = await decode(["--hex", toHex(AIDON_LIST2.frame)]);
  assert.equal(status, 0);
  assert.equal(lines.length, 2);
  const [reading, tail] = lines;
  assert.equal(reading.list, 2);
  assert.equal(reading.active_power_import, expected.values.active_power_import);
  assert.equal(reading.current_l1, expected.values.current_l1);
  assert.deepEqual(reading.obis["1-0:32.7.0.255"], { value: expected.values.voltage_l1, unit: "V" });
  assert.equal(reading.meter.id, expected.meter.id);
  assert.equal(tail.counters.frames_ok, 1);
});

test("a file of hex lines and a binary capture on stdin decode alike; a corrupt frame is counted, not fatal", async () => {
  const dir = mkdtempSync(join(tmpdir(), "decode-"));
  const good = [KAIFA_LIST3, toHex(KAMSTRUP_LIST3.frame), toHex(AIDON_LIST1.frame)];
  const bad = corrupted(KAMSTRUP_LIST3.frame);
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
  const input = sampleFrame(listSpec("aidon", 3, 3, 3, "NO"), 5);
  const { status, lines } = await decode(["--tree", "--hex", toHex(encodeLlc(input.input))]);
  assert.equal(status, 0);
  assert.equal(lines[0].tree.type, "array");
  assert.equal(lines[0].tree.items.length, 17);
  assert.equal(lines[0].tree.items[0].items[0].obis, "1-1:0.2.129.255");
  assert.equal(lines[1].active_energy_import, input.expected.values.active_energy_import);
});

test("an encrypted frame without --key is refused as \"no key\", one line on stderr, no values", async () => {
  const { status, lines, stderr } = await decode(["--hex", encryptedFrame()]);
  assert.equal(status, 0);
  assert.equal(lines.length, 1, "the counters only");
  assert.match(stderr, /^decode: refused: encrypted APDU from [0-9a-f]{16}: no key \(han.key\)\n$/);
  assert.equal(lines[0].counters.no_key, 1);
});

test("a DB frame with --key goes by what the key opens: a bare ciphered DLMS APDU to the DLMS path, a Smarty " +
  "frame (hex or binary) to P1", async () => {
  const key = new Uint8Array(16).map((_, i) => i + 1);
  const authKey = new Uint8Array(16).fill(0xd0);
  const title = new Uint8Array([0x4b, 0x46, 0x4d, 0, 0, 0, 0, 7]);
  const apdu = cipheredApdu(encodeApdu(AIDON_LIST2.input), { key, authKey, systemTitle: title, counter: 5 });
  const dlms = await decode(["--key", toHex(key), "--auth-key", toHex(authKey), "--hex", toHex(apdu)]);
  assert.equal(dlms.status, 0, dlms.stderr);
  assert.equal(dlms.lines[0].active_power_import, AIDON_LIST2.expected.values.active_power_import);
  assert.equal(dlms.lines[0].list, 2);
  const telegram = new P1Writer({ version: "5.0", phases: 3, meterId: "E0012345678901234" })
    .telegram(Date.UTC(2026, 5, 1), { active_energy_import: 1e7, active_power_import: 1234 }, []);
  const frame = smartyFrame(telegram.bytes, { key, systemTitle: title, frameCounter: 9 });
  for (const input of [["--hex", toHex(frame)], ["-"]]) {
    const p1 = await decode(["--key", toHex(key)].concat(input), input[0] === "-" ? Buffer.from(frame) : undefined);
    assert.equal(p1.status, 0, p1.stderr);
    assert.equal(p1.lines[0].active_power_import, 1234, input[0]);
    assert.equal(p1.lines[1].counters.frames_ok, 1);
  }
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

/** The first line of `output()` that holds a reading, waiting up to `ms` for one; null when none came. */
function firstReading(output: () => string, ms: number): Promise<{ list: number } | null> {
  const started = Date.now();
  return new Promise((resolve) => {
    const look = setInterval(() => {
      const line = output().split("\n").find((l) => l.indexOf("\"obis\"") >= 0);
      if (line || Date.now() - started > ms) {
        clearInterval(look);
        resolve(line ? JSON.parse(line) : null);
      }
    }, 50);
  });
}

test("a live line is decoded as it comes: each reading is printed when its frame is complete, while the input is " +
  "still open, and Ctrl-C prints the counters", async () => {
  const frame = toHex(AIDON_LIST2.frame);
  for (const input of [Buffer.from(fromHex(frame)), Buffer.from("# live\n" + frame + "\n")]) {
    let out = "";
    const run = startScript("scripts/decode.ts", [], (text) => { out += text; });
    // Part of the frame, then a pause: nothing is complete yet.
    run.child.stdin.write(input.subarray(0, 20));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(out, "", "printed before the frame was complete");
    run.child.stdin.write(input.subarray(20));
    const reading = await firstReading(() => out, 15000);
    assert.ok(reading, "no reading while the input stayed open: " + out);
    assert.equal(reading.list, 2);
    run.child.kill("SIGINT");
    const ended = await run.done;
    assert.equal(ended.code, 0, ended.stderr);
    assert.equal(JSON.parse(ended.stdout.trim().split("\n").pop() as string).counters.frames_ok, 1);
  }
});

test("a hex file with bad lines decodes its good lines and names each bad line; a file with no frames says so", async () => {
  const dir = mkdtempSync(join(tmpdir(), "decode-"));
  const good = [KAIFA_LIST3, toHex(KAMSTRUP_LIST3.frame)];
  const file = join(dir, "frames.txt");
  // A note typed into the capture, a line cut short (odd digits), a stray control character.
  writeFileSync(file, ["meter in the hallway", good[0], "# a comment", good[1].slice(0, 41), "\x01\x02", good[1]].join("\n"));
  const run = await decode([file]);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.lines.filter((l) => l.obis).map((l) => l.list), [3, 3]);
  assert.equal(run.lines[run.lines.length - 1].counters.frames_ok, 2);
  assert.match(run.stderr, /^decode: .*frames\.txt line 1: not hex; skipped$/m);
  assert.match(run.stderr, /^decode: .*frames\.txt line 4: hex has an odd number of digits; skipped$/m);
  assert.match(run.stderr, /^decode: .*frames\.txt line 5: not hex; skipped$/m);
  assert.equal(run.stderr.trim().split("\n").length, 3, run.stderr);

  const garbage = join(dir, "garbage.bin");
  writeFileSync(garbage, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37 + 11) % 251)));
  for (const args of [[garbage], ["-"]]) {
    const none = await decode(args, args[0] === "-" ? Buffer.from("hello\nworld\n") : undefined);
    assert.equal(none.status, 1, args.join(" "));
    assert.ok(none.lines[none.lines.length - 1].counters, "the counters are printed all the same");
    assert.match(none.stderr, /^decode: no frames found in .*\(\d+ bytes\)/);
  }
});

test("--country takes the countries the configuration takes, in any case, and refuses others naming them", async () => {
  const countries = SCHEMA.filter((f) => f.path === "meter.country")[0].choices as string[];
  const hex = toHex(KAMSTRUP_LIST3.frame);
  const energy: { [country: string]: number } = {};
  for (const country of countries) {
    const run = await decode(["--country", country.toLowerCase(), "--hex", hex]);
    assert.equal(run.status, 0, country + ": " + run.stderr);
    energy[country] = run.lines[0].active_energy_import;
  }
  // Kamstrup sends energy in 10 Wh in Norway only.
  assert.equal(energy.NO, energy.SE * 10);
  const refused = await decode(["--country", "XX", "--hex", hex]);
  assert.equal(refused.status, 2);
  assert.equal(refused.stderr.trim(), `decode: --country must be one of ${countries.join(", ")}; got "XX"`);
});
