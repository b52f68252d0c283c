// What a stranger who can publish to the broker tried with <base>/cmd (issue 9, items 1, 2, 5 and 10), against
// the firmware in the emulator: a retained reboot no longer resets the device over and over; a flood of identify
// leaves one blinking, with timers and memory bounded; a command signed for one dongle does nothing at another
// with the same secret, nor after a reinstall wiped the counter; counters of 1e21 and 2^53 neither reopen old
// commands nor lock the owner out; a change through __proto__ reaches no prototype.
import { test } from "node:test";
import assert from "node:assert/strict";
import mqtt from "mqtt";
import { commandPayload } from "../scripts/command";
import { clockIsSet } from "../lib/publish/payloads";
import type { Emulator, EmulatorOptions } from "../scripts/emulator/index";
import { brokerForFile, deviceConfig, emulate } from "./support/emulated-device";
import { PASSWORD, USERNAME } from "./support/brokers";

const SECRET = "remote-attacks-secret-0123";
const MINUTE = 60000;
// Not the command topics: a flood there would hold up what the devices say.
const { broker, recorder } = brokerForFile(["han/+/status", "han/+/log", "han/+/diag"]);

function stranger(): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync("mqtt://127.0.0.1:" + broker().port, { username: USERNAME, password: PASSWORD });
}

/** Publishes `payload` on the device's command topic; resolves true once the device's socket has the bytes, false
 *  when they do not come within a second of real time (the broker had no subscription of the device to send them
 *  to). The device's time stands still meanwhile: run ahead of the broker's, it would meet the command late. */
async function send(emu: Emulator, client: mqtt.MqttClient, id: string, payload: string): Promise<boolean> {
  const topic = "han/" + id + "/cmd";
  const expected = emu.net.stats.bytesIn + topic.length + payload.length + 6;
  await client.publishAsync(topic, Buffer.from(payload, "latin1"), { qos: 1 });
  return arrived(emu, expected);
}

