// The first thing at boot: Espruino starts a telnet console on every boot (a JavaScript shell for anyone on the
// LAN, with every secret in reach), and the USB console is open to whoever stands at the cabinet.
import { ConsoleGuard } from "../lib/console-guard";
import { systemClock } from "../lib/mqtt/clock";

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Door {
  /** An unlocked console locks itself again after this long, in case the installer leaves without rebooting. */
  UNLOCKED_FOR = 30 * 60000,
  /** Storage file of the wrong console passwords since the last right one: one byte each, in a file made TALLY
   *  bytes long at the first. Each attempt programs the next byte, in place: no erase and no rewrite, so a reset
   *  in the middle of a write cannot take the count back (a byte half written reads as written); the right
   *  password erases the file. TALLY is at least the count at which the guard's wait reaches its ceiling (11):
   *  a higher count would change nothing, so past it nothing is written. */
  TALLY_STORE = "han.tries",
  TALLY = 16,
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
export function lockConsole(password: string): ConsoleGuard | null {
  if (password === "") return null;
  const storage = require("Storage");
  // The count: the bytes before the first still erased (0xFF) one, or all of them.
  const guard: ConsoleGuard = new ConsoleGuard(password,
    (storage.read(Door.TALLY_STORE) || "").split("\xFF")[0].length, systemClock, {
    write (text: string) { Serial1.write(text); },
    unlock () { openTheConsole(guard); },
    count (failures: number) {
      if (failures === 0) storage.erase(Door.TALLY_STORE);
      else if (failures <= Door.TALLY) storage.write(Door.TALLY_STORE, "\0", failures - 1, Door.TALLY);
    },
  });
  guardTheConsole(guard);
  guard.prompt();
  return guard;
}
