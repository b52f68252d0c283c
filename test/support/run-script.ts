// Runs one of the host tools (scripts/*.ts) as `npm run` would, in its own Node process, and collects what it says.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
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

export interface StartedScript {
  /** The process: its standard input stays open until the test ends it. */
  child: ChildProcessWithoutNullStreams;
  done: Promise<ScriptRun>;
}

/** Starts the tool without ending its standard input, for input that comes in pieces. */
export function startScript(script: string, args: string[], onStdout?: (text: string) => void): StartedScript {
  const child = spawn(process.execPath, ["--import", "tsx", script].concat(args), { cwd: ROOT });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    if (onStdout) onStdout(d.toString());
  });
  child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<ScriptRun>((resolve) => {
    child.on("close", (code) => resolve({ code: code, stdout: stdout, stderr: stderr }));
  });
  return { child: child, done: done };
}

export function runScript(script: string, args: string[], options?: ScriptOptions): Promise<ScriptRun> {
  const o = options || {};
  const started = startScript(script, args, o.onStdout);
  started.child.stdin.end(o.input || "");
  return started.done;
}
