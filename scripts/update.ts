// `npm run update -- --broker mqtt://... --device ID [--config han.json]`: builds the firmware, signs it for one
// device with its remote.secret, and sends it over MQTT (docs/mqtt.md, "Firmware update"): a signed "begin", the
// image in chunks of the size the device asks for, "commit"; then waits while the device restarts into the new
// firmware on trial and says whether it proved itself. The device answers every message on <base>/update/state;
// a chunk without an answer is asked about ("status") and the transfer goes on from where the device is, so a lost
// connection on either side costs a few seconds, and a device that restarted (a power cut) is sent the image again
// from its start. The update number is this host's clock in seconds, or one above the highest the device has
// accepted if that is later: it only grows, so an image once sent can never be sent again (SECURITY.md).
import mqtt from "mqtt";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseCommandLine, runCli, UsageError } from "./cli";
import { buildFirmware, refusesBuild, firmwareSize } from "./build";
import { connectOnce } from "./mqtt-connect";
import { validateConfig } from "../lib/config/validate";
import { baseTopic } from "../lib/device";
import { imageDigest, updateMac } from "../lib/update/sign";

const USAGE = `usage: npm run update -- --device ID [--config FILE] [--broker URL] [--user U --password P] [--secret S]
  --device ID     the device to update (its deviceId; its base topic comes from the configuration)
  --config FILE   the device's configuration (default han.json): its remote.secret signs the image, its broker
                  and login are used unless given here
  --broker URL    the broker as this computer reaches it, e.g. mqtt://192.168.1.10
  --user U --password P   a login for this computer at the broker, if not the configuration's
  --secret S      the device's remote.secret, when the configuration is not at hand
  The device must have been installed once over USB with npm run flash, which puts the update loader on it.`;

/** Where the device answers, under its base topic. */
const STATE_SUFFIX = "/update/state";
/** Ms to wait for the answer to a message before asking where the device is. */
const ANSWER_MS = 10000;
/** Ms without any answer after which the device counts as gone. */
const GONE_MS = 180000;
/** Ms between two questions while the device restarts into the new firmware and proves itself. */
const POLL_MS = 5000;
/** How long the new firmware may take to prove itself, with the loader's 300 s and a restart on top. */
const TRIAL_MS = 360000;

/** What the device says on <base>/update/state (lib/update/receiver.ts). */
export interface DeviceState {
  state: "idle" | "receiving" | "refused" | "verified" | "trial" | "confirmed";
  firmware: string;
  running: number | null;
  highest: number | null;
  trial: boolean;
  failed: string | null;
  chunk: number;
  update: number | null;
  at: number;
  why: string | null;
  /** The `id` of the host's message it answers (for a chunk: of the last begin). */
  id: number | null;
}

export interface UpdateTarget {
  /** Connected to the broker; it may lose the connection and reconnect on its own. */
  client: mqtt.MqttClient;
  base: string;
  deviceId: string;
  secret: string;
  image: Buffer;
  /** Resolves true once `done()` holds, false when `ms` have passed first: the real clock, or an emulator's. */
  waitFor: (done: () => boolean, ms: number) => Promise<boolean>;
  /** The signer's clock in seconds. */
  now: () => number;
  say: (line: string) => void;
  /** Bytes the device has of the image so far. */
  progress?: (at: number, length: number) => void;
}

export interface UpdateResult {
  ok: boolean;
  /** What happened, for the person who ran it. */
  text: string;
  update: number | null;
}

const sha256 = (s: string) => createHash("sha256").update(Buffer.from(s, "latin1")).digest("latin1");

/** The "begin" message that opens the transfer of `image` as update `update` to `deviceId`; `id` comes back in
 *  the answer. */
export function beginMessage(deviceId: string, secret: string, update: number, image: Buffer, id?: number): string {
  const digest = Buffer.from(imageDigest(sha256, (at, n) => image.subarray(at, at + n).toString("latin1"), image.length),
    "latin1").toString("hex");
  return JSON.stringify({ op: "begin", device: deviceId, update: update, length: image.length, sha256: digest,
    mac: updateMac(sha256, secret, deviceId, update, image.length, digest), id });
}

/** A chunk: its offset in decimal, a newline, its bytes. */
export function chunkMessage(image: Buffer, at: number, size: number): Buffer {
  return Buffer.concat([Buffer.from(at + "\n", "latin1"), image.subarray(at, at + size)]);
}

/** Sends `t.image` to the device, and waits until it runs it or has gone back. */
export async function sendUpdate(t: UpdateTarget): Promise<UpdateResult> {
  const topic = t.base + "/update";
  const states: DeviceState[] = [];
  const listener = (got: string, payload: Buffer): void => {
    if (got !== t.base + STATE_SUFFIX) return;
    try {
      states.push(JSON.parse(payload.toString("latin1")) as DeviceState);
    } catch {
      // Not the device's: nothing to learn from it.
    }
  };
  t.client.on("message", listener);
  try {
    await t.client.subscribeAsync(t.base + STATE_SUFFIX, { qos: 1 });
    return await transfer(t, topic, states);
  } finally {
    t.client.removeListener("message", listener);
    await t.client.unsubscribeAsync(t.base + STATE_SUFFIX).catch(() => undefined);
  }
}

