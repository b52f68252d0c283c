// The USB console's door: a password prompt in front of Espruino's REPL. Espruino's own E.lockConsole() lets
// anyone at the cabinet try passwords as fast as they can type or script; this one lets three attempts go, then
// makes each further attempt wait twice as long as the one before.
import type { Clock } from "./mqtt/clock";
import { sameText } from "./remote/hmac";

/** Longest line kept while typing: a password longer than this cannot be right, and input must not grow. */
const MAX_LINE = 64;
const FREE_ATTEMPTS = 3;
const FIRST_WAIT = 5000;
const LONGEST_WAIT = 3600000;

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

  /** Wait before the next attempt after `failures` wrong passwords, in ms. */
  static delayAfter(failures: number): number {
    if (failures < FREE_ATTEMPTS) return 0;
    return Math.min(LONGEST_WAIT, FIRST_WAIT * Math.pow(2, failures - FREE_ATTEMPTS));
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
        // upload left half-typed. Other control characters are no part of a password.
        this.line = "";
      } else if (c >= " " && this.line.length < MAX_LINE) {
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
    const wait = ConsoleGuard.delayAfter(this.failures);
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
