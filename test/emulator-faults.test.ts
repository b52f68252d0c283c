// Faults the device must get over by itself, each on the emulated ESP32 with the firmware bundle: Wi-Fi gone for
// ten minutes or never there, the broker restarted, noise and cut frames on the HAN line, the wrong serial setting
// stored, and a configuration that is missing or invalid.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startAedes } from "./support/brokers";
import { brokerForFile, deviceConfig, emulate, Recorder } from "./support/emulated-device";
import { meterSource, withFaults } from "../scripts/emulator/index";
import type { Emulator } from "../scripts/emulator/index";
import { createRng } from "../scripts/sim/random";
import { CANDIDATES } from "../lib/serial-autodetect";

const MINUTE = 60000;
/** Ten minutes before midnight UTC: the hourly list of 00:00 falls inside the first fault's window. */
const START = Date.UTC(2024, 0, 14, 23, 50, 0);

const { broker, recorder } = brokerForFile(["han/#"]);

let seed = 40;

function aidon(): ReturnType<typeof meterSource> {
  return meterSource({ maker: "aidon", phases: 3, wires: 4, country: "NO", seed: seed++, startMs: START });
}

/** Readings the broker got from `base` that the device made after virtual time `since` (by their time stamp: a
 *  message can reach the subscriber well after the emulator has moved on). */
function powerAfter(base: string, since: number, from?: Recorder): number {
  return (from || recorder).json(base + "/power").filter(function (p) {
    return typeof p.ts === "string" && Date.parse(p.ts) > START + since;
  }).length;
}

function lastDiag(base: string): { [key: string]: unknown } {
  const all = recorder.json(base + "/diag");
  assert.ok(all.length > 0, "no diag from " + base);
  return all[all.length - 1];
}

function healthy(emu: Emulator): void {
  assert.deepEqual(emu.console.uncaught, [], emu.console.text());
  assert.deepEqual(emu.resets, []);
}

test("Wi-Fi gone for 10 minutes: readings resume, and the hour closed meanwhile is delivered", async function () {
  const base = "han/wifi-drop";
  const emu = emulate({ startMs: START, files: { "han.json": deviceConfig(broker().port, "wifi-drop") }, source: aidon() },
    recorder);
  try {
    assert.ok(await emu.advanceUntil(function () { return powerAfter(base, 0) >= 3; }, 2 * MINUTE));
    await emu.advance(5 * MINUTE - emu.clock.now);
    const dropAt = emu.clock.now;
    emu.wifi.drop(10 * MINUTE);
    await emu.advance(10 * MINUTE);
    const backAt = emu.clock.now;
    assert.equal(powerAfter(base, dropAt + 1000), 0, "published while the access point was away");
    assert.equal(emu.wifi.state.associated, false, "associated again without the access point");
    assert.ok(emu.wifi.state.attempts >= 3, "the firmware did not keep trying to reconnect");
    assert.equal(emu.net.stats.open, 0, "a socket outlived the association");

    assert.ok(await emu.advanceUntil(function () {
      return powerAfter(base, backAt) >= 3 && recorder.on(base + "/energy").length >= 1;
    }, 5 * MINUTE), "no readings after the access point came back; console:\n" + emu.console.text());
    const energy = recorder.on(base + "/energy")[0];
    const payload = JSON.parse(energy.payload);
    assert.equal(payload.hour_end, "2024-01-15T00:00:00Z");
    const madeAt = Date.parse(payload.ts) - START;
    assert.ok(madeAt > dropAt && madeAt < backAt, "energy not made during the outage: " + payload.ts);
    assert.ok(energy.at > backAt, "energy arrived before the outage ended");
    healthy(emu);
  } finally {
    emu.close();
  }
});

test("the configuration names a network that is not in reach: the device keeps trying and reads the meter, and the " +
  "emulator says why", async function () {
  const emu = emulate({ startMs: START, wifi: { ssid: "han-test", password: "secret" },
    files: { "han.json": deviceConfig(broker().port, "no-ap", { wifi: { ssid: "cabin" } }) },
    source: aidon() });
  try {
    await emu.advance(5 * MINUTE);
    assert.equal(emu.wifi.state.connects, 0);
    assert.ok(emu.wifi.state.attempts >= 3, "the firmware gave up: " + emu.wifi.state.attempts + " attempt(s)");
    assert.deepEqual(emu.notes, ["Wi-Fi does not connect: no network \"cabin\" in reach: the emulated access point " +
      "is \"han-test\" (the emulator's wifi option; npm run emulate -- --wifi-ssid)"]);
    assert.ok(emu.console.has("HAN: 2400 baud, parity even works"));
    healthy(emu);
  } finally {
    emu.close();
  }
});

