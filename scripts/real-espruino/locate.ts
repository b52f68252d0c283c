// Where the real Espruino interpreter is, and how to start it. The interpreter is a Linux build of Espruino 2v29
// made the way the ESP32 behaves (32-bit, 14-byte JsVars, Storage memory-mapped so that code stays in flash); it
// is built from Espruino's public source outside this repository and never kept in it. Tests and benches that
// need it skip loudly when it is not there.
import { execFileSync } from "node:child_process";
import { existsSync, openSync, readSync, closeSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The variable count of an ESP32 running Espruino: (free heap - 40,000) / 14 bytes. */
export const ESP32_JSVARS = 12000;

export const INTERPRETER_ENV = "HAN_ESPRUINO";
export const DEFAULT_INTERPRETER = join(homedir(), ".cache", "han-reader", "espruino");

export interface Interpreter {
  /** The program to run and the arguments before the interpreter's own (qemu-i386 where the kernel cannot run
   *  32-bit programs itself). */
  command: string;
  prefix: string[];
  binary: string;
}

function isElf32(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(5);
    readSync(fd, head, 0, 5, 0);
    return head.toString("latin1", 0, 4) === "\x7fELF" && head[4] === 1;
  } finally {
    closeSync(fd);
  }
}

/** Whether the kernel runs the program itself: a 32-bit program on a kernel without 32-bit support ends up in
 *  the shell, which prints a syntax error instead of Espruino's usage. */
function runsNatively(binary: string): boolean {
  try {
    const out = execFileSync(binary, ["--help"], { encoding: "latin1", stdio: ["ignore", "pipe", "pipe"], timeout: 5000 });
    return /Usage/.test(out);
  } catch (e) {
    const failed = e as { stdout?: string; stderr?: string };
    return /Usage/.test(String(failed.stdout) + String(failed.stderr));
  }
}

function onPath(program: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${program}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

let cached: { found: Interpreter | null; why: string } | null = null;

/** The interpreter, or null with the reason it cannot be used. */
export function locateInterpreter(): { found: Interpreter | null; why: string } {
  if (cached) return cached;
  const binary = process.env[INTERPRETER_ENV] || DEFAULT_INTERPRETER;
  if (!existsSync(binary)) {
    cached = { found: null, why: `no Espruino interpreter at ${binary} (set ${INTERPRETER_ENV}; README.md, "The real interpreter")` };
  } else if (isElf32(binary) && !runsNatively(binary)) {
    cached = onPath("qemu-i386")
      ? { found: { command: "qemu-i386", prefix: [binary], binary }, why: "" }
      : { found: null, why: `${binary} is a 32-bit program this kernel cannot run, and qemu-i386 (Debian qemu-user) is not installed` };
  } else {
    cached = { found: { command: binary, prefix: [], binary }, why: "" };
  }
  return cached;
}
