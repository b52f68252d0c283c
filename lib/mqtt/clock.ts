// Time as the MQTT client sees it: injectable, so tests drive it with a fake clock. On the device the defaults
// are Espruino's globals.

export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Milliseconds. Wall time on the device, which jumps when SNTP sets it, so nothing here relies on it for more
   *  than a best-effort duration. */
  now(): number;
}

// The ES5 library the device code is checked against has no timers; Espruino and Node both provide these.
declare function setTimeout(fn: () => void, ms: number): unknown;
declare function clearTimeout(handle: unknown): void;

export const systemClock: Clock = {
  setTimeout (fn: () => void, ms: number): unknown {
    return setTimeout(fn, ms);
  },
  clearTimeout (handle: unknown): void {
    clearTimeout(handle);
  },
  now (): number {
    return Date.now();
  },
};