test("broker stopped for 2 minutes and started again on the same port: the device reconnects by itself", async function () {
  const own = await startAedes();
  const watcher = new Recorder();
  await watcher.start(own.port, ["han/#"]);
  const base = "han/broker-restart";
  const emu = emulate({ startMs: START, files: { "han.json": deviceConfig(own.port, "broker-restart") }, source: aidon() },
    watcher);
  try {
    assert.ok(await emu.advanceUntil(function () { return powerAfter(base, 0, watcher) >= 3; }, 2 * MINUTE));
    await own.stop();
    await emu.advance(2 * MINUTE);
    await own.start();
    await watcher.connected();
    const restartedAt = emu.clock.now;
    assert.ok(await emu.advanceUntil(function () {
      const diag = watcher.json(base + "/diag");
      return powerAfter(base, restartedAt, watcher) >= 3 && diag.length > 0 &&
        (diag[diag.length - 1].mqtt_reconnects as number) >= 1;
    }, 5 * MINUTE), "no readings after the broker came back; console:\n" + emu.console.text());
    assert.ok(emu.net.stats.opened >= 3, "reconnected without new connections?");
    healthy(emu);
  } finally {
    emu.close();
    await watcher.stop();
    await own.dispose();
  }
});

test("noise and frames cut short on the HAN line are counted, and decoding goes on", async function () {
  const base = "han/line-noise";
  const source = withFaults(aidon());
  const rng = createRng(5);
  const noise = new Uint8Array(300);
  for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(rng() * 256);
  source.inject(61300, noise);
  source.inject(95300, noise.subarray(0, 120));
  source.truncate(120000, 3, 25);
  const emu = emulate({ startMs: START, files: { "han.json": deviceConfig(broker().port, "line-noise") }, source: source },
    recorder);
  try {
    await emu.advance(4 * MINUTE);
    assert.ok(await emu.advanceUntil(function () {
      const d = recorder.json(base + "/diag");
      return d.length >= 4;
    }, 2 * MINUTE));
    const diag = lastDiag(base);
    assert.ok((diag.bytes_dropped as number) > 0, "noise not counted: " + JSON.stringify(diag));
    assert.ok((diag.crc_errors as number) + (diag.length_errors as number) >= 3, "cut frames not counted: " +
      JSON.stringify(diag));
    assert.equal(diag.serial_locked, true);
    assert.ok(powerAfter(base, 130000) >= 20, "decoding stopped after the faults");
    healthy(emu);
  } finally {
    emu.close();
  }
});

test("the line is 8E1 but Storage says 8N1: the ESP32 delivers the bytes all the same, and the device keeps 8N1",
  async function () {
    const base = "han/parity-kept";
    const emu = emulate({
      startMs: START,
      files: { "han.json": deviceConfig(broker().port, "parity-kept"),
        "han.serial": JSON.stringify({ baud: 2400, parity: "none" }) },
      source: aidon(),
    }, recorder);
    try {
      assert.ok(await emu.advanceUntil(function () { return powerAfter(base, 0) >= 3; }, MINUTE),
        "no readings at 8N1; console:\n" + emu.console.text());
      assert.ok(await emu.advanceUntil(function () { return emu.console.has("HAN: 2400 baud, parity none works"); },
        MINUTE), emu.console.text());
      assert.equal(emu.serial.setups.length, 1, "the setting was changed");
      assert.deepEqual(JSON.parse(emu.storage.read("han.serial") as string), { baud: 2400, parity: "none" });
      healthy(emu);
    } finally {
      emu.close();
    }
  });

