// configure -> flash -> readings, end to end, with the real `espruino` tool talking to a pseudo-terminal that the
// emulated ESP32 serves as its USB console. The device starts as a fresh Espruino with nothing in Storage. npm run
// configure writes han.json without questions (with a console password); npm run flash is cut off mid-upload by
// pulling the pty (it says so, and that running it again is safe), then run again: it uploads, restarts the
// device, types the console password when the firmware locks the console, and confirms the firmware version and
// the configuration's CRC32. npm run configure -- --push then changes the configuration on the locked device.
// Both start where something was left half-typed at the console.
// The device boots what was flashed and publishes readings to a broker. Also: an invalid configuration, a port
// that does not exist, a device that is no serial port, a pty with no Espruino behind it, and a device whose console
// is locked by a password the configuration does not have, each give their message.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulator, meterSource, servePty, socatMissing } from "../scripts/emulator/index";
import { PASSWORD, startAedes, USERNAME, type Broker } from "./support/brokers";
import { deviceConfig, firmwareBundle, Recorder } from "./support/emulated-device";
import { runScript } from "./support/run-script";
import { buildLoader } from "../scripts/build";

const missing = socatMissing();
if (missing) console.warn("flash-e2e.test.ts: SKIPPED (no pty for the espruino tool): " + missing);
const skip = missing ? "SKIPPED: " + missing : false;

const START = Date.UTC(2024, 0, 15, 12, 0, 0);
const CONSOLE_PASSWORD = "cabinet-Wq4z";

let dir = "";
/** A valid configuration for the failures, which never get as far as using it. */
let anyConfig = "";
let broker: Broker;
const recorder = new Recorder();

before(async function () {
  dir = mkdtempSync(join(tmpdir(), "han-flash-"));
  anyConfig = join(dir, "any.json");
  writeFileSync(anyConfig, JSON.stringify({ wifi: { ssid: "x" }, mqtt: { url: "mqtt://127.0.0.1" } }));
  broker = await startAedes();
  await recorder.start(broker.port, ["han/#"]);
});

