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

/** What the Node decoder reads from the same frames fed the same way, in the form the device reports. */
function nodeReadings(frames: Uint8Array[]): unknown[] {
  const readings: Reading[] = [];
  const decoder = new HanDecoder({ onReading: (r) => { readings.push(r); } });
  for (const f of frames) for (let at = 0; at < f.length; at += CHUNK) decoder.push(f.subarray(at, at + CHUNK));
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

/** Runs `script` in the interpreter with ESP32's variable count, after writing `code` to its Storage as "code.js" and
 *  each of `files` (in a fresh espruino.flash), so that the script can eval the code from flash as the firmware runs;
 *  resolves with stdout once the script prints `endMark`. */
export async function runFromStorage(found: Interpreter, code: string, files: { name: string; bytes: Uint8Array }[],
  script: string, endMark: string): Promise<string> {
  if (!/^[\x00-\x7e]*$/.test(code)) throw new Error("the code has characters outside ASCII");
  const dir = mkdtempSync(join(tmpdir(), "han-cpu-"));
  try {
    const hex = "function h(s){var a=new Uint8Array(s.length/2);for(var i=0;i<a.length;i++)a[i]=parseInt(s.substr(i*2,2),16);return a;}";
    const parts = [hex, `require("Storage").write("code.js",${JSON.stringify(code)});`];
    for (const f of files) parts.push(`require("Storage").write(${JSON.stringify(f.name)},h("${toHex(f.bytes)}"));`);
    parts.push('print("STORED")');
    // The code passes through a string literal here: more variables than the device has, for this step only.
    await runInterpreter(found, dir, parts.join("\n"), 16000, "STORED", 120000);
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
  const prepared = CASES.map((c, i) => ({ c, file: "f" + i, frames: framesOf(c, 1000 + i) }));
  const chosen = prepared.filter((p) => !options.only || p.c.name.indexOf(options.only) >= 0);
  if (chosen.length === 0) throw new Error(`no list is named like ${options.only}; the lists: ${CASES.map((c) => c.name).join(", ")}`);
  const sets: CpuSet[] = chosen.map((p) => ({ name: p.c.name, file: p.file, lengths: p.frames.map((f) => f.length) }));
  const files = chosen.map((p) => ({ name: p.file, bytes: Buffer.concat(p.frames) }));
  const script = 'eval(require("Storage").read("code.js"));' +
    `__cpu.run(${JSON.stringify(sets)},${rounds},{read:function(f){return require("Storage").read(f);},` +
    "yardstick:__yard,settle:function(){process.memory();},report:function(l){print(l);}});";
  const out = await runFromStorage(found, bundle, files, script, "CPU-END");
  const results: CpuSetResult[] = [];
  for (const line of out.split(/\r?\n/)) if (line.startsWith("CPU-SET ")) results.push(JSON.parse(line.slice(8)));
  if (results.length !== chosen.length) throw new Error(`incomplete output:\n${out.slice(-3000)}`);
  const mismatches: string[] = [];
  const rows = results.map((r, i) => {
    const expected = nodeReadings(chosen[i].frames);
    if (expected.length !== chosen[i].frames.length) {
      throw new Error(`${r.name}: the Node decoder read ${expected.length} of ${chosen[i].frames.length} frames`);
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
