// The device CPU bench: what one frame costs from UART bytes to MQTT bytes in the real Espruino interpreter,
// against the yardstick `for (var i=0;i<10000;i++){}` timed in the same run. The ratio carries over to the ESP32,
// where the yardstick takes 320-530 ms at 240 MHz (../shared/docs/espruino.md, B). The bundle and the frames are
// written to the interpreter's Storage first and run from there, as the firmware runs from flash (code lexed
// from a RAM string runs markedly slower). Every reading the device path makes must equal the Node decoder's
// for the same frames: a mismatch fails the bench.
//
// `tsx scripts/real-espruino/bench-cpu.ts [--rounds N] [--only NAME] [--keep-going]` prints the table; benchCpu()
// returns the figures.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { bundleForEspruino } from "../espruino/bundle";
import { locateInterpreter, ESP32_JSVARS, Interpreter } from "./locate";
import { CHUNK, exact, CpuSet, CpuSetResult } from "./cpu-entry";
import { encodeFrame, ListSpec, Maker, ListId } from "../sim/layouts";
import { randomReading } from "../sim/random-reading";
import { createRng } from "../sim/random";
import { HanDecoder } from "../../lib/han-decoder";
import { createMbusReader } from "../../lib/mbus/frame-reader";
import { createUnwrap } from "../../lib/dlms/unwrap";
import { P1Decoder } from "../../lib/p1/decoder";
import { MeterSimulator, MeterOptions } from "../sim/meter";
import { nodeBlockCipher } from "../node-aes";
import { toHex } from "../../lib/bytes";
import type { Reading } from "../../lib/reading";

const ENTRY = fileURLToPath(new URL("./cpu-entry.ts", import.meta.url));

/** The yardstick, appended to the bundle as written here so that the minifier cannot rewrite it. */
const YARDSTICK = "function __yard(){var t=getTime();for (var i=0;i<10000;i++){}return (getTime()-t)*1000;}";

/** Frames per list, each with other values; the timed rounds go round them. */
const VARIANTS = 3;
const DEFAULT_ROUNDS = 9;
/** The budget of issue 8 for Aidon list 2, in yardsticks. */
export const BUDGET = 0.15;

interface Case { name: string; spec: ListSpec }

function tn(maker: Maker, list: ListId, phases: 1 | 3): Case {
  const label = list === 1 ? "" : phases === 1 ? " 1p" : " 3p";
  return { name: `${maker} ${list}${label}`, spec: { maker, list, phases, wires: 4, country: maker === "generic" ? "AT" : "NO" } };
}

/** Every maker's lists; 1-phase and 3-phase (TN) where the lists differ. */
export const CASES: Case[] = [
  tn("aidon", 1, 3), tn("aidon", 2, 1), tn("aidon", 2, 3), tn("aidon", 3, 1), tn("aidon", 3, 3),
  tn("embriq", 1, 3), tn("embriq", 2, 3), tn("embriq", 3, 3),
  tn("kaifa", 1, 3), tn("kaifa", 2, 1), tn("kaifa", 2, 3), tn("kaifa", 3, 1), tn("kaifa", 3, 3),
  tn("kamstrup", 2, 1), tn("kamstrup", 2, 3), tn("kamstrup", 3, 1), tn("kamstrup", 3, 3),
  tn("generic", 3, 3),
];

const KEY = new Uint8Array(16).fill(0x4b);
const AUTH_KEY = new Uint8Array(16).fill(0xa5);
const HEX_KEY = toHex(KEY);

/** A meter of another framing, or encrypted: the device configured for it (han fields), its frames from the
 *  simulator, and the Node decoder of that framing. */
interface FramingCase {
  name: string;
  meter: Partial<MeterOptions>;
  han: { [field: string]: unknown };
  /** Bytes per read: at 115200 baud the firmware's read finds ~130 bytes at once (firmware/main.ts). */
  chunk?: number;
  node: (onReading: (r: Reading) => void) => { push(bytes: Uint8Array): void };
}

const P1_LINE = { framing: "p1", baud: 115200, parity: "none" };

