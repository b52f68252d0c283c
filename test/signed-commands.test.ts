// A signed `set` with non-ASCII values, signed by `npm run command` on the host, verified where the device runs:
// Espruino's strings are 8-bit and its JSON.stringify escapes non-ASCII as \u00XX, so a signature over a
// re-serialisation of the parsed command could never match Node's; the signature covers the payload's bytes as
// sent (SECURITY.md). Checked in the Espruino-shaped context, in the emulated device end to end, and in the real
// interpreter when present.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { bundleForEspruino, runInEspruinoContext } from "../scripts/espruino/bundle";
import { createEspruinoContext, globalOf } from "../scripts/espruino/context";
import { commandPayload } from "../scripts/command";
import { brokerForFile, deviceConfig, emulate } from "./support/emulated-device";
import { PASSWORD, USERNAME } from "./support/brokers";
import { END, RESULT, espruinoMissing, resultOf, runOnEspruino } from "./support/espruino-run";
import type { handleCommand } from "./support/command-entry";

const SECRET = "signed-commands-secret-0123";
const CHANGES = { "wifi.ssid": "Bjørnstad", "ntp": "€.example" };
const sha256 = (s: string) => createHash("sha256").update(Buffer.from(s, "latin1")).digest("latin1");
const missing = espruinoMissing("signed-commands.test.ts");

/** A value the device holds (UTF-8 bytes, one char each) as the text it stands for. */
function text(bytes: unknown): string {
  return Buffer.from(String(bytes), "latin1").toString("utf8");
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

test("in the Espruino-shaped context: accepted, with the values as the host meant them", () => {
  const context = createEspruinoContext();
  runInEspruinoContext(commandBundle(), context);
  const api = globalOf(context).__commands as { handleCommand: typeof handleCommand };
  const result = api.handleCommand(commandPayload("set", CHANGES, SECRET, 1764300000), SECRET, sha256);
  assert.equal(result.accepted, true, result.logs.join("\n"));
  assert.deepEqual(asText(result.changes), CHANGES);
  // Espruino writes the stored configuration with \u00XX escapes: the bytes survive, and read back as the text.
  assert.match(runInEspruinoContext("JSON.stringify(" + JSON.stringify(Buffer.from("ø", "utf8").toString("latin1")) +
    ")", context) as string, /\\u00C3\\u00B8/);
});

test("in the real interpreter: accepted, with the values as the host meant them",
  { skip: missing ? "SKIPPED: " + missing : false }, async () => {
    const payload = commandPayload("set", CHANGES, SECRET, 1764300000);
    const code = commandBundle() + "var r=__commands.handleCommand(atob(" +
      JSON.stringify(Buffer.from(payload, "latin1").toString("base64")) + ")," + JSON.stringify(SECRET) +
      ",function(m){return E.toString(new Uint8Array(require('crypto').SHA256(m)));});" +
      "print(" + JSON.stringify(RESULT) + "+JSON.stringify(r));print(" + JSON.stringify(END) + ");";
    const result = resultOf(await runOnEspruino(code)) as ReturnType<typeof handleCommand>;
    assert.equal(result.accepted, true, result.logs.join("\n"));
    assert.deepEqual(asText(result.changes), CHANGES);
  });

const { broker, recorder } = brokerForFile(["han/#"]);

test("in the emulated device: `npm run command`'s payload changes the stored configuration", async () => {
  const id = "signed-utf8";
  const emu = emulate({ files: { "han.json": deviceConfig(broker().port, id,
    { remote: { configChanges: true, secret: SECRET } }) } }, recorder);
  const commander = await mqtt.connectAsync("mqtt://127.0.0.1:" + broker().port, { username: USERNAME, password: PASSWORD });
  try {
    assert.ok(await emu.advanceUntil(() => recorder.on("han/" + id + "/status").length > 0, 60000), emu.console.text());
    await commander.publishAsync("han/" + id + "/cmd", Buffer.from(commandPayload("set", CHANGES, SECRET, 1764300000),
      "latin1"), { qos: 1 });
    const logged = () => recorder.on("han/" + id + "/log").map((m) => m.payload);
    assert.ok(await emu.advanceUntil(() => logged().length > 0, 60000), "no answer; console:\n" + emu.console.text());
    assert.deepEqual(logged(), ["configuration changed: wifi.ssid, ntp"]);
    const stored = JSON.parse(emu.storage.read("han.json") as string);
    assert.deepEqual({ "wifi.ssid": text(stored.wifi.ssid), "ntp": text(stored.ntp) }, CHANGES);
  } finally {
    await commander.endAsync(true);
    emu.close();
  }
});
