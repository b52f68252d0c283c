// A signed `set` with non-ASCII values, signed by `npm run command` on the host for a base topic with non-ASCII in
// it, verified where the device runs: Espruino's strings are 8-bit and its JSON.stringify escapes non-ASCII as
// \u00XX, so a signature over a re-serialisation of the parsed command could never match Node's; the signature
// covers the base topic's and the payload's bytes as sent (SECURITY.md). The counter is the host's clock in ms, and
// the device stores it as digits that read back as the same number: a replay is refused. Checked in the
// Espruino-shaped context, in the emulated device end to end, and in the real interpreter when present.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { bundleForEspruino, runInEspruinoContext } from "../scripts/espruino/bundle";
import { createEspruinoContext, globalOf } from "../scripts/espruino/context";
import { commandPayload } from "../scripts/command";
import { clockIsSet } from "../lib/publish/payloads";
import { brokerForFile, deviceConfig, emulate } from "./support/emulated-device";
import { PASSWORD, USERNAME } from "./support/brokers";
import { END, RESULT, espruinoMissing, resultOf, runOnEspruino } from "./support/espruino-run";
import type { handleCommands } from "./support/command-entry";

const SECRET = "signed-commands-secret-0123";
const CHANGES = { "wifi.ssid": "Bjørnstad", "ntp": "€.example" };
/** A base topic as configured; the device holds it as its UTF-8 bytes. */
const BASE = "hus/måler";
const sha256 = (s: string) => createHash("sha256").update(Buffer.from(s, "latin1")).digest("latin1");
const missing = espruinoMissing("signed-commands.test.ts");

/** Text as the device holds it: its UTF-8 bytes, one char each. */
function bytes(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

/** A value the device holds (UTF-8 bytes, one char each) as the text it stands for. */
function text(held: unknown): string {
  return Buffer.from(String(held), "latin1").toString("utf8");
}

function asText(changes: unknown): { [path: string]: string } {
  const out: { [path: string]: string } = {};
  for (const [path, value] of Object.entries(changes as object)) out[path] = text(value);
  return out;
}

let bundle: string | null = null;
function commandBundle(): string {
  if (bundle === null) bundle = bundleForEspruino(fileURLToPath(new URL("./support/command-entry.ts", import.meta.url)));
  return bundle;
}

/** The payloads each run hands over: the command, the same again (a replay), and one whose counter 1e21 would
 *  print as "1e+21" (Node) or "10e+20" (Espruino) if it were ever stored. */
function payloads(counter: number): string[] {
  const command = commandPayload("set", CHANGES, SECRET, counter, BASE);
  return [command, command, commandPayload("set", CHANGES, SECRET, 1e21, BASE)];
}

type Handled = ReturnType<typeof handleCommands>;

function assertHandled(result: Handled, counter: number): void {
  assert.deepEqual(result.accepted, [true, false, false], result.logs.join("\n"));
  assert.deepEqual(asText(result.changes), CHANGES);
  assert.equal(result.stored, String(counter), "the counter file holds the counter's digits");
}

test("in the Espruino-shaped context: accepted once, with the values as the host meant them", () => {
  const context = createEspruinoContext();
  runInEspruinoContext(commandBundle(), context);
  const api = globalOf(context).__commands as { handleCommands: typeof handleCommands };
  const counter = Date.now();
  assertHandled(api.handleCommands(payloads(counter), SECRET, bytes(BASE), sha256), counter);
  // Espruino writes the stored configuration with \u00XX escapes: the bytes survive, and read back as the text.
  assert.match(runInEspruinoContext("JSON.stringify(" + JSON.stringify(bytes("ø")) + ")", context) as string,
    /\\u00C3\\u00B8/);
});

test("in the real interpreter: accepted once, with the values as the host meant them, the counter stored exactly",
  { skip: missing ? "SKIPPED: " + missing : false }, async () => {
    const counter = Date.now();
    const b64 = (s: string) => "atob(" + JSON.stringify(Buffer.from(s, "latin1").toString("base64")) + ")";
    const code = commandBundle() + "var r=__commands.handleCommands([" + payloads(counter).map(b64).join(",") + "]," +
      JSON.stringify(SECRET) + "," + b64(bytes(BASE)) +
      ",function(m){return E.toString(new Uint8Array(require('crypto').SHA256(m)));});" +
      "print(" + JSON.stringify(RESULT) + "+JSON.stringify(r));print(" + JSON.stringify(END) + ");";
    assertHandled(resultOf(await runOnEspruino(code)) as Handled, counter);
  });

const { broker, recorder } = brokerForFile(["han/#"]);

test("in the emulated device: `npm run command`'s payload changes the stored configuration", async () => {
  const id = "signed-utf8";
  const base = "han/" + id;
  const emu = emulate({ files: { "han.json": deviceConfig(broker().port, id,
    { remote: { configChanges: true, secret: SECRET } }) } }, recorder);
  const commander = await mqtt.connectAsync("mqtt://127.0.0.1:" + broker().port, { username: USERNAME, password: PASSWORD });
  try {
    // Signed commands wait for SNTP to set the device's clock, which may come after the broker connection.
    assert.ok(await emu.advanceUntil(() => recorder.on(base + "/status").length > 0 && clockIsSet(emu.wallMs()),
      60000), emu.console.text());
    await commander.publishAsync(base + "/cmd", Buffer.from(commandPayload("set", CHANGES, SECRET,
      Math.floor(emu.wallMs()), base), "latin1"), { qos: 1 });
    const logged = () => recorder.on(base + "/log").map((m) => m.payload);
    assert.ok(await emu.advanceUntil(() => logged().length > 0, 60000), "no answer; console:\n" + emu.console.text());
    assert.deepEqual(logged(), ["configuration changed: wifi.ssid, ntp"]);
    const stored = JSON.parse(emu.storage.read("han.json") as string);
    assert.deepEqual({ "wifi.ssid": text(stored.wifi.ssid), "ntp": text(stored.ntp) }, CHANGES);
  } finally {
    await commander.endAsync(true);
    emu.close();
  }
});