async function transfer(t: UpdateTarget, topic: string, states: DeviceState[]): Promise<UpdateResult> {
  const fail = (text: string, update: number | null): UpdateResult => ({ ok: false, text, update });
  /** Numbers the questions, so that only the answer to the last one counts as one. */
  let asked = Date.now() % 1000000;
  /** Publishes `payload` and resolves with the first answer after it that `accept` takes, or null in time. */
  const ask = async (payload: string | Buffer, accept: (s: DeviceState) => boolean, ms: number):
    Promise<DeviceState | null> => {
    const from = states.length;
    let found: DeviceState | null = null;
    t.client.publish(topic, payload, { qos: 1 });
    await t.waitFor(() => {
      for (let i = from; i < states.length && !found; i++) if (accept(states[i])) found = states[i];
      return found !== null;
    }, ms);
    return found;
  };
  /** Asks `op`; the answer is the one with its id, or what `also` takes (news the device sends unasked). */
  const question = (op: string, ms: number, also?: (a: DeviceState) => boolean): Promise<DeviceState | null> => {
    const id = ++asked;
    return ask(JSON.stringify({ op, id }), (a) => a.id === id || !!also && also(a), ms);
  };
  /** Where the device is, asking until it answers or GONE_MS have passed. */
  const status = async (): Promise<DeviceState | null> => {
    for (let waited = 0; waited < GONE_MS; waited += ANSWER_MS) {
      const s = await question("status", ANSWER_MS);
      if (s) return s;
    }
    return null;
  };

  /** Waits `ms`, or less when news comes that `news` takes. */
  const pause = (ms: number, news: (a: DeviceState) => boolean): Promise<boolean> => {
    const from = states.length;
    return t.waitFor(() => states.slice(from).some(news), ms);
  };
  let s = await status();
  if (!s) {
    return fail(`no answer on ${t.base}${STATE_SUFFIX} within ${GONE_MS / 1000} s: is the device online, and ` +
      "was it installed with the update loader (npm run flash, once over USB)?", null);
  }
  for (let waited = 0; s && s.state === "trial" && waited < TRIAL_MS; waited += POLL_MS) {
    if (waited === 0) t.say("an update is on trial on the device: waiting for it to prove itself, or to be rolled back");
    await pause(POLL_MS, (a) => a.state === "confirmed");
    s = await question("status", POLL_MS) || s;
  }
  if (s.state === "trial") return fail("an update on the device is still on trial; run this again later", null);
  const length = t.image.length;
  const update = Math.max(Math.floor(t.now()), (s.highest || 0) + 1);
  let at = 0;
  const receiving = (a: DeviceState): boolean => a.state === "receiving" && a.update === update;
  t.say(`sending update ${update} (${length} bytes) to ${t.deviceId}: han-reader ${s.firmware} runs there now` +
    (s.running === null ? "" : ` (update ${s.running})`));
  let chunk = Math.max(64, s.chunk || 256);
  let restarts = 0;
  const begin = async (): Promise<string | null> => {
    let a: DeviceState | null = null;
    for (let tries = 0; !a && tries < GONE_MS / ANSWER_MS; tries++) {
      const id = ++asked;
      a = await ask(beginMessage(t.deviceId, t.secret, update, t.image, id), (x) => x.id === id, ANSWER_MS);
    }
    if (!a) return "no answer to begin";
    if (a.state === "refused") return "the device refused the update: " + a.why;
    chunk = Math.max(64, a.chunk);
    at = 0;
    return null;
  };
  /** The device has no transfer of this update under way (it restarted): the image again, from its start. */
  const again = async (where: string): Promise<string | null> => {
    if (++restarts > 20) return "the device keeps restarting during the transfer";
    t.say(`the device restarted (${where}): sending the image again from its start`);
    return begin();
  };
  let problem = await begin();
  let committed = false;
  while (!problem && !committed) {
    if (at < length) {
      if (t.progress) t.progress(at, length);
      const sent = at;
      // The answer to a chunk carries the id of the last question the device had, and none after a restart.
      const last = asked;
      let a = await ask(chunkMessage(t.image, at, chunk),
        (x) => x.id === last && (x.state === "refused" || receiving(x) && x.at > sent) || x.state === "idle" && x.id === null,
        ANSWER_MS);
      if (!a) a = await status();
      if (!a) problem = `the device stopped answering at byte ${at} of ${length}`;
      else if (a.state === "refused") problem = "the device refused the update: " + a.why;
      else if (receiving(a)) at = a.at;
      else problem = await again("at byte " + at);
      continue;
    }
    if (t.progress) t.progress(length, length);
    let c = await question("commit", ANSWER_MS);
    // Its answer lost: the device has taken it if it now names the update the highest it accepted.
    if (!c) c = await status();
    if (!c) problem = "no answer to commit";
    else if (c.state === "refused" && c.why === "no update under way") problem = await again("before commit");
    else if (c.state === "refused") problem = "the device refused the update: " + c.why;
    else if (c.state === "verified" || c.highest !== null && c.highest >= update) committed = true;
    else problem = await again("before it took the image");
  }
  if (problem) return fail(problem, update);
  t.say(`the device verified update ${update}: it restarts into it, on trial until it reaches the broker and reads the meter`);
  const confirmed = (a: DeviceState): boolean => a.state === "confirmed" && a.running === update;
  for (let waited = 0; waited < TRIAL_MS + GONE_MS; waited += POLL_MS) {
    await pause(POLL_MS, confirmed);
    const o = await question("status", POLL_MS, confirmed);
    if (o && (o.state === "confirmed" || !o.trial) && o.running === update) {
      return { ok: true, text: `${t.deviceId} runs han-reader ${o.firmware} (update ${update}); it proved itself`, update };
    }
    if (o && !o.trial && o.running !== update && o.state !== "receiving") {
      return fail(`${t.deviceId} went back to han-reader ${o.firmware} (update ${o.running}): ${o.failed || "update " + update + " failed"}`, update);
    }
  }
  return fail(`no word from ${t.deviceId} on how update ${update} went`, update);
}

