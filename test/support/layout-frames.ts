// Valid meter frames from the project's own encoder (scripts/sim), for tests that need a frame of some layout and
// must run from the repository alone. The real captures (vectors.ts) are for checking against real meters; the
// encoder itself is held to them in sim-layouts.test.ts.
import { encodeFrame, expectedReading, supportedSpecs, ExpectedReading, ListInput, ListSpec } from
  "../../scripts/sim/layouts";
import { randomReading } from "../../scripts/sim/random-reading";
import { createRng } from "../../scripts/sim/random";

export interface LayoutFrame {
  input: ListInput;
  frame: Uint8Array;
  /** What a decoder must report for the frame, worked out from the layout rather than by decoding. */
  expected: ExpectedReading;
}

export function listSpec(maker: ListSpec["maker"], phases: 1 | 3, wires: 3 | 4, list: ListSpec["list"],
  country: string): ListSpec {
  return { maker: maker, phases: phases, wires: wires, list: list, country: country };
}

function layoutFrame(input: ListInput): LayoutFrame {
  return { input: input, frame: encodeFrame(input), expected: expectedReading(input) };
}

/** A frame of `spec` with random values; the same seed gives the same frame. */
export function sampleFrame(spec: ListSpec, seed: number): LayoutFrame {
  return layoutFrame(randomReading(createRng(seed), spec));
}

/** `sample` written again after `change` edits a copy of its input. */
export function reencoded(sample: LayoutFrame, change: (input: ListInput) => void): LayoutFrame {
  const input: ListInput = JSON.parse(JSON.stringify(sample.input));
  change(input);
  return layoutFrame(input);
}

/** One frame of every layout the encoder supports, each with its own random values. */
export function framesOfEveryLayout(seed: number): LayoutFrame[] {
  const rng = createRng(seed);
  return supportedSpecs().map((spec) => layoutFrame(randomReading(rng, spec)));
}
