// Runs one of the host tools (scripts/*.ts) as `npm run` would, in its own Node process, and collects what it says.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ScriptOptions {
  /** Written to its standard input, which is then closed. */
  input?: string | Buffer;
  /** Called with each chunk of standard output as it comes. */
  onStdout?: (text: string) => void;
}

export function runScript(script: string, args: string[], options?: ScriptOptions): Promise<ScriptRun> {
  const o = options || {};
  const child = spawn(process.execPath, ["--import", "tsx", script].concat(args), { cwd: ROOT });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    if (o.onStdout) o.onStdout(d.toString());
  });
  child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
  child.stdin.end(o.input || "");
  return new Promise((resolve) => {
    child.on("close", (code) => resolve({ code: code, stdout: stdout, stderr: stderr }));
  });
}
