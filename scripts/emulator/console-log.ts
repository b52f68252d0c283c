// The device's console (UART0 on the ESP32): everything the firmware prints, and every uncaught error the
// interpreter reports, kept for tests to read and copied to stderr when verbose.

/** Espruino prints strings as they are and other values as JSON, separated by spaces. */
export function formatPrinted(args: unknown[]): string {
  return args.map(function (arg) {
    if (typeof arg === "string") return arg;
    if (arg instanceof Error || (arg && typeof arg === "object" && "message" in arg && "stack" in arg)) {
      return String(arg);
    }
    return String(JSON.stringify(arg));
  }).join(" ");
}

export class ConsoleLog {
  readonly lines: string[] = [];
  /** "Uncaught ..." reports, also in `lines`. */
  readonly uncaught: string[] = [];
  private readonly max: number;

  constructor(private readonly verbose: boolean, private readonly stamp: () => string, max?: number) {
    this.max = max || 20000;
  }

  print(text: string): void {
    for (const line of text.split("\n")) {
      this.lines.push(line);
      if (this.verbose) process.stderr.write("[" + this.stamp() + "] " + line + "\n");
    }
    // A week-long run prints a lot; tests look at the recent past and at the uncaught list.
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }

  /** What Espruino prints for an exception nobody caught: "Uncaught Error: message" and the stack; returned for
   *  the console device. */
  reportUncaught(error: unknown): string {
    const e = error as { message?: unknown; stack?: unknown } | null;
    const head = e && typeof e === "object" && "message" in e ? String(error) : JSON.stringify(error);
    this.uncaught.push(head);
    const stack = e && typeof e.stack === "string" ? "\n" + e.stack.split("\n").slice(1, 6).join("\n") : "";
    const text = "Uncaught " + head + stack;
    this.print(text);
    return text;
  }

  text(): string {
    return this.lines.join("\n");
  }

  /** True when some line contains `part`. */
  has(part: string): boolean {
    return this.lines.some(function (line) { return line.indexOf(part) >= 0; });
  }
}