/** Resolves true as soon as `done()` holds, checked every 20 ms of real time, or false after `ms`: how the host
 *  waits for the device's answers. */
export function pollUntil(done: () => boolean, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const start = Date.now();
    const timer = setInterval(() => {
      const ok = done();
      if (ok || Date.now() - start >= ms) {
        clearInterval(timer);
        resolve(ok);
      }
    }, 20);
  });
}

/** The line a terminal rewrites as the transfer goes: a bar, the share and the kilobytes. */
export function progressLine(at: number, length: number): string {
  const share = length === 0 ? 1 : at / length;
  const filled = Math.round(share * 30);
  return `[${"#".repeat(filled)}${".".repeat(30 - filled)}] ${Math.floor(share * 100)}% ` +
    `${(at / 1024).toFixed(1)}/${(length / 1024).toFixed(1)} KB`;
}

function readConfigFile(file: string): { [key: string]: unknown } | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not valid JSON: fix it, or make it again with npm run configure`);
  }
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine({ args: argv, options: { device: { type: "string" }, config: { type: "string" },
    broker: { type: "string" }, user: { type: "string" }, password: { type: "string" }, secret: { type: "string" } } },
  USAGE);
  if (!parsed) return 0;
  const o = parsed.values;
  if (!o.device) throw new UsageError("--device is needed: the deviceId of the device to update");
  const file = o.config || "han.json";
  const raw = readConfigFile(file);
  if (raw === null && o.config) throw new UsageError(`no such file ${file} (npm run configure makes one)`);
  const checked = raw === null ? null : validateConfig(raw);
  if (checked && !checked.config) throw new UsageError(`${file}: ${checked.errors.join("; ")}`);
  const config = checked ? checked.config : null;
  if (config && config.deviceId && config.deviceId !== o.device) {
    throw new UsageError(`${file} is the configuration of ${config.deviceId}, not ${o.device}: name the right one with --config`);
  }
  const secret = o.secret || (config ? config.remote.secret : undefined);
  if (!secret) throw new UsageError(`the device's remote.secret is needed to sign the image: --secret, or a --config that has it`);
  const url = o.broker || (config ? config.mqtt.url : undefined);
  if (!url) throw new UsageError("--broker is needed (no configuration to take it from)");
  const base = config ? baseTopic(config, o.device) : "han/" + o.device;

  const build = buildFirmware();
  if (refusesBuild("update", build, "nothing was sent")) return 1;
  console.log(`update: firmware: ${firmwareSize(build)}`);
  let client: mqtt.MqttClient;
  try {
    client = await connectOnce(url, { username: o.user || (config ? config.mqtt.username : undefined),
      password: o.password || (config ? config.mqtt.password : undefined) });
  } catch (e) {
    console.error(`update: ${(e as Error).message}`);
    return 1;
  }
  // Connected once: from here on a lost connection is ridden out, and the transfer goes on where it was.
  client.options.reconnectPeriod = 1000;
  const tty = process.stdout.isTTY;
  let shown = -1;
  /** A progress bar is on the terminal's last line, without its newline. */
  let midLine = false;
  const result = await sendUpdate({
    client, base, deviceId: o.device, secret, image: Buffer.from(build.code, "latin1"),
    waitFor: pollUntil,
    now: () => Date.now() / 1000,
    say: (line) => {
      console.log((midLine ? "\n" : "") + "update: " + line);
      midLine = false;
    },
    progress: (at, length) => {
      const tenth = Math.floor(at * 10 / length);
      if (tty) process.stdout.write("\rupdate: " + progressLine(at, length));
      else if (tenth > shown) console.log("update: " + progressLine(at, length));
      midLine = !!tty;
      shown = tenth;
    },
  });
  if (midLine) process.stdout.write("\n");
  await client.endAsync();
  if (!result.ok) {
    console.error("update: " + result.text);
    return 1;
  }
  console.log("update: done: " + result.text);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runCli("update", () => main(process.argv.slice(2)), USAGE);
}
