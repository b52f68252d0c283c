// `npm run command`: sends a command to a dongle's <base>/cmd, signed for that base topic with the shared secret
// when given (reboot and set need it), and waits for the device's answer: a line on its <base>/log
// (lib/remote/commands.ts), or for diag the diag message itself. No answer in time, or a refusal, ends it with exit
// code 1. The counter is this host's clock in ms: it grows from one command to the next without any state kept
// here, and the device accepts it only within 10 minutes of its own clock (SECURITY.md, Signed commands).
import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { connectOnce } from "./mqtt-connect";
import { signPayload } from "../lib/remote/commands";
import { parseAssignment } from "./config-values";

const USAGE = `usage: npm run command -- --broker URL --base han/DEVICE [--user U --password P] [--secret S] COMMAND
  COMMAND: diag | identify | reboot | set PATH=VALUE [PATH=VALUE ...]
  --base B      the device's base topic, exactly: a signed command names it, and another device refuses it
  --secret S    the device's remote.secret: reboot and set need it (the device refuses them unsigned); they are
                signed with this host's clock, which must be within 10 minutes of the device's (both set by NTP)
  --wait SECONDS  how long to wait for the device's answer (default 10)
  diag and identify need no secret; the device runs each at most once every 2 s.`;

const DEFAULT_WAIT_S = 10;
const REFUSED = "command refused: ";
/** The start of the line on <base>/log with which the device confirms each command; diag answers on <base>/diag. */
const CONFIRMATIONS: Record<string, string> = {
  identify: "identifying on command", reboot: "rebooting on command", set: "configuration changed: ",
};

export interface Answer { accepted: boolean; text: string }

/** The device's answer to `cmd` in a message on `topic`, or null when the message is something else. */
export function answerTo(cmd: string, base: string, topic: string, payload: string): Answer | null {
  if (topic === base + "/diag") return cmd === "diag" ? { accepted: true, text: "diag " + payload } : null;
  if (topic !== base + "/log") return null;
  if (payload.indexOf(REFUSED) === 0) return { accepted: false, text: payload.slice(REFUSED.length) };
  const confirmation = CONFIRMATIONS[cmd];
  return confirmation && payload.indexOf(confirmation) === 0 ? { accepted: true, text: payload } : null;
}

const sha256 = (s: string) => createHash("sha256").update(Buffer.from(s, "latin1")).digest("latin1");

/** UTF-8 bytes as a binary string (one char per byte), as the device holds every string. */
const bytesOf = (text: string) => Buffer.from(text, "utf8").toString("latin1");

/** The payload for a command to the device under `base`, signed for it when a secret is given: its UTF-8 bytes,
 *  which is what the device receives; the signature covers the base topic and them (SECURITY.md). `counter` is
 *  the signer's clock in ms. */
export function commandPayload(cmd: string, changes: Record<string, unknown> | undefined, secret: string | undefined,
  counter: number, base: string): string {
  const command = secret ? (changes ? { cmd, counter, changes } : { cmd, counter }) : (changes ? { cmd, changes } : { cmd });
  const bytes = bytesOf(JSON.stringify(command));
  return secret ? signPayload(sha256, secret, bytes, bytesOf(base)) : bytes;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { broker: { type: "string" }, base: { type: "string" },
      user: { type: "string" }, password: { type: "string" }, secret: { type: "string" }, wait: { type: "string" },
      help: { type: "boolean", short: "h" } } });
  } catch (e) {
    console.error(`command: ${(e as Error).message.split("\n")[0]}\n${USAGE}`);
    return 2;
  }
  const o = parsed.values;
  const [cmd, ...rest] = parsed.positionals;
  if (o.help) { console.log(USAGE); return 0; }
  if (!o.broker || !o.base || !cmd) { console.error(USAGE); return 2; }
  if (!["diag", "identify", "reboot", "set"].includes(cmd)) {
    console.error(`command: unknown command "${cmd}"; one of diag, identify, reboot, set`);
    return 2;
  }
  const waitS = o.wait === undefined ? DEFAULT_WAIT_S : Number(o.wait);
  if (!(waitS > 0)) { console.error(`command: --wait must be a positive number of seconds; got "${o.wait}"`); return 2; }
  if ((cmd === "reboot" || cmd === "set") && !o.secret) {
    console.error(`command: ${cmd} needs --secret (the device's remote.secret): the device refuses it unsigned`);
    return 2;
  }
  let changes: Record<string, unknown> | undefined;
  if (cmd === "set") {
    changes = {};
    for (const assignment of rest) {
      const parsed = parseAssignment(assignment);
      if (!parsed) { console.error(`command: ${assignment}: no such field (npm run configure -- --fields)`); return 2; }
      changes[parsed.path] = parsed.value;
    }
    if (Object.keys(changes).length === 0) { console.error("command: set needs PATH=VALUE"); return 2; }
  }
  const base = o.base.replace(/\/$/, "");
  const payload = commandPayload(cmd, changes, o.secret, Date.now(), base);
  return sendAndWait(o.broker, base, { username: o.user, password: o.password }, cmd, payload, waitS * 1000);
}

async function sendAndWait(url: string, base: string, login: { username?: string; password?: string }, cmd: string,
  payload: string, waitMs: number): Promise<number> {
  let client;
  try {
    client = await connectOnce(url, login);
  } catch (e) {
    console.error(`command: ${(e as Error).message}`);
    return 1;
  }
  let status: string | null = null;
  let sent = false;
  let answered: (answer: Answer) => void = () => { /* set below */ };
  const answer = new Promise<Answer>((resolve) => { answered = resolve; });
  client.on("message", (topic, data) => {
    const text = data.toString("utf8");
    if (topic === base + "/status") status = text;
    const a = sent ? answerTo(cmd, base, topic, text) : null;
    if (a) answered(a);
  });
  // The retained status tells, when no answer comes, whether a device is there at all.
  await client.subscribeAsync([base + "/status", base + "/log", base + "/diag"], { qos: 1 });
  sent = true;
  await client.publishAsync(base + "/cmd", Buffer.from(payload, "latin1"), { qos: 1 });
  console.log(`command: sent ${cmd} to ${base}/cmd; waiting up to ${waitMs / 1000} s for the device's answer`);
  let timer: NodeJS.Timeout | undefined;
  const got = await Promise.race([answer,
    new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), waitMs); })]);
  clearTimeout(timer);
  await client.endAsync();
  if (got === null) {
    console.error(`command: no answer from ${base} within ${waitMs / 1000} s: ` + (status === null ?
      `no device has a status under ${base} on this broker (is --base right? npm run monitor shows what publishes)` :
      status === "offline" ? "the device is offline (its status is \"offline\")" :
      `its status is "${status}", yet nothing came back on ${base}/log (may the device read ${base}/cmd on this ` +
      `broker? A refusal it has reported since its last accepted command is counted, not repeated: ` +
      `commands_refused on ${base}/diag)`));
    return 1;
  }
  if (!got.accepted) {
    console.error(`command: the device refused ${cmd}: ${got.text}`);
    return 1;
  }
  console.log(`command: the device answered: ${got.text}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().then((code) => { process.exitCode = code; });
}
