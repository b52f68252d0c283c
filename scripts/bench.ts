// `npm run bench`: throughput and size figures, printed. Never a pass/fail test.
import { parseCommandLine, runCli } from "./cli";
import { HanDecoder } from "../lib/han-decoder";
import { benchFrames, BenchSet } from "./bench-frames";
import { benchBundleDecode } from "./bench-espruino";
import { benchMqtt } from "./bench-mqtt";
import { benchEmulator } from "./bench-emulator";
import { benchMonth } from "./bench-month";
import { benchDecrypt } from "./bench-decrypt";
import { benchP1 } from "./bench-p1";
import { benchFramings } from "./bench-mbus";
import { toHex } from "../lib/bytes";
import { locateInterpreter } from "./real-espruino/locate";
import { benchCpu, printCpuFigures } from "./real-espruino/bench-cpu";
import { benchMemory, printMemory } from "./real-espruino/bench-memory";

function framesPerSecond(frames: Uint8Array[], minMs: number): number {
  let count = 0;
  const decoder = new HanDecoder({ onReading: () => { count++; } });
  const start = process.hrtime.bigint();
  let elapsed = 0;
  let pushed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 200; i++) decoder.push(frames[pushed++ % frames.length]);
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  if (count !== pushed) throw new Error(`bench frames did not all decode (${count}/${pushed})`);
  return pushed / (elapsed / 1000);
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
}

export function benchDecoder(sets: BenchSet[]): void {
  console.log("\nDecoder throughput in Node (frames per second, one frame per push)");
  const widths = [28, 8, 14];
  console.log(row(["maker / list", "bytes", "frames/s"], widths));
  for (const s of sets) {
    const fps = framesPerSecond([s.frame], 300);
    console.log(row([`${s.maker} list ${s.list}`, String(s.frame.length), Math.round(fps).toLocaleString("en")], widths));
  }
}

const USAGE = `usage: npm run bench
  Prints figures measured on this machine: the decoder's frames per second in Node and as the bundled decoder in
  an Espruino-shaped context, the cost of opening a 200-byte ciphered APDU (Node and real interpreter), the MQTT client's publishes per second against an embedded broker, and the firmware
  bundle's size and its time per frame and memory on the emulated ESP32; and, where the real Espruino interpreter
  is built (README.md, "The real interpreter"), the firmware's JsVars there (code, steady, peak) and the cost of a
  frame per maker and list against the 10,000-iteration loop, with the ratio the budgets are set in.
  Then a simulated month per maker with faults (npm run bench:month): the one part that can fail, when an hourly
  value is missing, duplicated, mislabelled or decreasing.
  --no-real   leave the real interpreter out (its part takes a few minutes)
  --no-month  leave the simulated month out (its part takes the longest)`;

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine({ args: argv, options: { "no-real": { type: "boolean" },
    "no-month": { type: "boolean" } } }, USAGE);
  if (!parsed) return 0;
  const sets = benchFrames();
  benchDecoder(sets);
  await benchDecrypt(!parsed.values["no-real"]);
  benchP1();
  benchFramings();
  const byName: { [name: string]: string[] } = {};
  for (const s of sets) byName[`${s.maker} list ${s.list}`] = [toHex(s.frame)];
  benchBundleDecode(byName);
  await benchMqtt();
  await benchEmulator();
  const located = locateInterpreter();
  if (!parsed.values["no-real"] && !located.found) {
    console.log(`\nReal interpreter: not measured: ${located.why}`);
  } else if (!parsed.values["no-real"]) {
    const cpu = await benchCpu({ rounds: 5, keepGoing: true });
    if ("skipped" in cpu) console.log(`\nReal interpreter CPU: not measured: ${cpu.skipped}`);
    else printCpuFigures(cpu);
    printMemory(await benchMemory({ minutes: 2, everyMs: 300, sampleMs: 5000 }));
  }
  return parsed.values["no-month"] ? 0 : benchMonth([]);
}

runCli("bench", () => main(process.argv.slice(2)), USAGE);