/** Whether the device's socket has received `bytesIn` bytes in all, waiting up to a second of real time. */
async function arrived(emu: Emulator, bytesIn: number): Promise<boolean> {
  const stats = emu.net.stats;
  const deadline = Date.now() + 1000;
  while (stats.bytesIn < bytesIn && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  return stats.bytesIn >= bytesIn;
}

/** Runs the device until its clock is set by SNTP (signed commands wait for it) and a command reaches it: its
 *  subscription to <base>/cmd has reached the broker, which its "online" does not tell. */
async function ready(emu: Emulator, client: mqtt.MqttClient, id: string): Promise<void> {
  const topic = "han/" + id + "/diag";
  assert.ok(await emu.advanceUntil(() => clockIsSet(emu.wallMs()), 60000), emu.console.text());
  // Commands sent while the device rebooted wait in its kept session and reach it at once, most of them refused
  // as too frequent: the diag is asked again, no more often than the device answers, until an answer is through.
  for (let attempt = 0; attempt < 20; attempt++) {
    const before = recorder.on(topic).length;
    await send(emu, client, id, '{"cmd":"diag"}');
    await emu.advance(2500, 10);
    if (await recorder.waitFor(() => recorder.on(topic).length > before, "diag", 500).then(() => true, () => false)) {
      return;
    }
  }
  assert.fail("no command reached the device; console:\n" + emu.console.text());
}

/** The device `id` booted and ready for commands. */
async function boot(client: mqtt.MqttClient, id: string, extra?: { [group: string]: object },
  options?: EmulatorOptions): Promise<Emulator> {
  const emu = emulate(Object.assign({ files: { "han.json": deviceConfig(broker().port, id, extra) } }, options),
    recorder);
  await ready(emu, client, id);
  return emu;
}

function logOf(id: string): string[] {
  return recorder.on("han/" + id + "/log").map((m) => m.payload);
}

/** Sends `payload` to the device, which acts on it at the device's present instant, and returns the line it logs
 *  in answer. */
async function command(emu: Emulator, client: mqtt.MqttClient, id: string, payload: string): Promise<string> {
  const before = logOf(id).length;
  assert.ok(await send(emu, client, id, payload), "the broker did not pass on " + payload);
  await emu.advance(1000, 10);
  await recorder.waitFor(() => logOf(id).length > before, "an answer to " + payload);
  return logOf(id)[before];
}

/** A reboot signed for the device `id` with its own clock as the counter, as `npm run command` would. */
function signedReboot(emu: Emulator, id: string, counter?: number): string {
  return commandPayload("reboot", undefined, SECRET, counter === undefined ? Math.floor(emu.wallMs()) : counter,
    "han/" + id);
}

test("item 1: a retained reboot on <base>/cmd, default configuration: the device does not reset, in 10 minutes",
  { timeout: 120000 }, async () => {
    const id = "retained-reboot";
    const client = await stranger();
    await client.publishAsync("han/" + id + "/cmd", '{"cmd":"reboot"}', { qos: 1, retain: true });
    const emu = await boot(client, id);
    try {
      await emu.advance(10 * MINUTE);
      assert.deepEqual(emu.resets, []);
      assert.deepEqual(logOf(id), ["command refused: a retained message on the command topic is never acted on"]);
      // Sent live, with no secret configured, a reboot is refused all the same.
      assert.equal(await command(emu, client, id, '{"cmd":"reboot"}'),
        "command refused: reboot is never run unsigned; remote.secret is not set");
      await emu.advance(MINUTE + 1000);
      assert.deepEqual(emu.resets, []);
      const counted = () => recorder.json("han/" + id + "/diag").map((d) => [d.commands_accepted, d.commands_refused]);
      await recorder.waitFor(() => counted().some((c) => c[1] === 2), "a diag counting both refusals");
      assert.deepEqual(counted()[counted().length - 1], [1, 2], "the diag that found it ready, and two refusals");
    } finally {
      emu.close();
      await client.publishAsync("han/" + id + "/cmd", "", { qos: 1, retain: true });
      await client.endAsync();
    }
  });

test("item 2: 3,000 identify at 1,000/s: at most one blinking timer (and the commands part's), and memory stays " +
  "where it was",
  { timeout: 120000 }, async () => {
    const id = "identify-flood";
    const client = await stranger();
    const emu = await boot(client, id);
    try {
      await emu.advance(5000);
      const timers = emu.clock.timerCount();
      const free = emu.memory().free;
      let maxTimers = 0;
      let minFree = free;
      // 100 every 100 ms of the device's time, each hundred in its socket before that time runs.
      const topic = "han/" + id + "/cmd";
      const identify = '{"cmd":"identify"}';
      for (let slice = 0; slice < 30; slice++) {
        const expected = emu.net.stats.bytesIn + 100 * (topic.length + identify.length + 4);
        for (let i = 0; i < 100; i++) client.publish(topic, identify, { qos: 0 });
        assert.ok(await arrived(emu, expected), "the flood's slice " + slice + " did not reach the device");
        await emu.advance(100, 10);
        maxTimers = Math.max(maxTimers, emu.clock.timerCount());
        minFree = Math.min(minFree, emu.memory().free);
      }
      await emu.advance(10000);
      const identified = logOf(id).filter((l) => l === "identifying on command: the LED blinks").length;
      console.log("remote-attacks: " + timers + " timers before the flood, at most " + maxTimers + " during it; " +
        "free variables " + free + " before, " + minFree + " at the least; identify ran " + identified + " times");
      assert.ok(identified >= 1 && identified <= 3, "identify ran " + identified + " times in 3 s");
      // The blinking's, and the one that drops the commands part (firmware/parts.ts) 2 s after it was read.
      assert.ok(maxTimers <= timers + 2, maxTimers + " timers against " + timers + " before");
      assert.ok(free - minFree < 200, "free variables fell from " + free + " to " + minFree);
      assert.equal(emu.clock.timerCount(), timers, "the blinking has ended");
      assert.equal(emu.pins[2], false, "the LED ends off");
    } finally {
      emu.close();
      await client.endAsync();
    }
  });

test("item 2: identify while it blinks restarts the one blinking: LED steps 250 ms apart, ending off 4.75 s later",
  { timeout: 120000 }, async () => {
    const id = "identify-again";
    const writes: { at: number; on: boolean }[] = [];
    let now = () => 0;
    const client = await stranger();
    const emu = await boot(client, id, undefined, { globals: {
      digitalWrite: function (pin: unknown, value: unknown) { if (pin === 2) writes.push({ at: now(), on: !!value }); },
    } });
    now = () => emu.clock.now;
    try {
      let last = 0;
      for (let i = 0; i < 6; i++) {
        last = emu.clock.now;
        assert.equal(await command(emu, client, id, '{"cmd":"identify"}'), "identifying on command: the LED blinks");
        await emu.advance(1500);
      }
      await emu.advance(10000);
      const gaps = writes.slice(1).map((w, i) => w.at - writes[i].at);
      assert.ok(gaps.every((g) => g >= 249), "two blinkings at once: " + gaps.join(","));
      assert.equal(writes[writes.length - 1].on, false, "the LED ends off");
      // 19 steps after the first, which comes at once, or at the next step of a blinking that runs.
      const end = writes[writes.length - 1].at - last;
      assert.ok(end >= 4750 && end <= 5000, "it ends " + end + " ms after the last identify");
      assert.ok(writes.length >= 6 * 9, "it kept blinking: " + writes.length + " steps");
    } finally {
      emu.close();
      await client.endAsync();
    }
  });

test("item 5: a reboot signed for one dongle does nothing at another with the same secret, nor after a reinstall " +
  "wiped the counter", { timeout: 120000 }, async () => {
  const remote = { remote: { secret: SECRET } };
  const client = await stranger();
  const a = await boot(client, "bound-a", remote);
  const b = await boot(client, "bound-b", remote);
  let reinstalled: Emulator | null = null;
  try {
    const forA = signedReboot(a, "bound-a");
    assert.equal(await command(b, client, "bound-b", forA),
      "command refused: reboot: wrong signature (another secret, or signed for another device)");
    await b.advance(5000);
    assert.deepEqual(b.resets, []);
    assert.equal(await command(a, client, "bound-a", forA), "rebooting on command");
    await a.advance(5000);
    assert.equal(a.resets.length, 1);

    // The reinstall, 11 minutes later: Storage erased, the configuration written again.
    const files = { "han.json": a.storage.read("han.json") as string };
    const startMs = a.wallMs() + 11 * MINUTE;
    a.close();
    assert.ok(a.storage.read("han.cmdctr"), "the counter was stored");
    reinstalled = await boot(client, "bound-a", remote, { files, startMs });
    assert.equal(reinstalled.storage.read("han.cmdctr"), undefined);
    assert.match(await command(reinstalled, client, "bound-a", forA),
      /^command refused: reboot: counter \d+ is more than 10 minutes from the device's clock/);
    await reinstalled.advance(5000);
    assert.deepEqual(reinstalled.resets, []);
    assert.equal(await command(reinstalled, client, "bound-a", signedReboot(reinstalled, "bound-a")),
      "rebooting on command");
    await reinstalled.advance(5000);
    assert.equal(reinstalled.resets.length, 1);
  } finally {
    a.close();
    b.close();
    if (reinstalled) reinstalled.close();
    await client.endAsync();
  }
});

test("item 10: counter 1e21 reopens no old command, 2^53 locks no one out, a change through __proto__ is refused",
  { timeout: 120000 }, async () => {
    const id = "counter-edge";
    const client = await stranger();
    const emu = await boot(client, id, { remote: { secret: SECRET, configChanges: true } });
    const explained = async () => {
      await emu.advance(2000);
      assert.equal(await command(emu, client, id, '{"cmd":"identify"}'), "identifying on command: the LED blinks");
    };
    try {
      const first = signedReboot(emu, id);
      assert.equal(await command(emu, client, id, first), "rebooting on command");
      assert.ok(await emu.advanceUntil(() => emu.resets.length === 1, 5000, 100));
      await ready(emu, client, id);
      const stored = emu.storage.read("han.cmdctr");
      assert.equal(stored, String(JSON.parse(first).counter));

      assert.match(await command(emu, client, id, signedReboot(emu, id, 1e21)),
        /^command refused: reboot: counter 1e\+21 is more than 10 minutes from the device's clock/);
      assert.equal(emu.storage.read("han.cmdctr"), stored);
      // A refusal of the same kind is logged again once a command has been accepted in between.
      await explained();
      assert.equal(await command(emu, client, id, first), "command refused: reboot: counter " + stored +
        " already used (replay)");
      await explained();
      assert.match(await command(emu, client, id, signedReboot(emu, id, 2 ** 53)), /^command refused: reboot: counter/);
      const owner = signedReboot(emu, id);
      assert.equal(await command(emu, client, id, owner), "rebooting on command");
      assert.ok(await emu.advanceUntil(() => emu.resets.length === 2, 5000, 100));
      await ready(emu, client, id);
      assert.equal(emu.storage.read("han.cmdctr"), String(JSON.parse(owner).counter));

      const polluting = commandPayload("set", { "__proto__.polluted": true }, SECRET, Math.floor(emu.wallMs()),
        "han/" + id);
      assert.equal(await command(emu, client, id, polluting), "command refused: set: __proto__.polluted: unknown field");
      const prototype = (emu.global().Object as ObjectConstructor).prototype as { polluted?: unknown };
      assert.equal(prototype.polluted, undefined);
      await emu.advance(5000);
      assert.equal(emu.resets.length, 2);
    } finally {
      emu.close();
      await client.endAsync();
    }
  });

test("a power cut while a signed set rewrites han.json leaves the device configured and its console locked",
  { timeout: 120000 }, async () => {
    const id = "set-power-cut";
    const client = await stranger();
    const emu = await boot(client, id, { remote: { secret: SECRET, configChanges: true },
      console: { password: "cabinet-door" } });
    try {
      const change = commandPayload("set", { "output.diagInterval": 120 }, SECRET, Math.floor(emu.wallMs()), "han/" + id);
      // The second write under that name is han.json itself; the first, its copy.
      emu.cutPowerAtStorageWrite(2, 10, "han.json");
      assert.equal(await send(emu, client, id, change), true);
      assert.ok(await emu.advanceUntil(() => emu.resets.length === 1, 5000, 100), emu.console.text());
      assert.equal(emu.resets[0].reason, "power");
      const cut = emu.storage.read("han.json");
      assert.ok(cut === undefined || cut.indexOf("\xff") > 0, "han.json was not cut short: " + cut);
      await emu.advance(5000);
      const booted = emu.console.text();
      assert.match(booted, /han-reader [^\n]*, console locked/);
      assert.doesNotMatch(booted, /no configuration/);
      await recorder.waitFor(() => recorder.on("han/" + id + "/status").filter((m) => m.payload === "online").length >= 2,
        "the device online again after the cut");
    } finally {
      emu.close();
      await client.endAsync();
    }
  });
