// Remote operation through <base>/cmd, for a device locked in a cabinet: "diag" (publish now) and "identify"
// (blink the LED) for anyone the broker lets publish there; "reboot" and "set" (configuration changes, off unless
// enabled) only with an HMAC over the command and a counter that must grow, so a recorded command cannot be
// replayed. A refused command is counted and logged, never applied.
import { hmacSha256, sameText, Sha256 } from "./hmac";
import { toBytes, toHex } from "../bytes";

export interface CommandActions {
  diag(): void;
  identify(): void;
  reboot(): void;
  /** Applies configuration changes (dotted paths); returns the validation errors, empty when applied. */
  configure(changes: { [path: string]: unknown }): string[];
}

export interface CommandOptions {
  /** The shared secret set at install time; without it, no signed command can be accepted. */
  secret: string | undefined;
  configChanges: boolean;
  sha256: Sha256;
  /** The highest counter accepted so far (kept in flash across reboots), and its update. */
  loadCounter(): number;
  saveCounter(counter: number): void;
  log(text: string): void;
}

/** The text a signed command's HMAC covers. Host tools sign exactly this. */
export function signedText(cmd: string, counter: number, changes: unknown): string {
  return cmd + "\n" + counter + "\n" + JSON.stringify(changes === undefined ? null : changes);
}

export function signCommand(sha256: Sha256, secret: string, cmd: string, counter: number, changes: unknown): string {
  return toHex(toBytes(hmacSha256(sha256, secret, signedText(cmd, counter, changes))));
}

export class CommandHandler {
  accepted: number;
  refused: number;
  private o: CommandOptions;
  private actions: CommandActions;

  constructor(options: CommandOptions, actions: CommandActions) {
    this.o = options;
    this.actions = actions;
    this.accepted = 0;
    this.refused = 0;
  }

  private refuse(why: string): boolean {
    this.refused++;
    this.o.log("command refused: " + why);
    return false;
  }

  /** Verifies a signed command; true when the signature is right and the counter new. */
  private verify(cmd: string, msg: { [key: string]: unknown }): boolean {
    if (!this.o.secret) return this.refuse(cmd + " needs remote.secret to be configured");
    const counter = msg.counter;
    if (typeof counter !== "number" || Math.floor(counter) !== counter || counter < 1) {
      return this.refuse(cmd + " without a counter");
    }
    const mac = typeof msg.hmac === "string" ? msg.hmac.toLowerCase() : "";
    if (!sameText(mac, signCommand(this.o.sha256, this.o.secret, cmd, counter, msg.changes))) {
      return this.refuse(cmd + ": wrong signature");
    }
    if (counter <= this.o.loadCounter()) return this.refuse(cmd + ": counter " + counter + " already used (replay)");
    this.o.saveCounter(counter);
    return true;
  }

  /** Handles one payload from the command topic; true when it was acted on. */
  handle(payload: string): boolean {
    let msg: { [key: string]: unknown };
    try {
      msg = JSON.parse(payload);
    } catch (e) {
      return this.refuse("not JSON");
    }
    if (typeof msg !== "object" || msg === null) return this.refuse("not a JSON object");
    const cmd = msg.cmd;
    if (cmd === "diag") this.actions.diag();
    else if (cmd === "identify") this.actions.identify();
    else if (cmd === "reboot") {
      // Without a secret the installer chose an open device; with one, a reboot must be signed too.
      if (this.o.secret && !this.verify("reboot", msg)) return false;
      this.o.log("rebooting on command");
      this.actions.reboot();
    } else if (cmd === "set") {
      if (!this.o.configChanges) return this.refuse("configuration changes are disabled (remote.configChanges)");
      const changes = msg.changes;
      if (typeof changes !== "object" || changes === null) return this.refuse("set without changes");
      if (!this.verify("set", msg)) return false;
      const errors = this.actions.configure(changes as { [path: string]: unknown });
      if (errors.length > 0) return this.refuse("set: " + errors.join("; "));
      this.o.log("configuration changed: " + Object.keys(changes).join(", "));
    } else {
      return this.refuse("unknown command " + JSON.stringify(cmd));
    }
    this.accepted++;
    return true;
  }
}
