// The simulated meter as the line's byte source: the simulator runs on UTC, the emulator's timeline starts at
// `startMs` UTC, and each frame goes on the wire when the simulator says it is sent.
import { MeterSimulator, MeterOptions, SentFrame } from "../../sim/meter";
import type { LineSettings, Transmission } from "../line";
import type { ByteSource } from "../uart";

/** All these meters send at 2400 baud: Kamstrup 8N1, the others 8E1 (han-spec.md 1.7). */
export function meterLine(maker: MeterOptions["maker"]): LineSettings {
  return { baud: 2400, bytesize: 8, parity: maker === "kamstrup" ? "none" : "even", stopbits: 1 };
}

export interface MeterSourceOptions extends MeterOptions {
  /** Told of every frame as it is put on the line, with its virtual start time; for tests that compare. */
  onFrame?: (frame: SentFrame, at: number) => void;
  /** The line settings, if not the maker's own (to test a meter that sends otherwise). */
  line?: LineSettings;
}

export function meterSource(options: MeterSourceOptions): ByteSource {
  const sim = new MeterSimulator(options);
  const line = options.line || meterLine(options.maker);
  return {
    line: line,
    take: function (untilMs: number): Transmission[] {
      return sim.advanceTo(options.startMs + untilMs).map(function (f) {
        const at = f.sentAt - options.startMs;
        if (options.onFrame) options.onFrame(f, at);
        return { at: at, bytes: f.bytes };
      });
    },
    close: function () { /* nothing held */ },
    describe: function () {
      return "simulated " + options.maker + " meter, " + options.phases + " phase(s)";
    },
  };
}
