// The P1 part of `npm run bench`: telegrams per second through lib/p1/decoder.ts in Node, plain (DSMR 5.0 and 2.2)
// and encrypted (Smarty), from the simulator's own telegrams.
import { P1Decoder } from "../lib/p1/decoder";
import { P1Writer, P1Version, smartyFrame } from "./sim/p1-writer";
import { nodeBlockCipher } from "./node-aes";

const KEY = new Uint8Array(16).fill(0x5a);
const TITLE = new Uint8Array([0x53, 0x41, 0x47, 0x67, 0x70, 0, 0, 1]);

function telegrams(version: P1Version, n: number): Uint8Array[] {
  const writer = new P1Writer({ version, phases: 3, meterId: "E0012345678901234" });
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const t = Date.UTC(2026, 5, 1) + i * 1000;
    out.push(writer.telegram(t, { active_energy_import: 1e7 + i * 500, active_power_import: 1800 + i, voltage_l1: 230.2,
      voltage_l2: 231.1, voltage_l3: 229.8, current_l1: 4, current_l2: 3, current_l3: 1, active_power_import_l1: 900,
      active_power_import_l2: 600, active_power_import_l3: 300 },
    [{ channel: 1, type: 3, id: "G0001", value: 1234.5 + i / 1000, capturedAt: t - t % 300000 }]).bytes);
  }
  return out;
}

/** Telegrams per second, one telegram per push, for at least minMs; encrypted inputs each once at most, as a
 *  frame counter repeated is refused. */
function rate(inputs: Uint8Array[], encrypted: boolean, minMs: number): number {
  let count = 0;
  const decoder = new P1Decoder({ onReading: () => { count++; }, cipher: encrypted ? nodeBlockCipher(KEY) : undefined });
  const start = process.hrtime.bigint();
  let elapsed = 0;
  let pushed = 0;
  const limit = encrypted ? inputs.length : Infinity;
  while (elapsed < minMs && pushed + 50 <= limit) {
    for (let i = 0; i < 50; i++) decoder.push(inputs[pushed++ % inputs.length]);
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  decoder.flush();
  if (count !== pushed) throw new Error(`bench telegrams did not all decode (${count}/${pushed})`);
  return pushed / (elapsed / 1000);
}

export function benchP1(): void {
  console.log("\nP1 decoder throughput in Node (telegrams per second, one telegram per push)");
  const dsmr5 = telegrams("5.0", 64);
  // Encrypted frames need a growing frame counter: more of them than one bench round pushes.
  const smarty = telegrams("5.0", 2000).map((t, i) => smartyFrame(t, { key: KEY, systemTitle: TITLE, frameCounter: i + 1 }));
  const rows: [string, Uint8Array[], boolean][] = [
    ["DSMR 5.0, 3 phases, gas", dsmr5, false],
    ["DSMR 2.2 (no CRC)", telegrams("2.2", 64), false],
    ["Smarty (AES-128-GCM)", smarty, true],
  ];
  // The first figures would otherwise include the JIT's warming up.
  rate(dsmr5, false, 300);
  for (const [name, inputs, encrypted] of rows) {
    const tps = rate(inputs, encrypted, 300);
    console.log(`${name.padEnd(28)}  ${String(inputs[0].length).padStart(6)} bytes  ` +
      `${Math.round(tps).toLocaleString("en").padStart(10)} telegrams/s`);
  }
}
