// A capture as it arrives, chunk by chunk: text with one message in hex per line, or the raw bytes of the meter's
// line. Which of the two is decided as early as the bytes allow, so that a live line (cat /dev/ttyUSB0) is
// decoded while it comes:
//   - the first line that is hex (0-9 and a-f, with spaces, colons or a leading 0x; '#' starts a comment) makes
//     it text, and every line that is not hex is then reported with its number and skipped;
//   - a byte that no text line has (a control character, or one over 0x7E, before any '#') makes it binary;
//   - a printable line that is not hex leaves it open (a text file may start with a bad line); without a hex line
//     in the first 4 KB, or in the whole input, it is binary.
import { fromHex } from "../lib/bytes";

export interface CaptureSink {
  /** The bytes of one hex line. */
  message(bytes: Uint8Array): void;
  /** Raw bytes of a binary capture, as they came. */
  bytes(chunk: Uint8Array): void;
  /** A line of a text capture that was skipped: its 1-based number and why. */
  badLine(line: number, why: string): void;
}

const HEX_LINE = /^(0x)?[0-9a-fA-F\s:]+$/;
const NOT_TEXT = /[^\x20-\x7e\t\r]/;
/** A text capture shows a hex line within this many bytes. */
const UNDECIDED_MAX = 4096;

type LineKind = "blank" | "hex" | "other" | "binary";

function classify(raw: Buffer): { kind: LineKind; body: string } {
  const text = raw.toString("latin1");
  const hash = text.indexOf("#");
  const beforeComment = hash >= 0 ? text.slice(0, hash) : text;
  const body = beforeComment.trim();
  if (NOT_TEXT.test(beforeComment)) return { kind: "binary", body: body };
  if (body === "") return { kind: "blank", body: body };
  return { kind: HEX_LINE.test(body) ? "hex" : "other", body: body };
}

export class CaptureInput {
  kind: "undecided" | "text" | "binary" = "undecided";
  /** Undecided: every byte so far. Text: the line not finished yet. */
  private pending: Buffer = Buffer.alloc(0);
  /** Lines of a text capture read so far. */
  private lines = 0;

  constructor(private readonly sink: CaptureSink) {}

  push(chunk: Uint8Array): void {
    if (this.kind === "binary") {
      this.sink.bytes(chunk);
      return;
    }
    this.pending = Buffer.concat([this.pending, chunk]);
    if (this.kind === "undecided") this.decide(false);
    if (this.kind === "text") this.readLines(false);
  }

  /** The input has ended: its last line counts even without a line end. */
  end(): void {
    if (this.kind === "undecided") this.decide(true);
    if (this.kind === "text") this.readLines(true);
  }

  private decide(atEnd: boolean): void {
    let start = 0;
    while (start < this.pending.length) {
      const newline = this.pending.indexOf(0x0a, start);
      const line = classify(this.pending.subarray(start, newline < 0 ? this.pending.length : newline));
      if (line.kind === "binary") return this.becomeBinary();
      // An unfinished line may still turn out not to be hex.
      if (line.kind === "hex" && (newline >= 0 || atEnd)) {
        this.kind = "text";
        return;
      }
      if (newline < 0) break;
      start = newline + 1;
    }
    if (atEnd || this.pending.length > UNDECIDED_MAX) this.becomeBinary();
  }

  private becomeBinary(): void {
    this.kind = "binary";
    const all = this.pending;
    this.pending = Buffer.alloc(0);
    if (all.length > 0) this.sink.bytes(all);
  }

  private readLines(atEnd: boolean): void {
    for (;;) {
      const newline = this.pending.indexOf(0x0a);
      if (newline < 0 && !(atEnd && this.pending.length > 0)) return;
      const raw = newline < 0 ? this.pending : this.pending.subarray(0, newline);
      this.pending = newline < 0 ? Buffer.alloc(0) : this.pending.subarray(newline + 1);
      this.lines++;
      const line = classify(raw);
      if (line.kind === "blank") continue;
      if (line.kind !== "hex") {
        this.sink.badLine(this.lines, "not hex");
        continue;
      }
      let bytes: Uint8Array;
      try {
        bytes = fromHex(line.body);
      } catch (e) {
        this.sink.badLine(this.lines, (e as Error).message);
        continue;
      }
      this.sink.message(bytes);
    }
  }
}
