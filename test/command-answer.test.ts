// `npm run command` waits for the device's answer: the firmware in the emulator confirms or refuses on its
// <base>/log (diag answers with <base>/diag), and the tool says so and exits 0 or 1; a device that is not there,
// or offline, gets a clear line and exit code 1 once --wait has passed.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import mqtt from "mqtt";
import { runScript } from "./support/run-script";
import { Recorder, deviceConfig, emulate } from "./support/emulated-device";
import { startEmbeddedBroker, type EmbeddedBroker } from "../scripts/mqtt-aedes";
import type { Emulator, RealtimeRun } from "../scripts/emulator/index";
import { answerTo } from "../scripts/command";
import { clockIsSet } from "../lib/publish/payloads";

const SECRET = "cabinet-secret-0123456789";
let broker: EmbeddedBroker;
let url: string;
let emu: Emulator;
let realtime: RealtimeRun;
const recorder = new Recorder();

before(async () => {
  broker = await startEmbeddedBroker(0);
  url = `mqtt://127.0.0.1:${broker.port}`;
  await recorder.start(broker.port, ["han/cab/status"]);
  // SNTP gives the device this host's time: the tool signs with its clock, which the device checks against its own.
  emu = emulate({ files: { "han.json": deviceConfig(broker.port, "cab", { remote: { secret: SECRET } }) },
    startMs: Date.now() }, recorder);
  assert.ok(await emu.advanceUntil(() => recorder.on("han/cab/status").length > 0 && clockIsSet(emu.wallMs()), 120000),
    emu.console.text());
  // The device answers while the tool runs in its own process: its clock follows the real one.
  realtime = emu.runRealtime(1);
});

after(async () => {
  realtime.stop();
  await realtime.done;
  emu.close();
  await recorder.stop();
  await broker.close();
});

function command(args: string[]) {
  return runScript("scripts/command.ts", ["--broker", url].concat(args));
}

test("identify and diag: the device's answer is printed and the tool exits 0", { timeout: 60000 }, async () => {
  const identify = await command(["--base", "han/cab", "identify"]);
  assert.equal(identify.code, 0, identify.stderr);
  assert.match(identify.stdout, /^command: sent identify to han\/cab\/cmd; waiting up to 10 s for the device's answer\n/);
  assert.match(identify.stdout, /\ncommand: the device answered: identifying on command: the LED blinks\n$/);
  const diag = await command(["--base", "han/cab/", "diag"]);
  assert.equal(diag.code, 0, diag.stderr);
  assert.match(diag.stdout, /\ncommand: the device answered: diag \{.*"frames_ok":/);
});

test("a reboot: refused unsigned by the tool itself, refused by the device with a wrong secret (its reason, exit " +
  "code 1), done with the right one", { timeout: 60000 }, async () => {
  const unsigned = await command(["--base", "han/cab", "reboot"]);
  assert.equal(unsigned.code, 2, unsigned.stdout);
  assert.equal(unsigned.stderr,
    "command: reboot needs --secret (the device's remote.secret): the device refuses it unsigned\n");
  const wrong = await command(["--base", "han/cab", "--secret", "not-the-cabinet-secret", "reboot"]);
  assert.equal(wrong.code, 1, wrong.stdout);
  assert.equal(wrong.stderr, "command: the device refused reboot: reboot: wrong signature (another secret, or signed " +
    "for another device)\n");
  assert.equal(emu.resets.length, 0, "rebooted all the same");
  const signed = await command(["--base", "han/cab", "--secret", SECRET, "reboot"]);
  assert.equal(signed.code, 0, signed.stderr);
  assert.match(signed.stdout, /\ncommand: the device answered: rebooting on command\n$/);
  // A second after its answer, on the device's clock, which here follows the real one.
  for (let waited = 0; waited < 5000 && emu.resets.length === 0; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(emu.resets.length, 1, "no reboot");
});

test("no device, or an offline one: no answer within --wait, a line saying why, exit code 1", { timeout: 60000 }, async () => {
  const nobody = await command(["--base", "han/nobody", "--wait", "0.5", "diag"]);
  assert.equal(nobody.code, 1);
  assert.match(nobody.stdout, /command: sent diag to han\/nobody\/cmd/);
  assert.equal(nobody.stderr, "command: no answer from han/nobody within 0.5 s: no device has a status under " +
    "han/nobody on this broker (is --base right? npm run monitor shows what publishes)\n");

  const client = await mqtt.connectAsync(url);
  await client.publishAsync("han/gone/status", "offline", { qos: 1, retain: true });
  await client.endAsync();
  const gone = await command(["--base", "han/gone", "--wait", "0.5", "identify"]);
  assert.equal(gone.code, 1);
  assert.equal(gone.stderr, "command: no answer from han/gone within 0.5 s: the device is offline (its status is \"offline\")\n");
});

test("only the device's answer to this command counts as one", () => {
  assert.deepEqual(answerTo("reboot", "han/a", "han/a/log", "rebooting on command"), { accepted: true, text: "rebooting on command" });
  assert.deepEqual(answerTo("set", "han/a", "han/a/log", "command refused: set: han.baud: must be one of auto, 2400"),
    { accepted: false, text: "set: han.baud: must be one of auto, 2400" });
  assert.equal(answerTo("reboot", "han/a", "han/a/log", "energy register active_energy_import not published"), null);
  assert.equal(answerTo("identify", "han/a", "han/a/log", "rebooting on command"), null);
  assert.equal(answerTo("reboot", "han/a", "han/a/diag", "{}"), null);
  assert.equal(answerTo("diag", "han/a", "han/b/diag", "{}"), null);
  assert.deepEqual(answerTo("diag", "han/a", "han/a/diag", "{}"), { accepted: true, text: "diag {}" });
});