/** The framings and the encryption of issue 12, each at its line's pace. */
export const FRAMING_CASES: FramingCase[] = [
  { name: "generic 3 glo+tag", meter: { maker: "generic", country: "AT", security: { key: KEY, authKey: AUTH_KEY } },
    han: { key: HEX_KEY, authKey: toHex(AUTH_KEY) },
    node: (onReading) => new HanDecoder({ onReading,
      unwrap: createUnwrap({ key: KEY, authKey: AUTH_KEY, cipher: nodeBlockCipher(KEY) }) }) },
  { name: "generic 3 m-bus", meter: { maker: "generic", country: "AT", framing: "mbus" }, han: { framing: "mbus" },
    node: (onReading) => new HanDecoder({ onReading, reader: createMbusReader }) },
  { name: "p1 dsmr 5", meter: { maker: "aidon", framing: "p1", p1Version: "5.0" }, han: P1_LINE, chunk: 128,
    node: (onReading) => new P1Decoder({ onReading }) },
  { name: "p1 smarty", meter: { maker: "aidon", framing: "p1", p1Version: "5.0", p1Key: KEY },
    han: Object.assign({ key: HEX_KEY }, P1_LINE), chunk: 128,
    node: (onReading) => new P1Decoder({ onReading, cipher: nodeBlockCipher(KEY) }) },
];

export interface CpuRow {
  name: string;
  bytes: number;
  /** Median ms per frame in the interpreter on this host. */
  ms: number;
  /** Median over the timed frames of (ms of the frame / ms of the yardstick run just before it). */
  ratio: number;
  /** MQTT bytes written per frame. */
  socketBytes: number;
}

export interface CpuFigures {
  /** Median ms of the yardstick loop in the same run (it runs before every timed frame). */
  yardstickMs: number;
  rows: CpuRow[];
  /** The bundle the interpreter ran (the device path and the bench driver), in bytes. */
  bundleBytes: number;
  /** Readings of the device path that differ from the Node decoder's (only with keepGoing; else benchCpu throws). */
  mismatches: string[];
}

/** Where two decoded values first differ, as "path: device value vs node value"; null when equal. */
function firstDifference(device: unknown, node: unknown, path: string): string | null {
  if (isDeepStrictEqual(device, node)) return null;
  if (device && node && typeof device === "object" && typeof node === "object") {
    const keys = Object.keys(node as object);
    for (const k of Object.keys(device as object)) if (keys.indexOf(k) < 0) keys.push(k);
    for (const k of keys) {
      const d = firstDifference((device as Record<string, unknown>)[k], (node as Record<string, unknown>)[k], path + "/" + k);
      if (d !== null) return d;
    }
  }
  return `${path}: ${JSON.stringify(device)} (device) vs ${JSON.stringify(node)} (node)`;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Frames of one meter (one id) with other values and times. */
function framesOf(c: Case, seed: number): Uint8Array[] {
  const rng = createRng(seed);
  const out: Uint8Array[] = [];
  let meterId = "";
  for (let i = 0; i < VARIANTS; i++) {
    const input = randomReading(rng, c.spec);
    if (i === 0) meterId = input.meterId;
    out.push(encodeFrame(Object.assign(input, { meterId })));
  }
  return out;
}

/** The simulator's frames of a framing case: `count` in a row, frame counters growing. */
function simulatedFrames(c: FramingCase, seed: number, count: number): Uint8Array[] {
  const start = Date.UTC(2026, 1, 1, 10, 0, 0);
  const sim = new MeterSimulator(Object.assign({ maker: "aidon", phases: 3, wires: 4, country: "NO", seed,
    startMs: start } as MeterOptions, c.meter));
  const out: Uint8Array[] = [];
  for (let t = start; out.length < count; t += 1000) for (const f of sim.advanceTo(t)) out.push(f.bytes);
  return out.slice(0, count);
}

/** What the Node decoder reads from the same frames fed the same way, in the form the device reports. */
function nodeReadings(frames: Uint8Array[], chunk: number, framing?: FramingCase): unknown[] {
  const readings: Reading[] = [];
  const onReading = (r: Reading) => { readings.push(r); };
  const decoder = framing ? framing.node(onReading) : new HanDecoder({ onReading });
  for (const f of frames) for (let at = 0; at < f.length; at += chunk) decoder.push(f.subarray(at, at + chunk));
  return readings.map(exact);
}

/** Runs `script` with -e in `dir`; resolves with stdout once `endMark` is printed (the console would stay open). */
function runInterpreter(found: Interpreter, dir: string, script: string, jsvars: number, endMark: string,
  timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(found.command, [...found.prefix, "-e", script], { cwd: dir,
      env: { ...process.env, ESPRUINO_JSVARS: String(jsvars) }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let done = false;
    const finish = (error: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdin.end();
      child.kill();
      if (error) reject(error);
      else resolve(out);
    };
    const timer = setTimeout(() => finish(new Error(`the interpreter did not finish within ${timeoutMs} ms:\n${out.slice(-2000)}`)),
      timeoutMs);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString("latin1");
      // The message follows the mark: give it a moment to arrive.
      if (/Uncaught|OUT OF MEMORY|New interpreter error/.test(out)) setTimeout(() => finish(new Error(`the interpreter failed:\n${out.slice(-3000)}`)), 500);
      else if (out.indexOf(endMark) >= 0) finish(null);
    });
    child.on("error", (e) => finish(e));
    child.on("exit", () => finish(out.indexOf(endMark) >= 0 ? null : new Error(`the interpreter exited early:\n${out.slice(-3000)}`)));
  });
}

