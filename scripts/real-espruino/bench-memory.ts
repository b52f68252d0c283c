// The firmware's memory on the real Espruino interpreter, and its behaviour over a long run: the bundle boots with
// the stand-in ESP32 hardware, reaches an embedded broker, and is fed a simulated meter's frames one every
// `--every` ms (300 by default, several times a real meter's pace) for `--minutes`. It reports the variables the
// code takes alone (before boot does anything), the steady state (median of the samples after the first minute),
// the peak, the maximum of the first and the last hour (for a run of two hours or more; else first and last
// quarter), interpreter errors, and whether every value the device published equals what the Node decoder reads in
// the same frames.
//
// `npm run bench -- --real-memory` runs a short one; `tsx scripts/real-espruino/bench-memory.ts --minutes 360`
// is the six-hour soak.
import mqtt from "mqtt";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { buildFirmware } from "../build";
import { startEmbeddedBroker } from "../mqtt-aedes";
import { MeterSimulator } from "../sim/meter";
import { HanDecoder } from "../../lib/han-decoder";
import type { Reading } from "../../lib/reading";
import { topicOfKey } from "../../lib/publish/contract";
import { bootFirmware, type RealBoard } from "./device";
import { locateInterpreter } from "./locate";
import { parseCommandLine, runCli } from "../cli";
import { FRAMING_CASES } from "./bench-cpu";

export interface MemoryFigures {
  codeVars: number;
  steadyVars: number;
  peakVars: number;
  /** Maximum usage in the first and in the last window (an hour, or a quarter of a shorter run). */
  firstWindowMax: number;
  lastWindowMax: number;
  samples: number;
  frames: number;
  valuesCompared: number;
  mismatches: string[];
  interpreterErrors: string[];
  minutes: number;
}

/** Values the device publishes for a reading, by topic, as the Node decoder reads them. */
function expectedByTopic(reading: Reading): { [topic: string]: { [key: string]: number } } {
  const out: { [topic: string]: { [key: string]: number } } = {};
  for (const key of Object.keys(reading.values)) {
    const value = reading.values[key];
    if (typeof value !== "number") continue;
    const topic = key === "active_power_import" || key === "active_power_export" ? "power" : topicOfKey(key);
    if (topic === "energy") continue;
    (out[topic] = out[topic] || {})[key] = value;
  }
  return out;
}

function same(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchMemory(options: { minutes: number; everyMs: number; sampleMs: number;
  progress?: (line: string) => void; bundle?: string; meter?: string }): Promise<MemoryFigures> {
  // An Aidon HDLC meter, or one of the bench's other framings (FRAMING_CASES), the device configured for it.
  const other = FRAMING_CASES.find((c) => c.name === options.meter);
  if (options.meter && !other) {
    throw new Error(`--meter must be one of ${FRAMING_CASES.map((c) => c.name).join(", ")}; got "${options.meter}"`);
  }
  const progress = options.progress || function () { /* quiet */ };
  const broker = await startEmbeddedBroker(0);
  const base = "han/bench";
  const received: { [topic: string]: { [key: string]: number }[] } = { power: [], instant: [] };
  const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: "bench-memory" });
  subscriber.on("message", (topic, payload) => {
    const suffix = topic.substring(base.length + 1);
    if (!received[suffix]) return;
    const values = JSON.parse(payload.toString("latin1")) as { [key: string]: unknown };
    const numbers: { [key: string]: number } = {};
    for (const key of Object.keys(values)) if (typeof values[key] === "number") numbers[key] = values[key] as number;
    received[suffix].push(numbers);
  });
  await subscriber.subscribeAsync(base + "/#");
  const config = { deviceId: "bench", wifi: { ssid: "bench", password: "benchbench" },
    mqtt: { url: `mqtt://127.0.0.1:${broker.port}`, baseTopic: base },
    han: Object.assign({ baud: 2400, parity: "even" }, other && other.han) };
  const boot = await bootFirmware({ bundle: options.bundle || buildFirmware().code, config });
  const board: RealBoard = boot.board;
  const expected: { [topic: string]: { [key: string]: number }[] } = { power: [], instant: [] };
  const onReading = (r: Reading) => {
    const byTopic = expectedByTopic(r);
    for (const topic of Object.keys(expected)) if (byTopic[topic]) expected[topic].push(byTopic[topic]);
  };
  const decoder = other ? other.node(onReading) : new HanDecoder({ onReading });
  const samples: { at: number; usage: number }[] = [];
  let frames = 0;
  try {
    const shim = await board.evaluate("global.__shimVars") as number;
    const codeVars = (await board.evaluate("global.HAN_CODE_VARS") as number) - shim;
    const meter = new MeterSimulator(Object.assign({ maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 7,
      startMs: Date.now() } as const, other && other.meter));
    const start = Date.now();
    const end = start + options.minutes * 60000;
    let simulated = start;
    let nextSample = start;
    let queue = meter.advanceTo(simulated);
    while (Date.now() < end) {
      while (queue.length === 0) {
        simulated += 1000;
        queue = meter.advanceTo(simulated);
      }
      const frame = queue.shift()!;
      await board.sendSerial(frame.bytes);
      decoder.push(frame.bytes);
      frames++;
      if (Date.now() >= nextSample) {
        const usage = (await board.memory()).usage - shim;
        samples.push({ at: Date.now() - start, usage });
        nextSample += options.sampleMs;
        progress(`${Math.round((Date.now() - start) / 60000)} min: ${frames} frames, ${usage} variables in use`);
      }
      await sleep(options.everyMs);
    }
    await sleep(3000);
    const mismatches: string[] = [];
    let compared = 0;
    for (const topic of Object.keys(expected)) {
      const want = expected[topic];
      const got = received[topic];
      if (got.length !== want.length) mismatches.push(`${topic}: ${got.length} messages for ${want.length} readings`);
      for (let i = 0; i < Math.min(got.length, want.length); i++) {
        for (const key of Object.keys(want[i])) {
          compared++;
          if (got[i][key] === undefined || !same(got[i][key], want[i][key])) {
            mismatches.push(`${topic} #${i} ${key}: device ${got[i][key]}, Node ${want[i][key]}`);
          }
        }
      }
    }
    const errors = board.consoleText.split(/\r?\n/).filter((l) => /Uncaught|New interpreter error|OUT OF MEMORY/.test(l));
    const usages = samples.map((s) => s.usage);
    const settled = samples.filter((s) => s.at >= 60000).map((s) => s.usage).sort((a, b) => a - b);
    const window = options.minutes >= 120 ? 3600000 : options.minutes * 60000 / 4;
    const span = options.minutes * 60000;
    const inWindow = (lo: number, hi: number) => Math.max(0, ...samples.filter((s) => s.at >= lo && s.at < hi).map((s) => s.usage));
    return {
      codeVars,
      steadyVars: settled.length > 0 ? settled[Math.floor(settled.length / 2)] : Math.max(...usages),
      peakVars: Math.max(...usages),
      firstWindowMax: inWindow(0, window),
      lastWindowMax: inWindow(span - window, span + 1),
      samples: samples.length,
      frames,
      valuesCompared: compared,
      mismatches,
      interpreterErrors: errors,
      minutes: options.minutes,
    };
  } finally {
    await board.stop();
    await subscriber.endAsync();
    await broker.close();
  }
}