test("a Kamstrup line (8N1) and Storage says 8E1: bytes arrive out of step, and the device finds 8N1 and stores it",
  async function () {
    const base = "han/parity-found";
    const emu = emulate({
      startMs: START,
      files: { "han.json": deviceConfig(broker().port, "parity-found"),
        "han.serial": JSON.stringify({ baud: 2400, parity: "even" }) },
      source: meterSource({ maker: "kamstrup", phases: 3, wires: 4, country: "NO", seed: seed++, startMs: START }),
    }, recorder);
    try {
      assert.equal(emu.serial.setups[0].settings.parity, "even", "did not start from the stored setting");
      assert.ok(await emu.advanceUntil(function () {
        return JSON.parse(emu.storage.read("han.serial") as string).parity === "none";
      }, 15 * MINUTE), "8N1 not found; console:\n" + emu.console.text());
      assert.ok(emu.serial.bytesDelivered > 0);
      assert.ok(emu.console.has("HAN: 2400 baud, parity none works"));
      const found = emu.clock.now;
      assert.ok(await emu.advanceUntil(function () { return powerAfter(base, found) >= 2; }, 2 * MINUTE));
      healthy(emu);
    } finally {
      emu.close();
    }
  });

/** Windows of the firmware's autodetection (lib/device.ts). */
const DETECT_WINDOW = 25000;
/** The settings whose frames are valid on each maker's line, as the ESP32 receives it. */
const WORKING: { [maker: string]: string[] } = {
  aidon: ["2400 even", "2400 none"], kaifa: ["2400 even", "2400 none"], kamstrup: ["2400 none"],
};

test("every maker, from every setting Storage may hold: the device settles on a working setting, within two " +
  "windows per setting tried, and stays there", async function (t) {
  const times: string[] = [];
  for (const maker of ["aidon", "kaifa", "kamstrup"] as const) {
    for (const start of CANDIDATES) {
      const emu = emulate({ startMs: START, files: { "han.serial": JSON.stringify(start) },
        source: meterSource({ maker: maker, phases: 3, wires: 4, country: "NO", seed: seed++, startMs: START }) });
      const what = maker + " from " + start.baud + " " + start.parity;
      try {
        const works = function (): string[] {
          return emu.console.lines.filter(function (l) { return l.indexOf(" works") >= 0; });
        };
        assert.ok(await emu.advanceUntil(function () { return works().length > 0; }, 15 * MINUTE),
          what + ": no setting found; console:\n" + emu.console.text());
        const lockedAt = emu.clock.now;
        const setting = works()[0].replace(/^HAN: (\d+) baud, parity (\w+) works$/, "$1 $2");
        assert.ok(WORKING[maker].indexOf(setting) >= 0, what + ": settled on " + setting);
        const tried = emu.serial.setups.length;
        assert.ok(lockedAt <= (2 * (tried - 1) + 1) * DETECT_WINDOW + 1000,
          what + ": " + lockedAt / 1000 + " s for " + tried + " setting(s)");
        await emu.advance(5 * MINUTE);
        assert.equal(emu.serial.setups.length, tried, what + ": moved on from a working setting");
        assert.equal(works().length, 1);
        assert.deepEqual(emu.storage.read("han.serial"), JSON.stringify({ baud: Number(setting.split(" ")[0]),
          parity: setting.split(" ")[1] }));
        healthy(emu);
        times.push(what + ": " + setting + " after " + lockedAt / 1000 + " s");
      } finally {
        emu.close();
      }
    }
  }
  t.diagnostic("autodetection: " + times.join("; "));
});

/** The device without a usable configuration: it says why on the console and still reads the meter. */
async function offline(files: { [name: string]: string }, expected: string): Promise<void> {
  const emu = emulate({ startMs: START, files: files, source: aidon() });
  try {
    await emu.advance(2 * MINUTE);
    assert.ok(emu.console.has(expected), "console lacks \"" + expected + "\":\n" + emu.console.text());
    assert.ok(emu.console.has("reading the meter without network"));
    // Autodetection locks only on valid frames: the decoder is at work.
    assert.ok(emu.console.has("HAN: 2400 baud, parity even works"), emu.console.text());
    assert.equal(emu.serial.setups.length, 1);
    assert.ok(emu.serial.bytesDelivered > 1000);
    assert.equal(emu.net.stats.opened, 0);
    assert.equal(emu.wifi.state.attempts, 0);
    healthy(emu);
  } finally {
    emu.close();
  }
}

test("no configuration in Storage: the console says so, and the meter is still decoded", async function () {
  await offline({}, "config error: no configuration: Storage file han.json is missing");
});

test("an invalid configuration: the console names the field, and the meter is still decoded", async function () {
  await offline({ "han.json": JSON.stringify({ wifi: { ssid: "home" }, mqtt: { url: "http://broker" } }) },
    "config error: mqtt.url: must be mqtt://host");
});
