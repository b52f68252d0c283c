// `npm start` as a newcomer runs it: the simulated meter, the firmware in the emulator and the embedded broker
// produce readings on the screen, and --for ends it cleanly. Simulated readings reach another broker only when
// asked, under a sim- device id; a broker or serial port that cannot be used ends it with one line and exit 1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { runScript } from "./support/run-script";
import { PASSWORD, USERNAME, startAedes } from "./support/brokers";
import { Recorder, deviceConfig, firmwareBundle } from "./support/emulated-device";
import { createEmulator } from "../scripts/emulator/index";
import { startEmbeddedBroker } from "../scripts/mqtt-aedes";

function start(args: string[]) {
  return runScript("scripts/start.ts", args);
}

/** The piped view's lines for `topic` (one per message: time, topic, payload). */
function linesOf(stdout: string, topic: string): string[] {
  return stdout.split("\n").filter((l) => l.split(" ")[1] === topic);
}

test("five simulated minutes of a 1-phase Kaifa meter show power, instant values and diagnostics", { timeout: 120000 }, async () => {
  const r = await start(["--meter", "kaifa", "-1p", "--speed", "300", "--for", "300"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^firmware: \d+ bytes \([\d.]+ KB of the 64 KB cap\), with \d+ parts \d+ bytes\n/);
  assert.match(r.stderr, /broker: mqtt:\/\/127\.0\.0\.1:\d+ \(embedded/);
  assert.ok(linesOf(r.stdout, "han/emulated/power").length > 50, "power every 2 s");
  const instant = JSON.parse(linesOf(r.stdout, "han/emulated/instant").at(-1)!.split(" han/emulated/instant ")[1]);
  assert.ok(instant.voltage_l1 > 200 && instant.voltage_l1 < 260, "a 1-phase voltage near 230 V");
  assert.equal(instant.voltage_l2, undefined, "one phase only");
  assert.ok(linesOf(r.stdout, "han/emulated/diag").length >= 4);
  assert.deepEqual(linesOf(r.stdout, "han/emulated/status").map((l) => l.split(" ")[2]), ["online"],
    "one connection, kept for the whole run");
  assert.ok(!r.stdout.includes("\x1b"), "screen control codes in piped output");
});

test("each framing the simulator sends, encrypted too, reaches the screen: the device is configured to read it",
  { timeout: 240000 }, async () => {
    for (const args of [["--framing", "p1", "--encrypt"], ["--framing", "mbus"], ["--framing", "mbus", "--encrypt"],
      ["--encrypt"]]) {
      // Smarty sends every 10 s: two minutes for as many readings. The first diag comes a minute after boot.
      const seconds = args.join(" ") === "--framing p1 --encrypt" ? "120" : "90";
      const r = await start(args.concat(["--speed", "100", "--for", seconds]));
      assert.equal(r.code, 0, r.stderr);
      assert.ok(linesOf(r.stdout, "han/emulated/power").length >= 5, args.join(" ") + ": no power readings\n" + r.stderr);
      const diag = linesOf(r.stdout, "han/emulated/diag").map((l) => JSON.parse(l.split(" han/emulated/diag ")[1]));
      assert.ok(diag.length > 0, args.join(" ") + ": no diag\n" + r.stderr);
      assert.equal(diag.at(-1)!.framing, args[0] === "--framing" ? args[1] : "hdlc", args.join(" "));
      assert.equal(diag.at(-1)!.decrypt_errors || 0, 0, args.join(" "));
    }
  });

test("at --speed 300, a stall of the host while the broker's CONNACK is on its way does not pass for a dead broker",
  { timeout: 60000 }, async () => {
    // A stall of Node's event loop (a garbage collection, a module compiled) moves the real clock on by 100 ms,
    // 30 virtual seconds at this speed, while the broker takes 20 real ms to answer the device's CONNECT.
    let stalled = 0;
    const broker = await startEmbeddedBroker(0, { authenticate: (_client, _user, _password, done) => {
      if (stalled > 0) {
        done(null, true);
        return;
      }
      stalled = 100;
      setTimeout(() => done(null, true), 20);
    } });
    const statuses: string[] = [];
    broker.aedes.on("publish", (packet) => {
      if (packet.topic === "han/stall/status") statuses.push(packet.payload.toString());
    });
    const t0 = performance.now();
    const emu = createEmulator({ code: firmwareBundle(), files: { "han.json": deviceConfig(broker.port, "stall") },
      realNow: () => performance.now() - t0 + stalled });
    try {
      await emu.runRealtime(300, 60000).done;
      assert.equal(stalled, 100, "the device never connected");
      assert.deepEqual(statuses, ["online"], "the device gave up on the broker and its last will went out");
    } finally {
      emu.close();
      await broker.close();
    }
  });

test("an embedded broker whose port is taken leaves nothing running behind it, so that npm start can end", async () => {
  const first = await startEmbeddedBroker(0);
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  const before = timers();
  await assert.rejects(startEmbeddedBroker(first.port), { code: "EADDRINUSE" });
  assert.equal(timers(), before, "the refused broker's heartbeat and will timers still run");
  await first.close();
});

test("bad options are refused with the usage", async () => {
  for (const args of [["--meter", "landis"], ["--speed", "0"], ["--for", "-1"], ["--broker", "http://x"],
    ["--to-real-broker"], ["--to-real-broker", "--config", "han.json", "--broker", "mqtt://x:1883"],
    ["--framing", "modbus"], ["--encrypt", "--key", "00"], ["--key", "000102030405060708090A0B0C0D0E0F"],
    ["--dsmr", "4.2"]]) {
    const r = await start(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /^start: .*\nusage: npm start/);
  }
});

test("--config han.json: its broker gets nothing unless --to-real-broker, and then only a device named sim-...",
  { timeout: 120000 }, async () => {
    const real = await startAedes();
    const recorder = new Recorder();
    await recorder.start(real.port, ["#"]);
    const dir = mkdtempSync(join(tmpdir(), "start-config-"));
    const file = join(dir, "han.json");
    writeFileSync(file, JSON.stringify({ deviceId: "kitchen", wifi: { ssid: "home", password: "home-wifi" },
      mqtt: { url: real.url, username: USERNAME, password: PASSWORD, baseTopic: "home/meter" } }));
    try {
      const local = await start(["--config", file, "--speed", "300", "--for", "60"]);
      assert.equal(local.code, 0, local.stderr);
      assert.match(local.stderr, new RegExp("han\\.json's broker mqtt://127\\.0\\.0\\.1:\\d+ is not used: the readings stay " +
        "on this machine \\(--to-real-broker sends them there, as device sim-kitchen\\)"));
      assert.match(local.stderr, /broker: mqtt:\/\/127\.0\.0\.1:\d+ \(embedded/);
      assert.ok(linesOf(local.stdout, "home/meter/power").length > 5, "the view shows what the device publishes");
      assert.deepEqual(recorder.messages.map((m) => m.topic), [], "simulated readings reached the broker in han.json");

      const sent = await start(["--config", file, "--to-real-broker", "--speed", "300", "--for", "60"]);
      assert.equal(sent.code, 0, sent.stderr);
      assert.match(sent.stderr, /broker: mqtt:\/\/127\.0\.0\.1:\d+\n/);
      assert.match(sent.stderr, /simulated readings go out as device sim-kitchen, never as the real device/);
      assert.ok(linesOf(sent.stdout, "han/sim-kitchen/power").length > 5, "the view watches the broker the device uses");
      await recorder.waitFor(() => recorder.on("han/sim-kitchen/power").length > 5, "readings on the real broker");
      const topics = Array.from(new Set(recorder.messages.map((m) => m.topic)));
      assert.ok(topics.some((t) => t.startsWith("homeassistant/")), "discovery: " + topics.join(" "));
      for (const m of recorder.messages) {
        assert.match(m.topic, /^(han\/sim-kitchen\/|homeassistant\/)/);
        assert.ok(!m.topic.startsWith("home/meter/"), "the real device's topics: " + m.topic);
        assert.ok(!m.payload.replace(/sim-kitchen/g, "").includes("kitchen"), "the real device's id in " + m.topic);
      }
    } finally {
      await recorder.stop();
      await real.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

test("a broker that is not there, or a serial port that cannot be opened, ends it with one line and exit code 1",
  { timeout: 120000 }, async () => {
    const free = await startEmbeddedBroker(0);
    const port = free.port;
    await free.close();
    const nobody = await start(["--broker", `mqtt://127.0.0.1:${port}`]);
    assert.equal(nobody.code, 1);
    assert.equal(nobody.stderr, `start: cannot reach the broker at mqtt://127.0.0.1:${port}: connection refused ` +
      "(nothing listens on that port); nothing was started\n");

    const serial = await start(["--serial", "/dev/ttyNOPE"]);
    assert.equal(serial.code, 1);
    assert.match(serial.stderr,
      /\nstart: the serial port: cannot open \/dev\/ttyNOPE: .*No such file or directory.*\(is the USB M-Bus adapter plugged in\?/);
    assert.equal(serial.stdout, "", "a view of nothing");
  });