export function printMemory(f: MemoryFigures): void {
  console.log(`\nFirmware on the real Espruino interpreter (12,000 JsVars of 14 bytes), ${f.minutes} min, ${f.frames} frames:`);
  console.log(`  JsVars: code ${f.codeVars} (budget 2,000), steady ${f.steadyVars} (budget 4,000), peak ${f.peakVars}`);
  console.log(`  max in the first window ${f.firstWindowMax}, in the last ${f.lastWindowMax} ` +
    `(${f.firstWindowMax > 0 ? ((f.lastWindowMax / f.firstWindowMax - 1) * 100).toFixed(1) : "?"} %), ${f.samples} samples`);
  console.log(`  values compared with the Node decoder: ${f.valuesCompared}, mismatches: ${f.mismatches.length}`);
  for (const m of f.mismatches.slice(0, 10)) console.log("    " + m);
  console.log(`  interpreter errors: ${f.interpreterErrors.length}`);
  for (const e of f.interpreterErrors.slice(0, 10)) console.log("    " + e);
}

const USAGE = `usage: tsx scripts/real-espruino/bench-memory.ts [--minutes N] [--every MS] [--sample MS]
  Boots dist/firmware.js on the real Espruino interpreter with a simulated Aidon meter and an embedded broker,
  and prints the firmware's memory (code, steady, peak), interpreter errors and value mismatches against Node.
  --minutes N   how long to run (default 3; 360 for the six-hour soak)
  --every MS    one frame every MS milliseconds (default 300)
  --sample MS   memory sample period (default 10000)
  --meter NAME  another meter, the device configured for it: ${FRAMING_CASES.map((c) => c.name).join(", ")}`;

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runCli("bench-memory", async () => {
    const parsed = parseCommandLine({ options: { minutes: { type: "string" }, every: { type: "string" },
      sample: { type: "string" }, meter: { type: "string" } } }, USAGE);
    if (!parsed) return 0;
    const located = locateInterpreter();
    if (!located.found) throw Object.assign(new Error(located.why), { userFacing: true });
    const v = parsed.values;
    const figures = await benchMemory({ minutes: Number(v.minutes || 3), everyMs: Number(v.every || 300),
      sampleMs: Number(v.sample || 10000), progress: (l) => console.error(l), meter: v.meter });
    printMemory(figures);
    return figures.mismatches.length > 0 || figures.interpreterErrors.length > 0 ? 1 : 0;
  }, USAGE);
}
