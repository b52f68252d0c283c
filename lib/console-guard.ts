// The USB console's door: a password prompt in front of Espruino's REPL. Espruino's own E.lockConsole() lets
// anyone at the cabinet try passwords as fast as they can type or script; this one lets three attempts go, then
// makes each further attempt wait twice as long as the one before, up to a ceiling. The count of wrong attempts
// is kept where a reset cannot reach it (a USB serial adapter resets the board with DTR/RTS at will), and a boot
// with attempts outstanding starts with the wait they are owed: the clock starts again at a reset, the count does
// not.
import type { Clock } from "./mqtt/clock";
import { sameText } from "./remote/hmac";

/** Numbers written in where they are used (a module's own top-level consts would each hold device variables).
 *  MAX_LINE: longest line kept while typing, so that input cannot grow; the schema refuses a console.password
 *  longer than this (lib/config/schema.ts), which could never be typed. LONGEST_WAIT: 15 minutes, the most the
 *  owner ever waits; reached at the 11th wrong attempt, after which a stranger gets 4 attempts an hour. */
const enum Limit {
  MAX_LINE = 64,
  FREE_ATTEMPTS = 3,
  FIRST_WAIT = 5000,
  LONGEST_WAIT = 900000,
}

/** Wait before the next attempt after `failures` wrong passwords, in ms. A function of the module, not a static
 *  method: the bundle turns the class into a class expression, and Espruino's class expressions cannot refer to
 *  their own name. */
export function delayAfter(failures: number): number {
  if (failures < Limit.FREE_ATTEMPTS) return 0;
  return Math.min(Limit.LONGEST_WAIT, Limit.FIRST_WAIT * Math.pow(2, failures - Limit.FREE_ATTEMPTS));
}

export interface GuardIO {
  write(text: string): void;
  /** Hands the REPL to the person who typed the password. */
  unlock(): void;
  /** Keeps the count of wrong attempts through resets. Called with the attempt counted before it is judged, so
   *  that a reset at the first sign of the answer cannot take the attempt back, and with 0 after the right one. */
  count(failures: number): void;
}

export class ConsoleGuard {
  locked: boolean;
  failures: number;
  private password: string;
  private clock: Clock;
  private io: GuardIO;
  private line: string;
  /** Seconds left of the wait that runs; attempts are refused until it is 0. Counted down by a timer each second:
   *  the wall clock jumps when SNTP sets it (forward by decades at the first sync after boot, which is in the
   *  middle of the wait a boot starts with), so it can neither time the wait nor tell what is left of it. */
  private left: number;

  /** `failures`: the count kept from before this boot; the wait it is owed starts now. */
  constructor(password: string, failures: number, clock: Clock, io: GuardIO) {
    this.password = password;
    this.clock = clock;
    this.io = io;
    this.locked = true;
    this.failures = failures;
    this.line = "";
    this.left = 0;
    this.hold();
  }

  prompt(): void {
    this.io.write("\r\nConsole locked. Password: ");
  }

  /** Feeds typed characters (binary string, any chunking). */
  input(chunk: string): void {
    if (!this.locked) return;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charAt(i);
      if (c === "\r" || c === "\n") {
        if (this.line.length > 0 || c === "\r") this.attempt();
      } else if (c === "\x03") {
        // Ctrl-C starts the line again, as at any prompt: the host tools send it first, to clear whatever a broken
        // upload left half-typed, and the prompt it brings back tells them the console is locked. Other control
        // characters are no part of a password.
        this.line = "";
        this.prompt();
      } else if (c >= " " && this.line.length < Limit.MAX_LINE) {
        this.line += c;
      }
      if (!this.locked) return;
    }
  }

  private attempt(): void {
    const typed = this.line;
    this.line = "";
    if (this.left > 0) {
      this.io.write("\r\nWait " + this.left + " s before trying again.");
    } else if (typed !== "") {
      // Enter on an empty line is no attempt: else a passer-by pressing it would push the owner's wait up.
      this.io.count(++this.failures);
      if (sameText(typed, this.password)) {
        this.locked = false;
        this.failures = 0;
        this.io.count(0);
        this.io.write("\r\nUnlocked.\r\n");
        this.io.unlock();
        return;
      }
      this.hold();
      this.io.write("\r\nWrong password." + (this.left > 0 ? " Next attempt in " + this.left + " s." : ""));
    }
    this.prompt();
  }

  /** Starts the wait the count of wrong attempts owes. */
  private hold(): void {
    this.left = delayAfter(this.failures) / 1000;
    const tick = (): void => {
      if (--this.left > 0) this.clock.setTimeout(tick, 1000);
    };
    if (this.left > 0) this.clock.setTimeout(tick, 1000);
  }

  /** Locks again (after the unlocked console has been idle, or on demand). */
  lock(): void {
    this.locked = true;
    this.line = "";
    this.prompt();
  }
}
