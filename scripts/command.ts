// `npm run command`: sends a command to a dongle's <base>/cmd, signing it when it needs the shared secret
// (reboot on a device with a secret, configuration changes). The counter is the current time in seconds, so it
// grows from one command to the next without any state kept here.
import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import mqtt from "mqtt";
import { signCommand } from "../lib/remote/commands";
import { parseAssignment } from "./config-values";

const USAGE = `usage: npm run command -- --broker URL --base han/DEVICE [--user U --password P] [--secret S] COMMAND
  COMMAND: diag | identify | reboot | set PATH=VALUE [PATH=VALUE ...]
  --secret S    the device's remote.secret (needed for set, and for reboot when the device has a secret)`;

const sha256 = (s: string) => createHash("sha256").update(Buffer.from(s, "latin1")).digest("latin1");

/** The payload for a command, signed when a secret is given. */
export function commandPayload(cmd: string, changes: Record<string, unknown> | undefined, secret: string | undefined,
  counter: number): string {
  if (!secret) return JSON.stringify(changes ? { cmd, changes } : { cmd });
  const hmac = signCommand(sha256, secret, cmd, counter, changes);
  return JSON.stringify(changes ? { cmd, counter, changes, hmac } : { cmd, counter, hmac });
}

function main(): number {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { broker: { type: "string" }, base: { type: "string" },
      user: { type: "string" }, password: { type: "string" }, secret: { type: "string" },
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
  let changes: Record<string, unknown> | undefined;
  if (cmd === "set") {
    if (!o.secret) { console.error("command: set needs --secret (the device's remote.secret)"); return 2; }
    changes = {};
    for (const assignment of rest) {
      const parsed = parseAssignment(assignment);
      if (!parsed) { console.error(`command: ${assignment}: no such field (npm run configure -- --fields)`); return 2; }
      changes[parsed.path] = parsed.value;
    }
    if (Object.keys(changes).length === 0) { console.error("command: set needs PATH=VALUE"); return 2; }
  }
  const payload = commandPayload(cmd, changes, o.secret, Math.floor(Date.now() / 1000));
  const client = mqtt.connect(o.broker, { username: o.user, password: o.password, reconnectPeriod: 0 });
  client.on("error", (e) => { console.error(`command: ${e.message}`); process.exit(1); });
  client.on("connect", () => {
    client.publish(o.base!.replace(/\/$/, "") + "/cmd", payload, { qos: 1 }, () => {
      console.log(`command: sent ${cmd}; watch ${o.base}/log for the device's answer`);
      client.end();
    });
  });
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) process.exitCode = main();
