// The device's command handler with a configuration change recorder, for the Espruino-shaped context and the real
// interpreter (globalThis.__commands): the caller gives the SHA-256 its platform has. Bundled for the device, so
// it keeps to the language rules of lib/.
import { CommandHandler } from "../../lib/remote/commands";
import type { Sha256 } from "../../lib/remote/hmac";

/** Hands one payload (bytes as a binary string) to a handler with `secret`; what it did. */
export function handleCommand(payload: string, secret: string, sha256: Sha256): { accepted: boolean; changes: unknown;
  logs: string[] } {
  const logs: string[] = [];
  let changes: unknown = null;
  const handler = new CommandHandler({ secret, configChanges: true, sha256, loadCounter () { return 0; },
    saveCounter () { /* one command only */ }, log (text: string) { logs.push(text); } }, {
    diag () { /* not asked */ },
    identify () { /* not asked */ },
    reboot () { /* not asked */ },
    configure (c: { [path: string]: unknown }) {
      changes = c;
      return [];
    },
  });
  return { accepted: handler.handle(payload), changes, logs };
}

(globalThis as unknown as { __commands: unknown }).__commands = { handleCommand };
