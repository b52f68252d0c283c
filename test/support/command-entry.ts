// The device's command handler with a configuration change recorder, for the Espruino-shaped context and the real
// interpreter (globalThis.__commands): the caller gives the SHA-256 its platform has. Bundled for the device, so
// it keeps to the language rules of lib/.
import { Commands, handleCommand } from "../../lib/remote/commands";
import type { Sha256 } from "../../lib/remote/hmac";

/** Hands payloads (bytes as binary strings), one after the other, to one handler with `secret` for the device
 *  under `base`, on the platform's own clock; what each did, and the counter file as the handler left it. */
export function handleCommands(payloads: string[], secret: string, base: string, sha256: Sha256): {
  accepted: boolean[]; changes: unknown; logs: string[]; stored: string | undefined } {
  const logs: string[] = [];
  const files: { [name: string]: string } = {};
  let changes: unknown = null;
  const handler: Commands = { accepted: 0, refused: 0, logged: 0, ranAt: {}, o: { secret, configChanges: true, base, sha256,
    clock: { now () { return Date.now(); } },
    store: { readStore (name: string) { return files[name]; }, writeStore (name: string, text: string) { files[name] = text; } },
    log (text: string) { logs.push(text); } }, actions: {
    diag () { /* not asked */ },
    identify () { /* not asked */ },
    reboot () { /* not asked */ },
    configure (c: { [path: string]: unknown }) {
      changes = c;
      return [];
    },
  } };
  const accepted = payloads.map(function (payload) { return handleCommand(handler, payload, false); });
  return { accepted, changes, logs, stored: files["han.cmdctr"] };
}

(globalThis as unknown as { __commands: unknown }).__commands = { handleCommands };
