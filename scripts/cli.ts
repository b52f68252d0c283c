// How the host commands end: a usage error prints its message (and the usage, where given) and exits 2; a failure
// meant for the person at the keyboard (userFacing) prints its message and exits 1; anything else is a bug and
// keeps its stack.

export class UsageError extends Error {}

export function runCli(name: string, main: () => Promise<number> | number, usage?: string): void {
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
