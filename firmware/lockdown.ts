// The first thing at boot: Espruino starts a telnet console on every boot (a JavaScript shell for anyone on the
// LAN, with every secret in reach), and the USB console is open to whoever stands at the cabinet.

export function closeTelnet(): void {
  try {
    require("TelnetServer").setOptions({ mode: "off" });
  } catch (e) {
    // Builds without the telnet library have nothing to close.
  }
}

/** Locks the USB console behind the configured password; an empty password leaves it open. */
export function lockConsole(password: unknown): boolean {
  if (typeof password !== "string" || password === "") return false;
  E.setPassword(password);
  E.lockConsole();
  return true;
}
