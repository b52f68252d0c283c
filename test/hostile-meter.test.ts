// A meter that lies, on the emulated ESP32 with the firmware bundle and a real broker: an id made of what MQTT
// topics must not hold, and a meter that invents new tariff registers in every frame. The device keeps
// publishing power at the meter's pace, and what it keeps and retains stays bounded (docs/mqtt.md, Payload keys
// and Text from the meter).
import { test } from "node:test";
import assert from "node:assert/strict";
import { meterLine, meterSource, type ByteSource, type Emulator } from "../scripts/emulator/index";
import type { Transmission } from "../scripts/emulator/line";
import { AxdrWriter } from "../scripts/sim/axdr-writer";
import { dataNotification } from "../scripts/sim/notification-writer";
import { hdlcFrame, llcPayload } from "../scripts/sim/hdlc-writer";
import { mosquittoMissing, startAedes, startMosquitto, type Broker } from "./support/brokers";
import { deviceConfig, emulate, Recorder } from "./support/emulated-device";
import { diagnosticKeys } from "../lib/publish/discovery";
import { insightKeys } from "../lib/insights/discovery";

const MINUTE = 60000;
const START = Date.UTC(2024, 0, 15, 12, 0, 0);
/** The most value keys the publisher admits (lib/publish/publisher.ts, Keys.MAX). */
const KEY_CAP = 48;

/** mosquitto where it is installed: it disconnects a client that publishes to a topic with "+", "#", NUL or
 *  bytes that are not UTF-8, which aedes may let pass. */
async function strictBroker(): Promise<Broker> {
  const missing = mosquittoMissing();
  if (missing === null) return startMosquitto();
  console.log("hostile-meter.test.ts: mosquitto missing (" + missing + "); using aedes, which is more lenient");
  return startAedes();
}

async function withDevice(deviceId: string, source: ByteSource,
  run: (emu: Emulator, recorder: Recorder, broker: Broker) => Promise<void>): Promise<void> {
  const broker = await strictBroker();
  const recorder = new Recorder();
  await recorder.start(broker.port, ["han/#", "homeassistant/#"]);
  const emu = emulate({ startMs: START, files: { "han.json": deviceConfig(broker.port, deviceId) }, source }, recorder);
  try {
    await run(emu, recorder, broker);
    assert.deepEqual(emu.console.uncaught, [], emu.console.text());
    assert.deepEqual(emu.resets, []);
  } finally {
    emu.close();
    await recorder.stop();
    await broker.dispose();
  }
}

/** Power messages the device made at or after virtual ms `since` (by their time stamp). */
function powerSince(recorder: Recorder, base: string, since: number): number {
  return recorder.json(base + "/power").filter((p) => Date.parse(p.ts as string) >= START + since).length;
}

test("a meter id of \"/\", \"+\", \"#\", NUL and 0xFF: no topic carries it, and power goes out at the meter's pace",
  async () => {
    const sentAt: number[] = [];
    const source = meterSource({ maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 9, startMs: START,
      meterId: "12/../+/x#\u0000\u00ff", onFrame: (_frame, at) => { sentAt.push(at); } });
    await withDevice("odd-id", source, async (emu, recorder) => {
      await emu.advance(10 * MINUTE);
      // Every list of an Aidon carries active power: one power message per frame once the broker is reached.
      const from = 1 * MINUTE;
      const expected = sentAt.filter((at) => at >= from && at < 10 * MINUTE - 5000).length;
      await recorder.waitFor(() => powerSince(recorder, "han/odd-id", from) >= expected, expected + " power messages");
      // An entity for each of the 14 values of the 3-phase lists, and for each diagnostic.
      const configs = () => recorder.messages.filter((m) => m.topic.startsWith("homeassistant/"));
      await recorder.waitFor(() => configs().length >= 14 + diagnosticKeys().length, "every discovery config");
      for (const m of recorder.messages) {
        for (const level of m.topic.split("/")) assert.match(level, /^[A-Za-z0-9_-]+$/, JSON.stringify(m.topic));
      }
      assert.ok(configs().some((m) => m.topic.startsWith("homeassistant/sensor/han_meter_12______x_/")));
      assert.equal(JSON.parse(recorder.on("han/odd-id/meter")[0].payload).id, "12/../+/x#");
      const diag = recorder.json("han/odd-id/diag");
      assert.equal(diag[diag.length - 1].mqtt_reconnects, 0, "the broker never dropped the device");
    });
  });

