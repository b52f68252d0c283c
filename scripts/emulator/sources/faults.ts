// A byte source with faults put in by a test: bursts of noise between frames, frames cut short. The line stays
// one line: an injected burst that would overlap a frame waits for it (the UART model queues them).
import type { Transmission } from "../line";
import type { ByteSource } from "../uart";

export interface FaultySource extends ByteSource {
  /** Puts `bytes` on the line at virtual time `at`. */
  inject(at: number, bytes: Uint8Array): void;
  /** Cuts the first `count` transmissions of the inner source that start at or after `fromMs` to their first
   *  `keep` bytes. Faults are set up ahead of time: the UART asks its source up to a minute ahead. */
  truncate(fromMs: number, count: number, keep: number): void;
}

export function withFaults(inner: ByteSource): FaultySource {
  const injected: Transmission[] = [];
  const cuts: { from: number; count: number; keep: number }[] = [];
  return {
    line: inner.line,
    live: inner.live,
    take: function (untilMs: number): Transmission[] {
      const out = inner.take(untilMs).map(function (t) {
        const cut = cuts.find(function (c) { return c.count > 0 && t.at >= c.from; });
        if (!cut) return t;
        cut.count--;
        return { at: t.at, bytes: t.bytes.subarray(0, Math.min(cut.keep, t.bytes.length)) };
      });
      for (let i = injected.length - 1; i >= 0; i--) {
        if (injected[i].at <= untilMs) out.push(injected.splice(i, 1)[0]);
      }
      return out.sort(function (a, b) { return a.at - b.at; });
    },
    inject: function (at: number, bytes: Uint8Array) { injected.push({ at: at, bytes: bytes }); },
    truncate: function (fromMs: number, count: number, keep: number) {
      cuts.push({ from: fromMs, count: count, keep: keep });
    },
    configure: inner.configure ? function (rx) { (inner.configure as NonNullable<ByteSource["configure"]>)(rx); } :
      undefined,
    attach: inner.attach ? function (now) { (inner.attach as NonNullable<ByteSource["attach"]>)(now); } : undefined,
    close: function () { inner.close(); },
    describe: function () { return inner.describe() + " with faults"; },
  };
}
