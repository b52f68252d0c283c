// Runs a script in the real Espruino interpreter (scripts/real-espruino/locate.ts) and returns what it printed.
// The interpreter evaluates `-e` code and then reads its console until standard input closes, so the script
// prints END when done and the run stops there. Tests that use it skip loudly when the interpreter is absent.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ESP32_JSVARS, locateInterpreter } from "../../scripts/real-espruino/locate";

export const END = "<<END>>";
/** What a script prints before its result's JSON, for resultOf(). */
export const RESULT = "<<JSON>>";

/** The JSON a script printed after RESULT. */
export function resultOf(output: string): unknown {
  const at = output.lastIndexOf(RESULT);
  if (at < 0) throw new Error("no " + RESULT + " in:\n" + output);
  return JSON.parse(output.slice(at + RESULT.length).trim());
}

/** Why the real interpreter cannot be used, printed once per file; null when it can. */
export function espruinoMissing(file: string): string | null {
  const why = locateInterpreter().why || null;
  if (why) console.warn(file + ": real-interpreter tests SKIPPED: " + why);
  return why;
}

/** Runs `code` (which must end by printing END, e.g. `print("<<END>>")`, possibly from a callback) and resolves
 *  with the console output before END. Rejects with the output on a timeout or when the interpreter reports an
 *  uncaught error. */
export function runOnEspruino(code: string, timeoutMs = 30000): Promise<string> {
  const found = locateInterpreter().found;
  if (!found) return Promise.reject(new Error("no Espruino interpreter"));
  const dir = mkdtempSync(join(tmpdir(), "han-espruino-"));
  const child = spawn(found.command, found.prefix.concat(["-e", code]), { cwd: dir,
    env: Object.assign({}, process.env, { ESPRUINO_JSVARS: String(ESP32_JSVARS) }) });
  let out = "";
  return new Promise<string>(function (resolve, reject) {
    let done = false;
    const finish = function (error: Error | null): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill();
      rmSync(dir, { recursive: true, force: true });
      if (error) reject(error);
      else resolve(out.slice(0, out.indexOf(END)));
    };
    const timer = setTimeout(function () { finish(new Error("no " + END + " within " + timeoutMs + " ms:\n" + out)); },
      timeoutMs);
    child.stdout.on("data", function (data: Buffer) {
      out += data.toString("latin1");
      if (/Uncaught|OUT OF MEMORY|New interpreter error/.test(out)) finish(new Error("the interpreter failed:\n" + out));
      else if (out.indexOf(END) >= 0) finish(null);
    });
    child.on("error", finish);
  });
}
