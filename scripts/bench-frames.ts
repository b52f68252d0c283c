// The frames the benchmarks decode: one of each maker's lists 1, 2 and 3, built by the project's own encoder, so
// that the figures do not depend on captures outside the repository.
import { encodeFrame, ListSpec, Maker, ListId } from "./sim/layouts";
import { randomReading } from "./sim/random-reading";
import { createRng } from "./sim/random";

export interface BenchSet { maker: string; list: string; frame: Uint8Array }

const SETS: [Maker, ListId[]][] = [["aidon", [1, 2, 3]], ["embriq", [1, 2]], ["kaifa", [1, 2, 3]], ["kamstrup", [2, 3]]];

export function benchFrames(): BenchSet[] {
  const rng = createRng(1);
  const out: BenchSet[] = [];
  for (const [maker, lists] of SETS) {
    for (const list of lists) {
      const spec: ListSpec = { maker, list, phases: 3, wires: 4, country: "NO" };
      const name = maker === "kamstrup" ? (list === 2 ? "2 (10-s list)" : "3 (hourly)") : String(list);
      out.push({ maker, list: name, frame: encodeFrame(randomReading(rng, spec)) });
    }
  }
  return out;
}
