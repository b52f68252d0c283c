// Reconnect delays: doubling from a base up to a cap, with jitter so that many devices cut off together by a
// broker restart do not come back in step. Each delay is drawn from [d/2, d], so it never falls to zero.

export class Backoff {
  private attempt = 0;

  constructor(private readonly baseMs: number, private readonly capMs: number,
    private readonly random: () => number) {}

  /** The delay before the next attempt; it goes on forever, at the cap once reached. */
  next(): number {
    const d = Math.min(this.capMs, this.baseMs * Math.pow(2, this.attempt));
    if (d < this.capMs) this.attempt++;
    return Math.round(d / 2 + this.random() * d / 2);
  }

  /** Back to the base delay, after a connection that held. */
  reset(): void {
    this.attempt = 0;
  }
}
