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

/** A signed command ends with its HMAC member, exactly so: `,"hmac":"<64 hex digits>"}`. */
const MAC_HEAD = ",\"hmac\":\"";
const MAC_LENGTH = MAC_HEAD.length + 64 + 2;

/**
 * What a signed command's HMAC covers: the payload's bytes as they travel, up to its hmac member, closed with `}`
 * (the command's JSON text without the hmac). The bytes are signed rather than a re-serialisation of the parsed
 * command, which Espruino and Node make differently (8-bit strings, \u00XX escapes, number digits). Null when the
 * payload does not end with the hmac member, so that nothing after the signed part can change the command.
 */
export function signedPart(payload: string): string | null {
  const at = payload.length - MAC_LENGTH;
  if (at < 1 || payload.substr(at, MAC_HEAD.length) !== MAC_HEAD || payload.substr(payload.length - 2) !== "\"}") {
    return null;
  }
  return payload.substr(0, at) + "}";
}

function macOf(sha256: Sha256, secret: string, body: string): string {
  return toHex(toBytes(hmacSha256(sha256, secret, body)));
}

/** The payload of a signed command: `body`, a JSON object's text as the bytes to send (one char per byte), with
 *  the hmac member added at its end. */
export function signPayload(sha256: Sha256, secret: string, body: string): string {
  return body.substr(0, body.length - 1) + MAC_HEAD + macOf(sha256, secret, body) + "\"}";
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
  private verify(cmd: string, msg: { [key: string]: unknown }, payload: string): boolean {
    if (!this.o.secret) return this.refuse(cmd + " needs remote.secret to be configured");
    const counter = msg.counter;
    if (typeof counter !== "number" || Math.floor(counter) !== counter || counter < 1) {
      return this.refuse(cmd + " without a counter");
    }
    const body = signedPart(payload);
    if (body === null) return this.refuse(cmd + " without the hmac member at its end");
    const mac = payload.substr(payload.length - 66, 64).toLowerCase();
    if (!sameText(mac, macOf(this.o.sha256, this.o.secret, body))) {
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
    else if (cmd === "identify") {
      // The blinking is for someone at the cabinet; whoever sent it over MQTT gets this line.
      this.o.log("identifying on command: the LED blinks");
      this.actions.identify();
    } else if (cmd === "reboot") {
      // Without a secret the installer chose an open device; with one, a reboot must be signed too.
      if (this.o.secret && !this.verify("reboot", msg, payload)) return false;
      this.o.log("rebooting on command");
      this.actions.reboot();
    } else if (cmd === "set") {
      if (!this.o.configChanges) return this.refuse("configuration changes are disabled (remote.configChanges)");
      const changes = msg.changes;
      if (typeof changes !== "object" || changes === null) return this.refuse("set without changes");
      if (!this.verify("set", msg, payload)) return false;
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
