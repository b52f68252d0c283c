// Finding the HAN line's serial settings and framing: Aidon and Kaifa send HDLC at 2400 8E1, Kamstrup at 2400 8N1,
// Austrian and Polish Kaifa M-Bus frames at 2400 or 9600 8E1, DSMR P1 meters telegrams at 115200 8N1 (DSMR 2.2
// and 3 at 9600 7E1), other meters and adapters HDLC at 9600 or 115200. A candidate is judged by what the reader
// of its framing makes of the bytes it receives (valid CRCs and checksums), never by the clock alone: silence says
// nothing about the setting, so it changes nothing.
//
// The ESP32 delivers every byte its UART frames, parity and framing errors unflagged, so a wrong setting shows as
// bytes rather than silence: garbage at a wrong baud rate, bytes out of step from an 8N1 meter read as 8E1. An 8E1
// meter read as 8N1 arrives intact (its parity bit passes for a stop bit, or for a framing error no one reports):
// that setting works as well as 8E1 and is kept.

export interface SerialSetting {
  baud: number;
  parity: "even" | "none" | "odd";
  /** Data bits when not 8: 7 for DSMR 2.2 and 3 (Espruino's Serial.setup takes bytesize 7 on the ESP32). */
  bits?: number;
  /** The meter's framing when not HDLC: "mbus" or "p1". */
  framing?: string;
}

export interface SettingReport {
  baud: number;
  parity: string;
  bits?: number;
  framing?: string;
  bytes: number;
  frames_ok: number;
  /** "too few frames": valid frames came, but too few among the damaged ones to tell a right setting from luck. */
  verdict: "working" | "no frames" | "too few frames" | "untried" | "silent";
}

/** Counters of the frame reader that the judgement reads: HDLC's, M-Bus's and P1's have these names. */
export interface LineCounters {
  bytes_in: number;
  frames_ok: number;
  hcs_errors: number;
  fcs_errors: number;
  length_errors: number;
}

/** Frames started but failed their checks: with none valid beside them, the setting is wrong. */
function damaged(c: LineCounters): number {
  return c.hcs_errors + c.fcs_errors + c.length_errors;
}

/** Damaged frames that condemn a setting before MIN_BYTES have arrived. */
const DAMAGED_ENOUGH = 3;

/** Windows in a row with bytes but not one valid frame that condemn a setting however few the bytes: every meter
 *  sends at least one whole list per window, so a right setting shows a frame within two. */
const STARVED_ENOUGH = 2;

/** Valid frames that prove a setting not yet locked, if they also outnumber the damaged ones: every meter sends at
 *  least two lists per window (Kamstrup's every 10 s is the sparsest), while garbage that passes both CRCs by
 *  chance comes one frame at a time among damaged ones. A locked setting keeps itself with any valid frame. */
const FRAMES_TO_LOCK = 2;

/** Every framing and setting of the meters of han-spec.md 1.6, in the order tried: the Nordic HDLC meters first,
 *  then M-Bus and P1 at their meters' settings, then HDLC through adapters; each "baud/parity/bits/framing", the
 *  last two left empty for 8 bits and HDLC. Text made into settings where needed: ten objects held for good would
 *  cost the device some sixty variables. */
export function framingCandidates(): SerialSetting[] {
  return ("2400/even,2400/none,2400/even//mbus,9600/even//mbus,115200/none//p1,9600/even/7/p1,9600/even,9600/none," +
    "115200/none,115200/even").split(",").map((text) => {
    const f = text.split("/");
    const s: SerialSetting = { baud: parseInt(f[0], 10), parity: f[1] as SerialSetting["parity"] };
    if (f[2]) s.bits = parseInt(f[2], 10);
    if (f[3]) s.framing = f[3];
    return s;
  });
}

/** The candidates, for the host tools and tests. */
export const FRAMING_CANDIDATES: SerialSetting[] = /* @__PURE__ */ framingCandidates();

function hdlcOnly(): SerialSetting[] {
  return framingCandidates().filter((c) => { return !c.framing; });
}

