// The virtual timeline: milliseconds since the emulator was created. The firmware's timers live on it with
// Espruino's semantics (src/jswrap_interactive.c, src/jsinteractive.c), and so do the emulated hardware's own
// events (Wi-Fi association, SNTP, socket traffic), which the firmware cannot see or clear. Nothing here reads
// the real time: the emulator's drivers decide how fast the timeline moves.

export interface FirmwareTimer {
  id: number;
  /** Virtual ms at which it fires next. */
  due: number;
  /** 0 for setTimeout. */
  interval: number;
  fn: (...args: unknown[]) => unknown;
  args: unknown[];
}

interface SystemEvent {
  due: number;
  seq: number;
  fn: () => void;
}

/** Espruino clamps tiny delays to TIMER_MIN_INTERVAL; the emulator also needs a floor so that a zero interval
 *  cannot spin forever at one instant. */
const MIN_TIMEOUT_MS = 0.1;
const MIN_INTERVAL_MS = 1;

export class VirtualClock {
  now = 0;
  /** In id order, as Espruino's timer array. */
  private timers: FirmwareTimer[] = [];
  private events: SystemEvent[] = [];
  private nextId = 1;
  private seq = 0;

  // ---- the firmware's timers ------------------------------------------------------------------------------

  addTimer(fn: FirmwareTimer["fn"], ms: number, args: unknown[], repeat: boolean): number {
    const delay = isFinite(ms) && ms > 0 ? ms : 0;
    const interval = repeat ? Math.max(MIN_INTERVAL_MS, delay) : 0;
    const id = this.nextId++;
    this.timers.push({ id: id, due: this.now + Math.max(repeat ? interval : MIN_TIMEOUT_MS, delay), interval: interval,
      fn: fn, args: args });
    return id;
  }

  /** Espruino: no id clears every timer and interval; an id it does not know is an error ("Unknown Timeout").
   *  A timeout is still known while its own callback runs, and unknown once it has fired. */
  clearTimer(id: unknown): boolean {
    if (id === undefined) {
      this.timers = [];
      return true;
    }
    for (let i = 0; i < this.timers.length; i++) {
      if (this.timers[i].id === id) {
        this.timers.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  clearAllTimers(): void {
    this.timers = [];
  }

  timerCount(): number {
    return this.timers.length;
  }

  /** The firmware's timers, for the memory estimate (Espruino keeps each with its callback and arguments). */
  timerList(): readonly FirmwareTimer[] {
    return this.timers;
  }

  nextTimerDue(): number {
    let due = Infinity;
    for (const t of this.timers) if (t.due < due) due = t.due;
    return due;
  }

  /** The timer to run at time `t`: the earliest due, the lowest id among equals. It stays registered while it
   *  runs; call finishTimer after. */
  dueTimer(t: number): FirmwareTimer | null {
    let best: FirmwareTimer | null = null;
    for (const timer of this.timers) if (timer.due <= t && (best === null || timer.due < best.due)) best = timer;
    return best;
  }

  /** After the callback: an interval is rescheduled from its due time, a timeout removed (unless the callback
   *  already cleared it). */
  finishTimer(timer: FirmwareTimer): void {
    const i = this.timers.indexOf(timer);
    if (i < 0) return;
    if (timer.interval > 0) timer.due += timer.interval;
    else this.timers.splice(i, 1);
  }

  // ---- the emulated hardware's events ---------------------------------------------------------------------

  at(due: number, fn: () => void): void {
    this.events.push({ due: Math.max(due, this.now), seq: this.seq++, fn: fn });
  }

  after(ms: number, fn: () => void): void {
    this.at(this.now + Math.max(0, ms), fn);
  }

  nextEventDue(): number {
    let due = Infinity;
    for (const e of this.events) if (e.due < due) due = e.due;
    return due;
  }

  /** Removes and returns the earliest event due at `t` (first scheduled first among equals). */
  takeEvent(t: number): (() => void) | null {
    let best = -1;
    for (let i = 0; i < this.events.length; i++) {
      const e = this.events[i];
      if (e.due <= t && (best < 0 || e.due < this.events[best].due ||
        e.due === this.events[best].due && e.seq < this.events[best].seq)) best = i;
    }
    return best < 0 ? null : this.events.splice(best, 1)[0].fn;
  }
}
