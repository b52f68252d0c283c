// The first thing at boot: Espruino starts a telnet console on every boot (a JavaScript shell for anyone on the
// LAN, with every secret in reach), and the USB console is open to whoever stands at the cabinet.
import { ConsoleGuard } from "../lib/console-guard";
import { systemClock } from "../lib/mqtt/clock";

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Door {
  /** An unlocked console locks itself again after this long, in case the installer leaves without rebooting. */
  UNLOCKED_FOR = 30 * 60000,
}

export function closeTelnet(): void {
  try {
    require("TelnetServer").setOptions({ mode: "off" });
  } catch (e) {
    // Builds without the telnet library have nothing to close.
  }
}

/** USB input goes to the guard; the REPL to a loopback device nobody can reach. */
function guardTheConsole(guard: ConsoleGuard): void {
  E.setConsole(LoopbackA, { force: true });
  Serial1.removeAllListeners("data");
  Serial1.on("data", (chunk: string) => { guard.input(chunk); });
}

function openTheConsole(guard: ConsoleGuard): void {
  Serial1.removeAllListeners("data");
  E.setConsole(Serial1, { force: true });
  setTimeout(() => {
    guardTheConsole(guard);
    guard.lock();
  }, Door.UNLOCKED_FOR);
}

/** Puts the password prompt of lib/console-guard.ts in front of the USB console until the password is typed.
 *  An empty password leaves the console open. */
export function lockConsole(password: unknown): ConsoleGuard | null {
  if (typeof password !== "string" || password === "") return null;
  const guard: ConsoleGuard = new ConsoleGuard(password, systemClock, {
    write (text: string) { Serial1.write(text); },
    unlock () { openTheConsole(guard); },
  });
  guardTheConsole(guard);
  guard.prompt();
  return guard;
}
