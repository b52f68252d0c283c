// Remote operation through <base>/cmd, for a device locked in a cabinet. "diag" (publish now) and "identify"
// (blink the LED) run for anyone the broker lets publish there, each at most once per BUSY_GAP. "reboot" and "set"
// (configuration changes, off unless enabled) never run unsigned: they need remote.secret and an HMAC over the
// device's base topic and the command, whose counter (the signer's clock in ms) must be above the last one
// accepted and within SKEW of the device's own clock. So a recorded command replays neither here, nor at another
// device that shares the secret, nor after a reinstall has wiped the stored counter (SECURITY.md). A retained
// command is never acted on: the broker would hand it over again at every reconnect. A refused command is counted
// and never applied; each kind of refusal is logged once until a command is accepted, so a flood costs one line.
import { hmacSha256, sameText, Sha256 } from "./hmac";
import { toBytes, toHex } from "../bytes";
import { clockIsSet } from "../publish/payloads";

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
  /** The device's base topic: the signed text starts with it. */
  base: string;
  sha256: Sha256;
  /** Wall-clock ms, set by SNTP (Date.now() on the device). */
  clock: { now(): number };
  /** Flash, where the highest counter accepted outlives a reboot. */
  store: { readStore(name: string): string | undefined; writeStore(name: string, text: string): void };
  log(text: string): void;
}

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Cmd {
  COUNTER_STORE = "han.cmdctr",
  /** Ms between two unsigned commands of one kind. Shorter than identify's blinking, so that asking again
   *  restarts it for someone who missed it. */
  BUSY_GAP = 2000,
  /** How far a counter may be from the device's clock, in ms: room for a host clock that NTP keeps less well,
   *  and a bound on what a command signed before a reinstall can still do after it. */
  SKEW = 600000,
}

/** Kinds of refusal, as bits of what has been logged since the last accepted command. 0: logged every time. */
const enum Refusal {
  MALFORMED = 1,
  RETAINED = 2,
  UNSIGNED = 4,
  DISABLED = 8,
  SIGNATURE = 16,
  COUNTER = 32,
  BUSY = 64,
}

/** A signed command ends with its HMAC member, exactly so: `,"hmac":"<64 hex digits>"}`. */
const MAC_HEAD = ",\"hmac\":\"";
const MAC_LENGTH = MAC_HEAD.length + 64 + 2;

/**
 * The command's JSON text without its hmac member: the payload's bytes as they travel, up to the hmac member,
 * closed with `}`. The bytes are signed rather than a re-serialisation of the parsed command, which Espruino and
 * Node make differently (8-bit strings, \u00XX escapes, number digits). Null when the payload does not end with
 * the hmac member, so that nothing after the signed part can change the command.
 */
export function signedPart(payload: string): string | null {
  const at = payload.length - MAC_LENGTH;
  if (at < 1 || payload.substr(at, MAC_HEAD.length) !== MAC_HEAD || payload.substr(payload.length - 2) !== "\"}") {
    return null;
  }
  return payload.substr(0, at) + "}";
}

/** The HMAC over what is signed: the base topic (bytes, as the device holds it), a newline, the command. */
function macOf(sha256: Sha256, secret: string, body: string, base: string): string {
  return toHex(toBytes(hmacSha256(sha256, secret, base + "\n" + body)));
}

/** The payload of a command signed for the device under `base`: `body`, a JSON object's text as the bytes to
 *  send (one char per byte), with the hmac member added at its end. */
export function signPayload(sha256: Sha256, secret: string, body: string, base: string): string {
  return body.substr(0, body.length - 1) + MAC_HEAD + macOf(sha256, secret, body, base) + "\"}";
}

/** One device's command handling: its options and actions, and what it keeps between commands (accepted, refused,
 *  logged and ranAt start at 0, 0, 0 and {}). Plain data, built by its user, so that the code (a part,
 *  scripts/espruino/parts.ts) stays in flash until a command comes. */
export interface Commands {
  accepted: number;
  refused: number;
  o: CommandOptions;
  actions: CommandActions;
  /** Kinds of refusal (Refusal bits) logged since the last accepted command. */
  logged: number;
  /** When each unsigned command last ran (clock ms), by name. */
  ranAt: { [cmd: string]: number };
}