/** HDLC's candidates, in the order tried: the Norwegian default, the other parity, then the faster speeds. Made
 *  where used, not held: the device passes its own list (FramingDetect). */
export const CANDIDATES: SerialSetting[] = /* @__PURE__ */ hdlcOnly();

function untried(c: SerialSetting): SettingReport {
  return { baud: c.baud, parity: c.parity, bits: c.bits, framing: c.framing, bytes: 0, frames_ok: 0, verdict: "untried" };
}

/** Bytes that must arrive in a window before a setting that produced no valid frame is given up: more than
 *  the longest Norwegian frame, so that a window that began mid-frame still sees one whole frame. */
const MIN_BYTES = 600;

export class SerialAutodetect {
  current: SerialSetting;
  locked: boolean;
  private candidates: SerialSetting[];
  private index: number;
  private startBytes: number;
  private startFrames: number;
  private startDamaged: number;
  /** Judgements put off for lack of bytes since the window began. */
  private starved: number;
  /** Only of the settings tried: one per candidate would hold some ten variables each for good. */
  private reports: SettingReport[];
  /** Windows in a row with bytes but no valid frame after the setting was found. */
  private failures: number;
  /** The stored setting's index (it worked on this line before), or -1; and the frames damaged in their body
   *  alone (fcs_errors) when the window began. */
  private stored: number;
  private startHeads: number;

  /** `fixed` pins one setting (configured); `start` is the one that worked last time (stored); `candidates` are
   *  those whose framing's reader is at hand (default: HDLC's). */
  constructor(fixed: SerialSetting | null, start: SerialSetting | null, candidates?: SerialSetting[]) {
    const all = candidates || hdlcOnly();
    this.candidates = fixed ? [fixed] : all;
    this.index = 0;
    this.stored = -1;
    this.startHeads = 0;
    if (start && !fixed) {
      for (let i = 0; i < all.length; i++) {
        const c = all[i];
        if (c.baud === start.baud && c.parity === start.parity && c.bits === start.bits && c.framing === start.framing) {
          this.index = this.stored = i;
        }
      }
    }
    this.current = this.candidates[this.index];
    this.locked = false;
    this.startBytes = 0;
    this.startFrames = 0;
    this.startDamaged = 0;
    this.starved = 0;
    this.failures = 0;
    this.reports = [];
  }

  /** Judges the window since the last call: returns the setting to switch to, or null to stay. `locked` tells
   *  whether the current setting has proven itself with valid frames. */
  judge(c: LineCounters): SerialSetting | null {
    const bytes = c.bytes_in - this.startBytes;
    const frames = c.frames_ok - this.startFrames;
    const bad = damaged(c) - this.startDamaged;
    const little = bytes < MIN_BYTES && bad < DAMAGED_ENOUGH;
    const report = this.reportOf(this.index);
    if (frames > 0 && (this.locked || frames >= FRAMES_TO_LOCK && frames > bad)) {
      report.verdict = "working";
      this.failures = 0;
      this.locked = true;
    } else if (c.fcs_errors > this.startHeads && (this.locked || this.index === this.stored)) {
      // Frames whole but for their body's checksum: a noisy line at the right setting (1 % of bytes spoilt spoils
      // most long frames), not garbage at a wrong one, where a header's CRC holds once in 65,536 candidates. The
      // setting that worked keeps its place while the noise lasts, and reads the hourly list that comes through.
      this.failures = 0;
    } else if (bytes === 0 || this.locked && bytes < MIN_BYTES) {
      if (report.verdict === "untried") report.verdict = "silent";
    } else if (frames > 0 && little || (frames > 0 || little) && ++this.starved < STARVED_ENOUGH) {
      // The window goes on. Valid frames too few to lock: luck needs plenty of garbage around it, so with little
      // else they wait for the meter's next frames, and amid garbage they get one more window. No valid frame and
      // too little to judge (a wrong setting at the meter's baud rate may bring few bytes): one more window, and
      // not for ever, as silence would keep a wrong setting.
      return null;
    } else {
      report.verdict = frames > 0 ? "too few frames" : "no frames";
      this.failures++;
      // A setting that worked is given a few windows of grace: a burst of noise is not a wrong setting.
      if (!this.locked || this.failures >= 3) {
        this.locked = false;
        this.failures = 0;
        if (this.candidates.length > 1) {
          this.mark(c);
          this.index = (this.index + 1) % this.candidates.length;
          this.current = this.candidates[this.index];
          return this.current;
        }
      }
    }
    this.mark(c);
    return null;
  }

