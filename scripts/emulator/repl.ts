// Espruino's REPL on the console device (src/jsinteractive.c), as far as a person at a terminal and the host tools
// (the `espruino` command-line tool) rely on it:
// - typed characters are echoed and collected; Enter (CR, LF, or CR LF) runs the line once its brackets are
//   closed, and otherwise continues it on a ":" line; ESC LF (Alt-Enter) adds a newline without running;
// - a line that ran with the echo on is followed by "=value" (nothing after an error) and a new ">" prompt;
// - DLE (0x10) turns the echo off for the rest of the line: nothing is echoed, no "=value" follows, and a prompt
//   comes back only if the line printed something (the tools send every line that way and read what it prints);
// - Ctrl-C drops the line; backspace deletes; ESC [ ... sequences (cursor keys, the tools' line numbers) are
//   swallowed; other control characters are ignored;
// - what the firmware prints while ">" is on screen takes the prompt's place, and the prompt follows it.

export interface Evaluation {
  /** The code threw (the emulator has reported it as uncaught). */
  threw: boolean;
  value: unknown;
}

/** Open brackets left in `code`, outside strings and comments; an open block comment or template counts as one. */
export function openBrackets(code: string): number {
  let depth = 0;
  let i = 0;
  while (i < code.length) {
    const c = code.charAt(i);
    const next = code.charAt(i + 1);
    if (c === "/" && next === "/") {
      const end = code.indexOf("\n", i);
      if (end < 0) break;
      i = end + 1;
    } else if (c === "/" && next === "*") {
      const end = code.indexOf("*/", i + 2);
      if (end < 0) return depth + 1;
      i = end + 2;
    } else if (c === "\"" || c === "'" || c === "`") {
      i++;
      while (i < code.length && code.charAt(i) !== c && (c === "`" || code.charAt(i) !== "\n")) {
        i += code.charAt(i) === "\\" ? 2 : 1;
      }
      if (i >= code.length && c === "`") return depth + 1;
      i++;
    } else {
      if (c === "(" || c === "[" || c === "{") depth++;
      else if (c === ")" || c === "]" || c === "}") depth--;
      i++;
    }
  }
  return depth;
}

/** Espruino's "=value": strings quoted, objects as JSON, the rest as they print. */
function shown(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "function () { ... }";
  if (value !== null && typeof value === "object") {
    try {
      return String(JSON.stringify(value));
    } catch (e) {
      return String(value);
    }
  }
  return String(value);
}

export class Repl {
  private line = "";
  private echoOff = false;
  /** 0: plain input; 1: after ESC; 2: inside an ESC [ sequence. */
  private escape = 0;
  private last = "";
  /** ">" and the line typed so far are on the terminal. */
  private promptShown = false;
  private running = false;
  private printedWhileRunning = false;

  constructor(private readonly evaluate: (code: string) => Evaluation, private readonly write: (text: string) => void) {}

  /** Characters from the console device (binary string, any chunking). */
  input(chunk: string): void {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charAt(i);
      const previous = this.last;
      this.last = c;
      if (this.escape === 1) {
        this.escape = c === "[" ? 2 : 0;
        if (c === "\n" || c === "\r") this.continueLine();
      } else if (this.escape === 2) {
        if (c >= "@" && c <= "~") this.escape = 0;
      } else if (c === "\x1b") {
        this.escape = 1;
      } else if (c === "\x10") {
        this.echoOff = true;
      } else if (c === "\x03") {
        this.interrupt();
      } else if (c === "\x08" || c === "\x7f") {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          this.echo("\x08 \x08");
        }
      } else if (c === "\r" || (c === "\n" && previous !== "\r")) {
        this.enter();
      } else if (c >= " " || c === "\t") {
        this.line += c;
        this.echo(c);
      }
    }
  }

  /** Frames text the interpreter prints (print, console.log, errors) for the terminal the REPL is on. */
  framePrinted(text: string): string {
    let out = text.replace(/\r?\n/g, "\r\n") + "\r\n";
    if (this.promptShown) {
      out = "\r" + out;
      this.promptShown = false;
      if (!this.running) out += this.prompt();
    }
    if (this.running) this.printedWhileRunning = true;
    return out;
  }

  /** The interpreter restarted: the line typed so far is gone. After reset() Espruino shows a prompt. */
  restarted(showPrompt: boolean): void {
    this.line = "";
    this.echoOff = false;
    this.escape = 0;
    this.promptShown = false;
    if (showPrompt) this.write("\r\n" + this.prompt());
  }

  private echo(text: string): void {
    if (!this.echoOff) this.write(text);
  }

  private prompt(): string {
    this.promptShown = true;
    return ">" + (this.echoOff ? "" : this.line.replace(/\n/g, "\r\n:"));
  }

  private continueLine(): void {
    this.line += "\n";
    this.echo("\r\n:");
  }

  private interrupt(): void {
    const had = this.line.length > 0;
    this.line = "";
    this.echoOff = false;
    if (had) this.write("\r\n" + this.prompt());
  }

  private enter(): void {
    if (openBrackets(this.line) > 0) {
      this.continueLine();
      return;
    }
    const code = this.line;
    const echo = !this.echoOff;
    this.line = "";
    if (echo) this.write("\r\n");
    this.promptShown = false;
    this.running = true;
    this.printedWhileRunning = false;
    let result: Evaluation;
    try {
      result = this.evaluate(code);
    } finally {
      this.running = false;
    }
    this.echoOff = false;
    if (echo && !result.threw) this.write("=" + shown(result.value) + "\r\n");
    if (echo || this.printedWhileRunning) this.write(this.prompt());
  }
}