/** Characters of the code written to Storage per interpreter run (within the 128 KiB of one argument). */
const PIECE = 60000;

/** Runs `script` in the interpreter with ESP32's variable count, after writing `code` to its Storage as "code.js" and
 *  each of `files` (in a fresh espruino.flash), so that the script can eval the code from flash as the firmware runs;
 *  resolves with stdout once the script prints `endMark`. */
export async function runFromStorage(found: Interpreter, code: string, files: { name: string; bytes: Uint8Array }[],
  script: string, endMark: string): Promise<string> {
  if (!/^[\x00-\x7e]*$/.test(code)) throw new Error("the code has characters outside ASCII");
  const dir = mkdtempSync(join(tmpdir(), "han-cpu-"));
  try {
    const hex = "function h(s){var a=new Uint8Array(s.length/2);for(var i=0;i<a.length;i++)a[i]=parseInt(s.substr(i*2,2),16);return a;}";
    // The code goes in pieces, into a file created its whole length: one argument holds at most 128 KiB.
    const steps: string[] = [];
    for (let at = 0; at < code.length; at += PIECE) {
      steps.push(`require("Storage").write("code.js",${JSON.stringify(code.substr(at, PIECE))},${at},${code.length});`);
    }
    for (const f of files) steps.push(`require("Storage").write(${JSON.stringify(f.name)},h("${toHex(f.bytes)}"));`);
    // The code passes through a string literal here: more variables than the device has, for this step only.
    let batch = hex;
    for (let i = 0; i < steps.length; i++) {
      batch += "\n" + steps[i];
      if (i + 1 === steps.length || batch.length + steps[i + 1].length > PIECE + 1000) {
        await runInterpreter(found, dir, batch + '\nprint("STORED")', 24000, "STORED", 120000);
        batch = hex;
      }
    }
    return await runInterpreter(found, dir, script, ESP32_JSVARS, endMark, 30 * 60000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The figures, or null with the reason when the interpreter is absent. Throws when a reading differs. */
export async function benchCpu(options: { rounds?: number; keepGoing?: boolean; only?: string } = {}):
  Promise<CpuFigures | { skipped: string }> {
  const rounds = options.rounds || DEFAULT_ROUNDS;
  const located = locateInterpreter();
  if (!located.found) return { skipped: located.why };
  const found = located.found;
  const bundle = bundleForEspruino(ENTRY) + "\n" + YARDSTICK + "\n";
  const prepared: { c: { name: string }; file: string; frames: Uint8Array[]; framing?: FramingCase }[] =
    CASES.map((c, i) => ({ c, file: "f" + i, frames: framesOf(c, 1000 + i) }));
  // VARIANTS frames warm the device, and each timed round takes a new one: an encrypted meter's counter grows.
  FRAMING_CASES.forEach((c, i) => prepared.push({ c, file: "g" + i, frames: simulatedFrames(c, 2000 + i, VARIANTS + rounds),
    framing: c }));
  const chosen = prepared.filter((p) => !options.only || p.c.name.indexOf(options.only) >= 0);
  if (chosen.length === 0) {
    throw new Error(`no list is named like ${options.only}; the lists: ${prepared.map((p) => p.c.name).join(", ")}`);
  }
  const sets: CpuSet[] = chosen.map((p) => ({ name: p.c.name, file: p.file, lengths: p.frames.map((f) => f.length),
    han: p.framing && p.framing.han, chunk: p.framing && p.framing.chunk, warm: p.framing && VARIANTS }));
  const files = chosen.map((p) => ({ name: p.file, bytes: Buffer.concat(p.frames) }));
  const script = 'eval(require("Storage").read("code.js"));' +
    `__cpu.run(${JSON.stringify(sets)},${rounds},{read:function(f){return require("Storage").read(f);},` +
    "yardstick:__yard,settle:function(){process.memory();},report:function(l){print(l);}});";
  const out = await runFromStorage(found, bundle, files, script, "CPU-END");
  const results: CpuSetResult[] = [];
  let readings: unknown[] = [];
  for (const line of out.split(/\r?\n/)) {
    if (line.startsWith("CPU-READING ")) readings.push(JSON.parse(line.slice(12)));
    if (!line.startsWith("CPU-SET ")) continue;
    results.push(Object.assign(JSON.parse(line.slice(8)), { readings }));
    readings = [];
  }
  if (results.length !== chosen.length) throw new Error(`incomplete output:\n${out.slice(-3000)}`);
  const mismatches: string[] = [];
  const rows = results.map((r, i) => {
    const framing = chosen[i].framing;
    const warm = framing ? chosen[i].frames.slice(0, VARIANTS) : chosen[i].frames;
    const expected = nodeReadings(warm, framing && framing.chunk || CHUNK, framing);
    if (expected.length !== warm.length) {
      throw new Error(`${r.name}: the Node decoder read ${expected.length} of ${warm.length} frames`);
    }
    const diff = firstDifference(r.readings, expected, "");
    if (diff !== null) mismatches.push(`${r.name}: ${diff}`);
    return { name: r.name, bytes: chosen[i].frames[0].length, ms: median(r.ms),
      ratio: median(r.ms.map((ms, k) => ms / r.yardstick[k])), socketBytes: r.socketBytes };
  });
  const yardstickMs = median(([] as number[]).concat(...results.map((r) => r.yardstick)));
  const figures = { yardstickMs, rows, bundleBytes: bundle.length, mismatches };
  if (mismatches.length > 0 && !options.keepGoing) {
    throw new Error("the device path's readings differ from the Node decoder's:\n" + mismatches.join("\n"));
  }
  return figures;
}

export function printCpuFigures(f: CpuFigures): void {
  console.log(`\nDevice CPU per frame in the real Espruino interpreter (${CHUNK}-byte chunks, UART -> MQTT bytes; ` +
    `yardstick ${f.yardstickMs.toFixed(1)} ms on this host, 320-530 ms on a 240 MHz ESP32)`);
  console.log(["list".padEnd(16), "bytes".padStart(5), "ms".padStart(8), "x yardstick".padStart(12), "ESP32 ms".padStart(10),
    "MQTT bytes".padStart(11)].join("  "));
  for (const r of f.rows) {
    console.log([r.name.padEnd(16), String(r.bytes).padStart(5), r.ms.toFixed(2).padStart(8), r.ratio.toFixed(3).padStart(12),
      `${Math.round(r.ratio * 320)}-${Math.round(r.ratio * 530)}`.padStart(10), String(r.socketBytes).padStart(11)].join("  "));
  }
  const aidon2 = f.rows.find((r) => r.name === "aidon 2 3p");
  if (aidon2) console.log(`aidon list 2 (3-phase): ${aidon2.ratio.toFixed(3)} x yardstick; budget ${BUDGET}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf("--rounds");
  const rounds = i > 0 ? parseInt(process.argv[i + 1], 10) : DEFAULT_ROUNDS;
  if (!(rounds > 0)) throw new Error("--rounds takes a positive whole number");
  // --keep-going prints the table even when readings differ, then fails.
  const o = process.argv.indexOf("--only");
  const f = await benchCpu({ rounds, keepGoing: process.argv.indexOf("--keep-going") > 0,
    only: o > 0 ? process.argv[o + 1] : undefined });
  if ("skipped" in f) {
    console.log(`device CPU bench skipped: ${f.skipped}`);
  } else {
    printCpuFigures(f);
    if (f.mismatches.length > 0) {
      console.error("the device path's readings differ from the Node decoder's:\n" + f.mismatches.join("\n"));
      process.exitCode = 1;
    }
  }
}
