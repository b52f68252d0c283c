// Keep-alive: a PINGREQ when the connection has been quiet, and a dead connection declared when nothing has come
// back for too long. It counts ticks of half a keep-alive period instead of reading the clock, so a wall-clock jump
// (SNTP setting the time after boot) cannot fake or hide a timeout. With a tick of K/2:
// - a PINGREQ goes out 2 ticks after the last packet sent, so within K of it (the broker's limit is 1.5 K);
// - a PINGREQ also goes out 2 ticks after the last packet received, so a publish-only client still hears back;
// - 3 ticks with nothing received (more than K, at most 1.5 K) mean the connection is dead.
import type { Clock } from "./clock";

export class KeepAlive {
  private timer: unknown = null;
  private running = false;
  private rxIdle = 0;
  private txIdle = 0;
  private pinged = false;
  /** Made once, not at every tick. */
  private readonly onTick = () => this.tick();

  /** periodMs 0 turns it off. */
  constructor(private readonly clock: Clock, private readonly periodMs: number, private readonly ping: () => void,
    private readonly dead: () => void) {}

  start(): void {
    this.stop();
    if (this.periodMs <= 0) return;
    this.running = true;
    this.rxIdle = 0;
    this.txIdle = 0;
    this.pinged = false;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** A packet went out. */
  sent(): void {
    this.txIdle = 0;
  }

  /** A packet came in. */
  received(): void {
    this.rxIdle = 0;
    this.pinged = false;
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(this.onTick, this.periodMs / 2);
  }

  private tick(): void {
    this.timer = null;
    this.rxIdle++;
    this.txIdle++;
    if (this.rxIdle >= 3) {
      this.running = false;
      this.dead();
      return;
    }
    if (this.txIdle >= 2 || this.rxIdle >= 2 && !this.pinged) {
      this.pinged = true;
      this.ping();
    }
    if (this.running) this.schedule();
  }
}
