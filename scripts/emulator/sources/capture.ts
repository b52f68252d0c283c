// A capture file as the line's byte source: either text with one frame in hex per line (spaces and colons
// allowed, '#' starts a comment), sent one frame every `intervalMs`; or raw bytes as read off a line, sent
// back to back. With `loop` the capture repeats forever.
import { readFileSync } from "node:fs";
import type { LineSettings, Transmission } from "../line";
import type { ByteSource } from "../uart";

export interface CaptureOptions {
  file: string;
  /** Default 2400 8E1. */
  line?: LineSettings;
  /** Between the starts of two frames of a hex capture, or between repeats of a raw one. Default 2000. */
  intervalMs?: number;
  /** Virtual ms of the first frame. Default 1000. */
  startAtMs?: number;
  loop?: boolean;
}

/** The frames of a hex capture, or null when the file is not one. */
export function parseHexCapture(text: string): Uint8Array[] | null {
  const frames: Uint8Array[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, "").replace(/[\s:]/g, "");
    if (line === "") continue;
    if (!/^([0-9a-fA-F]{2})+$/.test(line)) return null;
    frames.push(Uint8Array.from(Buffer.from(line, "hex")));
  }
  return frames.length > 0 ? frames : null;
}

export function captureSource(options: CaptureOptions): ByteSource {
  const data = readFileSync(options.file);
  const frames = parseHexCapture(data.toString("latin1")) || [Uint8Array.from(data)];
  const interval = options.intervalMs || 2000;
  let next = options.startAtMs === undefined ? 1000 : options.startAtMs;
  let index = 0;
  return {
    line: options.line || { baud: 2400, bytesize: 8, parity: "even", stopbits: 1 },
    take: function (untilMs: number): Transmission[] {
      const out: Transmission[] = [];
      while (next <= untilMs && (index < frames.length || options.loop)) {
        out.push({ at: next, bytes: frames[index % frames.length] });
        index++;
        next += interval;
      }
      return out;
    },
    close: function () { /* read at once */ },
    describe: function () { return "capture " + options.file + " (" + frames.length + " frame(s))"; },
  };
}
