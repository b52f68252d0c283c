// The simulator's seeded random source in the shape the tests use, so that every random test replays exactly.
import { createRng, randomInt } from "../../scripts/sim/random";

export interface Rng {
  /** [0, 1) */
  next(): number;
  /** Integer in [0, n) */
  int(n: number): number;
}

export function rng(seed: number): Rng {
  const source = createRng(seed);
  return { next: source, int: (n: number) => randomInt(source, 0, n - 1) };
}
