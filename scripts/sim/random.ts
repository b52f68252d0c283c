// A small seeded random source for the simulator and the generated test readings: the same seed gives the same
// numbers on every run and platform. xorshift32, because Math.imul (which better mixers need) is missing on
// Espruino.

export type Rng = () => number;

/** Uniform in [0, 1). */
export function createRng(seed: number): Rng {
  let x = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  if (x === 0) x = 0x6d2b79f5;
  const next = function (): number {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
  // Nearby seeds start from nearby states; a few rounds spread them apart.
  for (let i = 0; i < 8; i++) next();
  return next;
}

/** Integer in [lo, hi]. */
export function randomInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** Standard normal deviate (Box-Muller). */
export function gaussian(rng: Rng): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export function pick<T>(rng: Rng, items: T[]): T {
  return items[Math.floor(rng() * items.length)];
}