/** A frame in Aidon's list shape: its identity, active power, and `invented` registers 1-0:C.D.E.255 that no
 *  frame before carried (E, the tariff, up to 255; C over the quantities and phases). */
function inventingFrame(frame: number, invented: number): Uint8Array {
  const body = new AxdrWriter().array(4 + invented);
  body.structure(2).obis([1, 1, 0, 2, 129, 255]).visibleString("AIDON_V0001");
  body.structure(2).obis([0, 0, 96, 1, 0, 255]).visibleString("7359992895913195");
  body.structure(2).obis([0, 0, 96, 1, 7, 255]).visibleString("6534");
  body.structure(3).obis([1, 0, 1, 7, 0, 255]).uint32(1500 + frame % 100).scalerUnit(0, 27);
  for (let k = 0; k < invented; k++) {
    const n = frame * invented + k;
    const c = [1, 2, 3, 4, 21, 22, 41, 42, 61, 62][n % 10];
    const energy = Math.floor(n / 10) % 2 === 0;
    body.structure(3).obis([1, 0, c, energy ? 8 : 7, 1 + Math.floor(n / 20) % 255, 255])
      .uint32(energy ? 1000000 + frame : 100).scalerUnit(0, energy ? 30 : 27);
  }
  const info = llcPayload(dataNotification(0x40000000, "none", null, body.bytes()));
  return hdlcFrame(info, 0, info.length, { destination: [0x20], source: [4, 65], control: 0x13 }, false);
}

test("a meter inventing tariff registers for 30 minutes: retained discovery configs and memory stay bounded, and " +
  "power goes out at the meter's pace", async () => {
  const EVERY = 2500;
  let next = 0;
  const source: ByteSource = {
    line: meterLine("aidon"),
    take: (untilMs: number): Transmission[] => {
      const out: Transmission[] = [];
      for (; next * EVERY <= untilMs; next++) out.push({ at: next * EVERY, bytes: inventingFrame(next, 6) });
      return out;
    },
    close: () => { /* nothing held */ },
    describe: () => "a meter inventing six registers in every frame",
  };
  await withDevice("inventor", source, async (emu, recorder) => {
    await emu.advance(10 * MINUTE);
    const early = emu.memory().usage;
    await emu.advance(20 * MINUTE);
    const late = emu.memory().usage;
    console.log("hostile-meter.test.ts: variables in use after 10 minutes " + early + ", after 30 minutes " + late +
      "; " + (next * 6) + " registers invented");
    assert.ok(late - early <= 60, "memory grew from " + early + " to " + late + " variables");
    const from = 1 * MINUTE;
    const expected = Math.floor((30 * MINUTE - 5000 - from) / EVERY);
    await recorder.waitFor(() => powerSince(recorder, "han/inventor", from) >= expected, expected + " power messages");
    // The broker retains one config per topic at most.
    const configs = new Set(recorder.messages.filter((m) => m.topic.startsWith("homeassistant/")).map((m) => m.topic));
    // The insights' entities (lib/insights/discovery.ts) are a fixed set, whatever the meter sends.
    const insights = insightKeys({ capacity: true, voltage: true, net: true, consistency: true }).length;
    assert.ok(configs.size <= KEY_CAP + diagnosticKeys().length + insights, configs.size + " retained discovery configs");
    assert.ok(configs.size > diagnosticKeys().length, "the first keys are announced");
    const diag = recorder.json("han/inventor/diag");
    assert.ok((diag[diag.length - 1].values_refused as number) > 1000, "the keys left out are counted");
  });
});