  /** Books the window's bytes and frames to the current setting, and starts the window afresh from `c`. */
  private mark(c: LineCounters): void {
    const report = this.reportOf(this.index);
    report.bytes += c.bytes_in - this.startBytes;
    report.frames_ok += c.frames_ok - this.startFrames;
    this.begin(c);
  }

  /** Starts the window from `c` with nothing booked: after judge() moved to a candidate of another framing, the
   *  counters of that framing's fresh reader. */
  begin(c: LineCounters): void {
    this.startBytes = c.bytes_in;
    this.startFrames = c.frames_ok;
    this.startDamaged = damaged(c);
    this.startHeads = c.fcs_errors;
    this.starved = 0;
  }

  /** Every candidate, what was tried and what came of it, for the diag topic. */
  report(): SettingReport[] {
    const out: SettingReport[] = [];
    for (let i = 0; i < this.candidates.length; i++) out.push(this.reports[i] || untried(this.candidates[i]));
    return out;
  }

  private reportOf(i: number): SettingReport {
    return this.reports[i] || (this.reports[i] = untried(this.candidates[i]));
  }
}

/** A setting as the diag topic shows it: "2400 8E1", "9600 7E1". */
export function serialText(s: SerialSetting): string {
  return s.baud + " " + (s.bits || 8) + (s.parity === "even" ? "E" : s.parity === "odd" ? "O" : "N") + "1";
}

/** What the autodetector judges a framing by: a reader fed the line's bytes, counting valid and damaged frames.
 *  The decoder (HDLC, M-Bus) and lib/p1/telegram-reader.ts are such readers. */
export interface JudgedReader {
  counters: LineCounters;
  push(bytes: Uint8Array): void;
  flush(): void;
}

/** The autodetector with the framings' readers at hand, each framing an entry: its name and a factory of its
 *  reader, called with the framing's name (one function may serve several). The line's bytes go to the reader of
 *  the candidate being tried; a candidate moved to gets a fresh reader, whose counters start its window. Candidates of a framing without an entry are not tried, so that a
 *  device can add the M-Bus and P1 readers when it loads them. */
export class FramingDetect {
  detect: SerialAutodetect;
  /** The reader of the current candidate's framing. */
  reader: JudgedReader;
  private make: { [framing: string]: (framing: string) => JudgedReader };

  constructor(make: { [framing: string]: (framing: string) => JudgedReader }, fixed: SerialSetting | null, start: SerialSetting | null) {
    const names = Object.keys(make);
    if (fixed && names.indexOf(fixed.framing || "hdlc") < 0) {
      throw new Error("framing must be one of " + names.join(", ") + "; got \"" + fixed.framing + "\"");
    }
    this.make = make;
    this.detect = new SerialAutodetect(fixed, start,
      framingCandidates().filter((c) => { return names.indexOf(c.framing || "hdlc") >= 0; }));
    const framing = this.detect.current.framing || "hdlc";
    this.reader = make[framing](framing);
  }

  push(bytes: Uint8Array): void {
    this.reader.push(bytes);
  }

  /** Judges the window since the last call (SerialAutodetect.judge): the candidate to move to, or null. */
  judge(): SerialSetting | null {
    const next = this.detect.judge(this.reader.counters);
    if (next) {
      this.reader.flush();
      const framing = next.framing || "hdlc";
      this.reader = this.make[framing](framing);
      this.detect.begin(this.reader.counters);
    }
    return next;
  }
}
