// How the host commands end: a usage error prints its message (and the usage, where given) and exits 2; a failure
// meant for the person at the keyboard (userFacing) prints its message and exits 1; anything else is a bug and
// keeps its stack.
import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {}

/** The command line as parseArgs reads it; an option it does not know, or a missing value, is a usage error.
 *  `--help` (or `-h`) prints `usage` and gives null: the command then ends with exit code 0. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> | null {
  const options = Object.assign({ help: { type: "boolean", short: "h" } }, config.options);
  let parsed;
  try {
    parsed = parseArgs(Object.assign({}, config, { options: options }));
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    return null;
  }
  return parsed as ReturnType<typeof parseArgs<T>>;
}

export function runCli(name: string, main: () => Promise<number> | number, usage?: string): void {
  // A reader that stopped reading (| head) ends the command, quietly.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(process.exitCode === undefined ? 0 : process.exitCode);
  });
  Promise.resolve().then(main).then((code) => { process.exitCode = code; }, (e) => {
    if (e instanceof UsageError) {
      console.error(`${name}: ${e.message}` + (usage ? `\n${usage}` : ""));
      process.exitCode = 2;
    } else if ((e as { userFacing?: boolean }).userFacing) {
      console.error(`${name}: ${(e as Error).message}`);
      process.exitCode = 1;
    } else {
      throw e;
    }
  });
}
