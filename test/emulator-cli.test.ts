// `npm run emulate` by hand: the device joins whatever Wi-Fi its han.json names, and the CLI says which broker it
// publishes to and how to watch it there; with another access point named, the emulator says why it does not
// connect.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brokerForFile, deviceConfig, firmwareBundle } from "./support/emulated-device";
import { runScript } from "./support/run-script";
import { USERNAME } from "./support/brokers";
import { Flash } from "../scripts/emulator/storage";
import { watchHint, watchStorage } from "../scripts/emulator/watch";

const { broker, recorder } = brokerForFile(["han/#"]);

function files(config: string): { dir: string; bundle: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), "emulate-cli-"));
  writeFileSync(join(dir, "firmware.js"), firmwareBundle(), "latin1");
  writeFileSync(join(dir, "han.json"), config);
  return { dir: dir, bundle: join(dir, "firmware.js"), config: join(dir, "han.json") };
}

test("a han.json naming any network: the emulated device joins it and publishes, and the CLI prints how to watch it",
  async () => {
    const f = files(deviceConfig(broker().port, "cli-home", { wifi: { ssid: "home-net", password: "pw-of-home" } }));
    try {
      const run = await runScript("scripts/emulator/cli.ts", ["--bundle", f.bundle, "--config", f.config,
        "--speed", "0", "--for", "30"]);
      assert.equal(run.code, 0, run.stderr);
      const url = "mqtt://127.0.0.1:" + broker().port;
      assert.ok(run.stderr.indexOf("Wi-Fi: \"home-net\" (emulated)") >= 0, run.stderr);
      assert.ok(run.stderr.indexOf("broker: " + url) >= 0, run.stderr);
      assert.ok(run.stderr.indexOf("npm run monitor -- --broker " + url + " --user " + USERNAME +
        " --password <mqtt.password of han.json>\n") >= 0, run.stderr);
      assert.ok(run.stderr.indexOf("emulator: Wi-Fi: emulating access point \"home-net\"") >= 0, run.stderr);
      assert.ok(run.stderr.indexOf("pw-of-home") < 0, "the Wi-Fi password was printed");
      await recorder.waitFor(function () { return recorder.on("han/cli-home/power").length > 0; },
        "readings from the emulated device");
    } finally {
      rmSync(f.dir, { recursive: true, force: true });
    }
  });

test("another access point named on the command line: the CLI and the emulator say why the device does not connect",
  async () => {
    const f = files(deviceConfig(broker().port, "cli-away", { wifi: { ssid: "home-net" } }));
    try {
      const run = await runScript("scripts/emulator/cli.ts", ["--bundle", f.bundle, "--config", f.config,
        "--speed", "0", "--for", "20", "--wifi-ssid", "han-test"]);
      assert.equal(run.code, 0, run.stderr);
      assert.ok(run.stderr.indexOf("Wi-Fi: han.json names \"home-net\", but the emulated access point is " +
        "\"han-test\" (--wifi-ssid): the device will not connect") >= 0, run.stderr);
      assert.ok(run.stderr.indexOf("emulator: Wi-Fi does not connect: no network \"home-net\" in reach") >= 0,
        run.stderr);
      assert.equal(recorder.on("han/cli-away/status").length, 0);
    } finally {
      rmSync(f.dir, { recursive: true, force: true });
    }
  });

test("the hint follows han.json: none, unreadable, a wrong password, and a new one written by a host tool", async () => {
  const none = watchHint(undefined, {});
  assert.match(none, /^no han\.json in Storage: .*npm run flash/);
  assert.match(watchHint("{", {}), /^han\.json in Storage is not JSON/);
  assert.match(watchHint(JSON.stringify({ wifi: { ssid: "x" } }), {}), /no broker \(mqtt\.url\)/);
  const config = JSON.stringify({ wifi: { ssid: "x", password: "a" }, mqtt: { url: "mqtts://b:8883" } });
  assert.match(watchHint(config, { password: "b" }), /password in han\.json is not the emulated access point's/);
  assert.match(watchHint(config, {}), /--broker mqtts:\/\/b:8883 --ca <the broker's CA certificate>$/);

  const flash = new Flash(null);
  const printed: string[] = [];
  const stop = watchStorage(flash, {}, function (text) { printed.push(text); }, 10);
  try {
    flash.write("han.json", config);
    await new Promise(function (resolve) { setTimeout(resolve, 50); });
    assert.deepEqual(printed, [none, watchHint(config, {})]);
  } finally {
    stop();
  }
});
