// `npm run bench`: throughput and size figures, printed. Never a pass/fail test.
import { HanDecoder } from "../lib/han-decoder";
import { benchFrames, BenchSet } from "./bench-frames";
import { benchBundleDecode } from "./bench-espruino";
import { benchMqtt } from "./bench-mqtt";
import { benchEmulator } from "./bench-emulator";
import { toHex } from "../lib/bytes";

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

const sets = benchFrames();
benchDecoder(sets);
const byName: { [name: string]: string[] } = {};
for (const s of sets) byName[`${s.maker} list ${s.list}`] = [toHex(s.frame)];
benchBundleDecode(byName);
await benchMqtt();
await benchEmulator();