after(async function () {
  await recorder.stop();
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test("configure, flash over the espruino tool to the emulated device's pty (cut off once, then again), push a " +
  "change to the locked device: it runs what was flashed and publishes", { skip: skip, timeout: 300000 }, async function () {
  const emu = createEmulator({ startMs: START,
    source: meterSource({ maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 3, startMs: START }) });
  recorder.now = function () { return emu.clock.now; };
  const ttyPath = join(dir, "ttyHAN");
  let pty = await servePty(emu.consoles, ttyPath);
  const realtime = emu.runRealtime(1);
  const config = join(dir, "han.json");
  try {
    const configured = await runScript("scripts/configure.ts", ["--yes", "--set", "deviceId=e2e",
      "--set", "wifi.ssid=han-test", "--set", "wifi.password=han-test-wifi", "--set", "mqtt.url=mqtt://127.0.0.1:" + broker.port,
      "--set", "mqtt.username=" + USERNAME, "--set", "mqtt.password=" + PASSWORD,
      "--set", "console.password=" + CONSOLE_PASSWORD, "--out", config]);
    assert.equal(configured.code, 0, configured.stderr);
    // What a broken upload leaves behind: half a line at the REPL, its brackets open.
    emu.consoles.type("\x10require(\"Storage\").write(\"x\",atob(\"QUJD");

    // The cable comes out early in the upload.
    let pulled: Promise<void> | null = null;
    const cut = await runScript("scripts/flash.ts", ["--port", ttyPath, "--config", config], { onStdout: function (text) {
      if (!pulled && /uploading: 10%/.test(text)) pulled = pty.close();
    } });
    assert.ok(pulled, "the upload never reached 10%:\n" + cut.stdout + cut.stderr);
    await pulled;
    assert.equal(cut.code, 1, cut.stdout);
    // Which sign of the cut comes first (the closed port, or the device's missing confirmation) depends on timing.
    assert.match(cut.stderr,
      /flash: the upload to .*ttyHAN was interrupted \((the port closed|the device did not confirm it)\)\. It is safe to run it again/);

    pty = await servePty(emu.consoles, ttyPath);
    const flashed = await runScript("scripts/flash.ts", ["--port", ttyPath, "--config", config]);
    assert.equal(flashed.code, 0, flashed.stdout + flashed.stderr);
    assert.match(flashed.stdout, /flash: firmware han-reader 0\.1\.0: \d+ bytes/);
    assert.match(flashed.stdout, /flash: Espruino 2v29 on ESP32 answering/);
    assert.match(flashed.stdout, /flash: uploading: 50%/);
    assert.match(flashed.stdout, /flash: the console locked itself: typing console\.password/);
    assert.match(flashed.stdout,
      /flash: done: han-reader 0\.1\.0 runs on .*ttyHAN \(Espruino ESP32 2v29\), with .*han\.json as han\.json \(CRC32 [0-9a-f]{8}/);
    // The update loader boots the firmware from slot 0 (scripts/build.ts slotLayout).
    assert.equal(emu.storage.read(".bootcde"), buildLoader().code);
    assert.equal(emu.storage.read("han.fw0"), firmwareBundle());
    assert.equal(emu.storage.read("han.json"), JSON.stringify(JSON.parse(readFileSync(config, "utf8"))));
    assert.equal(emu.consoles.current, "LoopbackA", "flash left the console unlocked");
    assert.ok((flashed.stdout + flashed.stderr).indexOf(CONSOLE_PASSWORD) < 0, "flash printed the console password");

    // The device is locked now: --push must type the password before anything else, whatever was typed before.
    emu.consoles.type("half a passw");
    const pushed = await runScript("scripts/configure.ts", ["--yes", "--file", config, "--set", "output.diagInterval=30",
      "--out", config, "--push", "--port", ttyPath]);
    assert.equal(pushed.code, 0, pushed.stdout + pushed.stderr);
    assert.match(pushed.stdout, /configure: the console is locked: typing console\.password/);
    assert.match(pushed.stdout,
      /configure: han\.json is on the device \(CRC32 [0-9a-f]{8}\), which restarted with it running han-reader 0\.1\.0/);
    assert.equal(JSON.parse(emu.storage.read("han.json") as string).output.diagInterval, 30);
    const pushedAt = recorder.messages.length;

    realtime.stop();
    await realtime.done;
    const diags = function () {
      return recorder.messages.slice(pushedAt).filter(function (m) { return m.topic === "han/e2e/diag"; });
    };
    const done = await emu.advanceUntil(function () {
      return recorder.on("han/e2e/instant").length >= 2 && diags().length >= 2;
    }, 10 * 60000);
    assert.ok(done, "no readings from the flashed device; console:\n" + emu.console.text());
    // By the device's own uptime in the two payloads: when the recorder hears them depends on the host's load.
    const uptime = function (i: number): number { return JSON.parse(diags()[i].payload).uptime as number; };
    const apart = uptime(1) - uptime(0);
    assert.ok(Math.abs(apart - 30) <= 1, "diag " + apart + " s apart: the pushed diagInterval is not in force");
    assert.equal(JSON.parse(diags()[0].payload).firmware, "0.1.0");
  } finally {
    realtime.stop();
    await pty.close();
    emu.close();
  }
});

test("flash refuses an invalid configuration, naming the field, before it touches the port", async function () {
  const bad = join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify({ wifi: { ssid: "x" }, mqtt: { url: "mqtt://127.0.0.1", keepAlive: 5 } }));
  const run = await runScript("scripts/flash.ts", ["--port", join(dir, "ttyUSB9"), "--config", bad]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /flash: .*bad\.json: mqtt\.keepAlive: must be a whole number from 10 to 3600; got 5/);
  assert.match(run.stderr, /nothing was written to the device/);
  assert.doesNotMatch(run.stderr, /no such port/);
});

test("flash to a port that does not exist says so", async function () {
  const run = await runScript("scripts/flash.ts", ["--port", join(dir, "ttyUSB9"), "--config", anyConfig]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /flash: no such port .*ttyUSB9: plug the ESP32 in with a USB data cable/);
});

test("flash to a pty with no Espruino behind it gives the esptool command that installs it", { skip: skip }, async function () {
  const silent = { readUsb: function () { return function () { /* nothing to stop */ }; }, type: function () { /* nobody */ } };
  const pty = await servePty(silent, join(dir, "ttySilent"));
  try {
    const run = await runScript("scripts/flash.ts", ["--port", pty.path, "--config", anyConfig]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /flash: no Espruino answering on .*ttySilent at 115200 baud/);
    assert.match(run.stderr, /esptool\.py --chip esp32 --port .*ttySilent --baud 921600 write_flash/);
  } finally {
    await pty.close();
  }
});

test("flash to a device that is no serial port says so, without the espruino tool's crash", async function () {
  const run = await runScript("scripts/flash.ts", ["--port", "/dev/null", "--config", anyConfig]);
  assert.equal(run.code, 1);
  assert.equal(run.stderr.trim(), "flash: /dev/null is not a serial port: give the ESP32's USB serial port, e.g. /dev/ttyUSB0");
});

test("flash to a device whose console is locked, with no console.password in the configuration, says that, and " +
  "nothing about installing Espruino", { skip: skip, timeout: 120000 }, async function () {
  const emu = createEmulator({ startMs: START, code: firmwareBundle(),
    files: { "han.json": deviceConfig(1, "locked", { console: { password: CONSOLE_PASSWORD } }) } });
  const pty = await servePty(emu.consoles, join(dir, "ttyLocked"));
  const realtime = emu.runRealtime(1);
  try {
    const run = await runScript("scripts/flash.ts", ["--port", pty.path, "--config", anyConfig]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^flash: the console on .*ttyLocked is locked with a password, and the configuration has no console\.password: set it/);
    assert.doesNotMatch(run.stderr, /Espruino|esptool/);
    assert.equal(emu.consoles.current, "LoopbackA", "the console was unlocked");
  } finally {
    realtime.stop();
    await realtime.done;
    await pty.close();
    emu.close();
  }
});
