// The USB console's door: a password prompt in front of Espruino's REPL. Espruino's own E.lockConsole() lets
// anyone at the cabinet try passwords as fast as they can type or script; this one lets three attempts go, then
// makes each further attempt wait twice as long as the one before.
import type { Clock } from "./mqtt/clock";
import { sameText } from "./remote/hmac";

/** Numbers written in where they are used (a module's own top-level consts would each hold device variables).
 *  MAX_LINE: longest line kept while typing: a password longer than this cannot be right, and input must not
 *  grow. */
const enum Limit {
  MAX_LINE = 64,
  FREE_ATTEMPTS = 3,
  FIRST_WAIT = 5000,
  LONGEST_WAIT = 3600000,
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
}

export class ConsoleGuard {
  locked: boolean;
  failures: number;
  private password: string;
  private clock: Clock;
  private io: GuardIO;
  private line: string;
  /** Attempts are refused while a wait runs. A timer ends it: the wall clock jumps when SNTP sets it (forward by
   *  decades at the first sync after boot), so it cannot time the wait. */
  private waiting: boolean;
  /** When the wait should end on the wall clock: only for telling how long is left. */
  private waitUntil: number;
  private waitMs: number;

  constructor(password: string, clock: Clock, io: GuardIO) {
    this.password = password;
    this.clock = clock;
    this.io = io;
    this.locked = true;
    this.failures = 0;
    this.line = "";
    this.waiting = false;
    this.waitUntil = 0;
    this.waitMs = 0;
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
    const now = this.clock.now();
    if (this.waiting) {
      const left = Math.min(this.waitMs, Math.max(1000, this.waitUntil - now));
      this.io.write("\r\nWait " + Math.ceil(left / 1000) + " s before trying again.");
      this.prompt();
      return;
    }
    if (sameText(typed, this.password)) {
      this.locked = false;
      this.failures = 0;
      this.io.write("\r\nUnlocked.\r\n");
      this.io.unlock();
      return;
    }
    this.failures++;
    const wait = delayAfter(this.failures);
    if (wait > 0) {
      this.waiting = true;
      this.waitUntil = now + wait;
      this.waitMs = wait;
      this.clock.setTimeout(() => { this.waiting = false; }, wait);
    }
    this.io.write("\r\nWrong password." + (wait > 0 ? " Next attempt in " + wait / 1000 + " s." : ""));
    this.prompt();
  }

  /** Locks again (after the unlocked console has been idle, or on demand). */
  lock(): void {
    this.locked = true;
    this.line = "";
    this.prompt();
  }
}
