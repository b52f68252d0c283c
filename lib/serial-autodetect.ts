// Finding the HAN line's serial settings: Aidon and Kaifa send 2400 8E1, Kamstrup 2400 8N1, other meters and
// adapters 9600 or 115200. A setting is judged by what the frame reader makes of the bytes it receives (valid
// CRCs), never by the clock alone: silence says nothing about the setting, so it changes nothing.
//
// The ESP32 delivers every byte its UART frames, parity and framing errors unflagged, so a wrong setting shows as
// bytes rather than silence: garbage at a wrong baud rate, bytes out of step from an 8N1 meter read as 8E1. An 8E1
// meter read as 8N1 arrives intact (its parity bit passes for a stop bit, or for a framing error no one reports):
// that setting works as well as 8E1 and is kept.

export interface SerialSetting {
  baud: number;
  parity: "even" | "none" | "odd";
}

export interface SettingReport {
  baud: number;
  parity: string;
  bytes: number;
  frames_ok: number;
  /** "too few frames": valid frames came, but too few among the damaged ones to tell a right setting from luck. */
  verdict: "working" | "no frames" | "too few frames" | "untried" | "silent";
}

/** Counters of the frame reader that the judgement reads. */
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

/** The order tried: the Norwegian default, the other parity, then the faster speeds. */
export const CANDIDATES: SerialSetting[] = [
  { baud: 2400, parity: "even" }, { baud: 2400, parity: "none" }, { baud: 9600, parity: "even" },
  { baud: 9600, parity: "none" }, { baud: 115200, parity: "none" }, { baud: 115200, parity: "even" },
];

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
  private reports: SettingReport[];
  /** Windows in a row with bytes but no valid frame after the setting was found. */
  private failures: number;

  /** `fixed` pins one setting (configured); `start` is the one that worked last time (stored). */
  constructor(fixed: SerialSetting | null, start: SerialSetting | null) {
    this.candidates = fixed ? [fixed] : CANDIDATES;
    this.index = 0;
    if (start && !fixed) {
      for (let i = 0; i < CANDIDATES.length; i++) {
        if (CANDIDATES[i].baud === start.baud && CANDIDATES[i].parity === start.parity) this.index = i;
      }
    }
    this.current = this.candidates[this.index];
    this.locked = false;
    this.startBytes = 0;
    this.startFrames = 0;
    this.startDamaged = 0;
    this.starved = 0;
    this.failures = 0;
    this.reports = this.candidates.map((c): SettingReport => {
      return { baud: c.baud, parity: c.parity, bytes: 0, frames_ok: 0, verdict: "untried" };
    });
  }

  /** Judges the window since the last call: returns the setting to switch to, or null to stay. `locked` tells
   *  whether the current setting has proven itself with valid frames. */
  judge(c: LineCounters): SerialSetting | null {
    const bytes = c.bytes_in - this.startBytes;
    const frames = c.frames_ok - this.startFrames;
    const bad = damaged(c) - this.startDamaged;
    const little = bytes < MIN_BYTES && bad < DAMAGED_ENOUGH;
    const report = this.reports[this.index];
    if (frames > 0 && (this.locked || frames >= FRAMES_TO_LOCK && frames > bad)) {
      report.verdict = "working";
      this.failures = 0;
      this.locked = true;
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

  private mark(c: LineCounters): void {
    const report = this.reports[this.index];
    report.bytes += c.bytes_in - this.startBytes;
    report.frames_ok += c.frames_ok - this.startFrames;
    this.startBytes = c.bytes_in;
    this.startFrames = c.frames_ok;
    this.startDamaged = damaged(c);
    this.starved = 0;
  }

  /** What was tried and what came of it, for the diag topic. */
  report(): SettingReport[] {
    return this.reports;
  }
}
