// What the emulated modules need from the emulator: the timeline, a way to run firmware callbacks as Espruino's
// event loop runs them, and errors and data made in the firmware's realm.
import type { VirtualClock } from "./clock";

export interface Host {
  clock: VirtualClock;
  /** Runs a firmware callback from the event loop: an exception is reported as uncaught, the time it takes is
   *  checked against the watchdog. */
  call(fn: unknown, thisArg: unknown, args: unknown[]): void;
  /** An Error of the firmware's realm. */
  error(message: string): Error;
  /** Plain data (JSON-shaped) copied into the firmware's realm. */
  data<T>(value: T): T;
  /** Wraps an emulated object so that a member it lacks is a loud error naming it. */
  loud<T extends object>(label: string, target: T): T;
  /** Counts the boots: an event scheduled by an earlier boot is dropped when it falls due. */
  boot: number;
}

/** Event listeners of one emulated object, as Espruino's `on`: several per event, called in order. */
export class Listeners {
  private readonly byEvent: { [event: string]: unknown[] } = {};

  add(event: string, fn: unknown, host: Host, label: string): void {
    if (typeof fn !== "function") throw host.error(label + ".on(\"" + event + "\", ...) needs a function");
    (this.byEvent[event] = this.byEvent[event] || []).push(fn);
  }

  /** `on` and `removeAllListeners` for the emulated object that owns these listeners. */
  methods(host: Host, label: string): { on: (event: unknown, fn: unknown) => void;
    removeAllListeners: (event?: unknown) => void; } {
    const self = this;
    return {
      on: function (event: unknown, fn: unknown) { self.add(String(event), fn, host, label); },
      removeAllListeners: function (event?: unknown) { self.removeAll(event === undefined ? undefined : String(event)); },
    };
  }

  removeAll(event?: string): void {
    if (event === undefined) {
      for (const key of Object.keys(this.byEvent)) delete this.byEvent[key];
    } else {
      delete this.byEvent[event];
    }
  }

  emit(host: Host, thisArg: unknown, event: string, args: unknown[]): void {
    const fns = (this.byEvent[event] || []).slice();
    for (const fn of fns) host.call(fn, thisArg, args);
  }

  count(event: string): number {
    return (this.byEvent[event] || []).length;
  }

  /** Every listener, for the memory estimate. */
  all(): unknown[] {
    let out: unknown[] = [];
    for (const key of Object.keys(this.byEvent)) out = out.concat(this.byEvent[key]);
    return out;
  }
}
