// Throughput of the decoder as it ships: bundled for Espruino and run in the Espruino-shaped context, fed binary
// strings as the UART delivers them. This is V8 speed, not the device's; it shows what the bundling and the
// Espruino code paths cost against the plain Node figure, and gives a baseline to compare changes with.
import { fileURLToPath } from "node:url";
import { bundleForEspruino, runInEspruinoContext } from "./espruino/bundle";
import { createEspruinoContext, globalOf } from "./espruino/context";
import type { GateApi } from "./espruino/decoder-entry";

const GATE_ENTRY = fileURLToPath(new URL("./espruino/decoder-entry.ts", import.meta.url));
const MIN_MS = 300;

function framesPerSecond(run: (rounds: number) => number, framesPerRound: number): number {
  run(10);
  let rounds = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    const readings = run(rounds);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (readings === 0) throw new Error("the bundled decoder produced no readings from these frames");
    if (ms >= MIN_MS) return (rounds * framesPerRound) / (ms / 1000);
    rounds *= 2;
  }
}

export function benchBundleDecode(hexFramesByName: { [name: string]: string[] }): void {
  const code = bundleForEspruino(GATE_ENTRY);
  const context = createEspruinoContext();
  runInEspruinoContext(code, context);
  const gate = globalOf(context).__gate as GateApi;
  console.log("\nBundled decoder in the Espruino-shaped context (frames per second, binary-string input; " +
    code.length + " bytes bundled with its driver)");
  const width = Math.max(12, ...Object.keys(hexFramesByName).map((name) => name.length));
  for (const name of Object.keys(hexFramesByName)) {
    const hexes = hexFramesByName[name];
    const fps = framesPerSecond(gate.prepareBench(hexes), hexes.length);
    console.log(name.padEnd(width) + "  " + Math.round(fps).toLocaleString("en").padStart(12));
  }
}