function refuse(c: Commands, kind: number, why: string): boolean {
  c.refused++;
  if (!(c.logged & kind)) c.o.log("command refused: " + why);
  c.logged |= kind;
  return false;
}

/** Verifies a signed command; true when the signature is right and the counter new, which is then stored. */
function verify(c: Commands, cmd: string, msg: { [key: string]: unknown }, payload: string): boolean {
  const o = c.o;
  if (!o.secret) return refuse(c, Refusal.UNSIGNED, cmd + " is never run unsigned; remote.secret is not set");
  const body = signedPart(payload);
  if (body === null) return refuse(c, Refusal.UNSIGNED, cmd + " unsigned: no hmac member at its end");
  const counter = msg.counter;
  if (typeof counter !== "number" || Math.floor(counter) !== counter) {
    return refuse(c, Refusal.SIGNATURE, cmd + " without a counter");
  }
  const mac = payload.substr(payload.length - 66, 64).toLowerCase();
  if (!sameText(mac, macOf(o.sha256, o.secret, body, o.base))) {
    return refuse(c, Refusal.SIGNATURE, cmd + ": wrong signature (another secret, or signed for another device)");
  }
  const now = o.clock.now();
  // A lost counter file leaves only the clock to tell an old command from a new one.
  if (!clockIsSet(now)) return refuse(c, Refusal.COUNTER, cmd + ": the clock is not set yet (SNTP)");
  // Also keeps every stored counter an integer of 13 digits, which both platforms print exactly.
  if (counter > now + Cmd.SKEW || counter < now - Cmd.SKEW) {
    return refuse(c, Refusal.COUNTER, cmd + ": counter " + counter + " is more than 10 minutes from the " +
      "device's clock, " + Math.floor(now));
  }
  const stored = o.store.readStore(Cmd.COUNTER_STORE);
  if (stored && /^\d+$/.test(stored) && counter <= parseInt(stored, 10)) {
    return refuse(c, Refusal.COUNTER, cmd + ": counter " + counter + " already used (replay)");
  }
  o.store.writeStore(Cmd.COUNTER_STORE, "" + counter);
  return true;
}

/** Handles one payload from the command topic; true when it was acted on. */
export function handleCommand(c: Commands, payload: string, retained: boolean): boolean {
  if (retained) return refuse(c, Refusal.RETAINED, "a retained message on the command topic is never acted on");
  let msg: { [key: string]: unknown };
  try {
    msg = JSON.parse(payload);
  } catch (e) {
    return refuse(c, Refusal.MALFORMED, "not JSON");
  }
  if (typeof msg !== "object" || msg === null) return refuse(c, Refusal.MALFORMED, "not a JSON object");
  const cmd = msg.cmd;
  if (cmd === "diag" || cmd === "identify") {
    const now = c.o.clock.now();
    const last = c.ranAt[cmd];
    if (now >= last && now - last < Cmd.BUSY_GAP) {
      return refuse(c, Refusal.BUSY, cmd + " more often than every 2 s: dropped");
    }
    c.ranAt[cmd] = now;
    if (cmd === "diag") c.actions.diag();
    else {
      // The blinking is for someone at the cabinet; whoever sent it over MQTT gets this line.
      c.o.log("identifying on command: the LED blinks");
      c.actions.identify();
    }
  } else if (cmd === "reboot") {
    if (!verify(c, "reboot", msg, payload)) return false;
    c.o.log("rebooting on command");
    c.actions.reboot();
  } else if (cmd === "set") {
    if (!c.o.configChanges) {
      return refuse(c, Refusal.DISABLED, "configuration changes are disabled (remote.configChanges)");
    }
    const changes = msg.changes;
    if (typeof changes !== "object" || changes === null) return refuse(c, Refusal.MALFORMED, "set without changes");
    if (!verify(c, "set", msg, payload)) return false;
    const errors = c.actions.configure(changes as { [path: string]: unknown });
    if (errors.length > 0) return refuse(c, 0, "set: " + errors.join("; "));
    c.o.log("configuration changed: " + Object.keys(changes).join(", "));
  } else {
    return refuse(c, Refusal.MALFORMED, "unknown command: cmd must be diag, identify, reboot or set");
  }
  c.accepted++;
  c.logged = 0;
  return true;
}
