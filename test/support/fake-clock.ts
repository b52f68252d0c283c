// A clock for the MQTT client's Clock interface that moves only when a test moves it.
import type { Clock } from "../../lib/mqtt/clock";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private time = 0;
  private lastId = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { id: ++this.lastId, at: this.time + Math.max(0, ms), fn: fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Timers waiting to fire. */
  pending(): number {
    return this.timers.length;
  }

  /** Ms until the earliest timer fires, or null when none is set. */
  nextDelay(): number | null {
    const next = this.earliest();
    return next === null ? null : next.at - this.time;
  }

  /** Moves time forward by ms, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    let next = this.earliest();
    while (next !== null && next.at <= end) {
      this.fire(next);
      next = this.earliest();
    }
    this.time = end;
  }

  /** Moves time to the earliest timer and fires it; returns the time moved, or null when no timer is set. */
  runNext(): number | null {
    const next = this.earliest();
    if (next === null) return null;
    const delay = next.at - this.time;
    this.fire(next);
    return delay;
  }

  private fire(timer: Timer): void {
    this.timers = this.timers.filter((t) => t !== timer);
    this.time = timer.at;
    timer.fn();
  }

  private earliest(): Timer | null {
    let best: Timer | null = null;
    for (const t of this.timers) {
      if (best === null || t.at < best.at || t.at === best.at && t.id < best.id) best = t;
    }
    return best;
  }
}
