// Parts on the real Espruino interpreter (scripts/espruino/parts.ts, firmware/parts.ts): installed as npm run flash
// installs it, the firmware evaluates at boot the parts its boot needs (the stored configuration, the broker
// address) and no other: the config validation only when the configuration is unusable, the update receiver only
// at the first message on <base>/update; the update loader reads the firmware's script alone. Which ranges of the slot file the firmware reads tells: Storage is wrapped,
// from a boot file that runs before .bootcde, to record every read with the variables in use at that moment.
// Skips, saying why, without the interpreter.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { bootFirmware, type RealBoard, type StorageFile } from "../scripts/real-espruino/device";
import { buildFirmware, buildLoader, slotLayout } from "../scripts/build";
import { HEADER_BYTES, PARTS } from "../scripts/espruino/parts";
import { slotName } from "../lib/update/record";
import { validateConfig } from "../lib/config/validate";
import { deviceConfig, Recorder } from "./support/emulated-device";
import { espruinoMissing } from "./support/espruino-run";
import { INSTALLED, SECRET, updateBroker } from "./support/update-device";
import { askDiag, publishTo } from "./support/real-device";
import type { Broker } from "./support/brokers";

const missing = espruinoMissing("parts-real.test.ts");
const skip = missing ? "SKIPPED: " + missing : false;

/** Records each Storage.read as [name, offset, length, variables in use] in __reads. */
const READS: StorageFile = { name: ".boot1",
  data: "global.__reads=[];global.__S=require('Storage');Modules.addCached('Storage',function(){module.exports=" +
    "{read:function(n,o,l){__reads.push([n,o,l,process.memory().usage]);return __S.read(n,o,l);}," +
    "write:function(n,d,o,s){return __S.write(n,d,o,s);},erase:function(n){return __S.erase(n);}};});" +
    "__shimVars=process.memory().usage;" };

const build = buildFirmware();

/** Where each part lies in the slot file: its name, offset and length. */
function partRanges(): { name: string; at: number; length: number }[] {
  let at = HEADER_BYTES + (build.main as number) + 1;
  return (build.parts || []).map((p) => {
    const range = { name: p.name, at, length: p.bytes };
    at += p.bytes + 1;
    return range;
  });
}

type Read = [string, number | undefined, number | undefined, number];

/** The parts the firmware has read so far, by name, with the variables in use at each read. */
async function partsRead(board: RealBoard): Promise<{ name: string; usage: number }[]> {
  const reads = await board.evaluate("__reads.filter(function(r){return r[0]==='" + slotName(0) + "'&&r[2]>8;})") as Read[];
  const ranges = partRanges();
  // The loader's read of the firmware's script comes first: of the slot file, that and no more.
  ranges.push({ name: "the firmware's script", at: 0, length: HEADER_BYTES + (build.main as number) });
  return reads.map((r) => {
    const part = ranges.find((p) => p.at === r[1] && p.length === r[2]);
    return { name: part ? part.name : "an unknown range " + r[1] + "+" + r[2], usage: r[3] };
  });
}

let broker: Broker;
const recorder = new Recorder();

async function boot(config: string): Promise<RealBoard> {
  const installed: StorageFile[] = slotLayout(buildLoader().code, build.code, INSTALLED);
  installed.push(READS);
  return (await bootFirmware({ bundle: build.code, config, installed })).board;
}

describe("parts on the real interpreter", () => {
  before(async () => {
    if (missing) return;
    broker = await updateBroker("parts-real.test.ts");
    await recorder.start(broker.port, ["han/#"]);
  });

  after(async () => {
    if (missing) return;
    await recorder.stop();
    await broker.dispose();
  });

  test("the parts table names the modules the build makes parts of", () => {
    assert.deepEqual((build.parts || []).map((p) => p.name), PARTS.map((p) => p.name));
    assert.deepEqual(build.problems, []);
  });

  test("a valid configuration: boot evaluates the stored configuration, the broker address and the insights (on by " +
    "default), nothing else; the update receiver comes at the first update message, the commands at the first command", { skip, timeout: 120000 }, async () => {
    const id = "parts-ok";
    const board = await boot(deviceConfig(broker.port, id, { remote: { secret: SECRET } }));
    try {
      await recorder.waitFor(() => recorder.on("han/" + id + "/status").some((m) => m.payload === "online"),
        id + " online", 30000);
      const atBoot = await partsRead(board);
      assert.deepEqual(atBoot.map((p) => p.name), ["the firmware's script", "stored configuration", "config formats",
        "insights"]);
      const [code, now] = await board.inspect("[HAN_CODE_VARS-__shimVars,process.memory().usage-__shimVars]") as number[];
      await publishTo("mqtt://127.0.0.1:" + broker.port, "han/" + id + "/update", JSON.stringify({ op: "status", id: 7 }));
      await recorder.waitFor(() => recorder.on("han/" + id + "/update/state").some((m) => JSON.parse(m.payload).id === 7),
        "the answer to status", 20000);
      const after = await partsRead(board);
      assert.deepEqual(after.map((p) => p.name),
        ["the firmware's script", "stored configuration", "config formats", "insights", "update receiver"]);
      // The diag it answers with was published while the command was handled, before it was counted.
      assert.equal((await askDiag(recorder, "mqtt://127.0.0.1:" + broker.port, "han/" + id)).commands_refused, 0);
      assert.deepEqual((await partsRead(board)).map((p) => p.name).slice(5), ["remote commands"],
        "the remote commands part, read at the first command");
      console.log("parts-real: code " + code + " variables; " + atBoot[2].usage + " in use (less the stand-in's) when " +
        "the boot read its second part, the first still loaded; " + now + " once online");
    } finally {
      await board.stop();
    }
  });

  test("an invalid configuration: the same messages as ever, and the config validation part for the fallback",
    { skip, timeout: 120000 }, async () => {
      const config = { wifi: { ssid: "x" }, mqtt: { url: "ftp://nowhere" }, led: 99 };
      const errors = validateConfig(config).errors;
      assert.equal(errors.length, 2);
      const board = await boot(JSON.stringify(config));
      try {
        await board.waitForText(/reading the meter without network until the configuration is fixed/, 30000,
          "the fallback line");
        const said = board.consoleText.split(/\r?\n/).filter((l) => l.indexOf("config error: ") === 0);
        assert.deepEqual(said, errors.map((e) => "config error: " + e));
        assert.doesNotMatch(board.consoleText, /Uncaught/);
        assert.deepEqual((await partsRead(board)).map((p) => p.name),
          ["the firmware's script", "stored configuration", "config validation", "config formats", "insights"]);
      } finally {
        await board.stop();
      }
    });
});
