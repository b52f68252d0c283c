// The emulator's memory estimate (scripts/emulator/memory.ts) against the real interpreter, issue 8: the emulator
// tells the truth about the variables the firmware takes.
// - What single constructs cost, measured on Espruino 2v29 with 14-byte variables and the code run from Storage, is
//   pinned here: the emulator must give each figure, so that the model cannot drift; where the interpreter is, it
//   must give each figure too, so that the pins cannot go stale.
// - The firmware bundle, with one configuration and the same meter frames, on both: the variables its code takes
//   (HAN_CODE_VARS, read by the firmware at the start of boot) and what it holds in steady work, after frames and
//   MQTT traffic, agree within 10 %. Both are taken above an empty interpreter: on the bench board that leaves out
//   the stand-in hardware of `.boot0`, and the console's own variables when the figure is read there.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, meterLine, type ByteSource, type Emulator } from "../scripts/emulator/index";
import { EMPTY_INTERPRETER_VARS } from "../scripts/emulator/memory";
import { RealBoard } from "../scripts/real-espruino/device";
import { MeterSimulator, type MeterOptions, type SentFrame } from "../scripts/sim/meter";
import { startAedes, type Broker } from "./support/brokers";
import { deviceConfig, firmwareBundle, Recorder } from "./support/emulated-device";
import { espruinoMissing } from "./support/espruino-run";
import { bootReal, cameOnline } from "./support/real-device";

const missing = espruinoMissing("emulator-memory.test.ts");
/** Each interpreter test skips, saying why, without it. */
const skip = missing ? "SKIPPED: " + missing : false;

/** Variables of each construct on Espruino 2v29 (14-byte variables, code from Storage), as CONSTRUCTS measures
 *  them: usage after making it less usage before, less the array element that keeps it. */
const PINNED: { what: string; make: string; vars: number }[] = [
  { what: "an empty object", make: "{}", vars: 1 },
  { what: "an object with three small integers", make: "{a:1,b:2,c:3}", vars: 4 },
  { what: "an object with an 11-character name", make: "{abcdefghijk:1}", vars: 3 },
  { what: "an object with a 20-character name", make: "{abcdefghijklmnopqrst:1}", vars: 4 },
  { what: "an object with a float, booleans, null, undefined and integers past the inline range",
    make: "{a:1.5,b:true,c:null,d:undefined,e:70000,f:-8192,g:8192}", vars: 13 },
  { what: "an empty string", make: "text(0)", vars: 1 },
  { what: "a string of 9 characters", make: "text(9)", vars: 1 },
  { what: "a string of 10 characters", make: "text(10)", vars: 2 },
  { what: "a string of 25 characters", make: "text(25)", vars: 3 },
  { what: "a string of 100 characters", make: "text(100)", vars: 11 },
  { what: "an array of three integers", make: "[1,2,3]", vars: 4 },
  { what: "an array of two short strings", make: "['ab','cd']", vars: 5 },
  { what: "an array of three booleans (an element's name holds one)", make: "[true,false,true]", vars: 4 },
  { what: "a function of two parameters made in a function", make: "adder()", vars: 10 },
  { what: "a closure holding its call's scope", make: "counter(5)", vars: 10 },
  { what: "an instance of a class with two properties", make: "new Point(1,2)", vars: 5 },
  { what: "a Uint8Array of 10 bytes", make: "new Uint8Array(10)", vars: 4 },
  { what: "a Uint8Array of 28 bytes", make: "new Uint8Array(28)", vars: 5 },
  { what: "a Uint8Array of 29 bytes (a flat string from here on)", make: "new Uint8Array(29)", vars: 6 },
  { what: "a Uint8Array of 1024 bytes", make: "new Uint8Array(1024)", vars: 77 },
  { what: "a pending setTimeout", make: "setTimeout(idle,1e6)", vars: 5 },
  { what: "a setInterval", make: "setInterval(idle,1e6)", vars: 7 },
];

/** The measuring program, shaped like the bundle (one strict function run where it is written). Each construct is
 *  made in a function of its own and kept in an array; the first round makes the built-ins used (Uint8Array, String)
 *  that Espruino sets up on first use. The usage is read into variables declared beforehand, since Espruino makes a
 *  variable only when its declaration runs. */
const CONSTRUCTS = [
  "\"use strict\";(()=>{",
  "var kept=[];function usage(){return process.memory().usage;}",
  "function measure(i,make){var before=0,after=0;before=usage();kept.push(make());after=usage();" +
    "print(\"@vars \"+i+\" \"+(after-before-1));}",
  "function adder(){return function(a,b){return a+b;};}",
  "function counter(n){var c=n;return function(){return c++;};}",
  "var Point=class{constructor(x,y){this.x=x;this.y=y;}sum(){return this.x+this.y;}};",
  "var idle=function(){};",
  "function text(n){var s=\"\";for(var i=0;i<n;i++)s+=String.fromCharCode(97+i%26);return s;}",
  "measure(-1,function(){return [new Uint8Array(1),text(1)];});",
].concat(PINNED.map(function (p, i) { return "measure(" + i + ",function(){return " + p.make + ";});"; }))
  .concat(["print(\"@end\");", "})();"]).join("\n");

const METER: Omit<MeterOptions, "startMs"> = { maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 21 };
const METER_START = Date.UTC(2024, 0, 15, 12, 0, 0);
/** The meter's frames of this long: list 1 every 2.5 s, list 2 every 10 s. */
const FRAMES_MS = 30000;
/** After the last frame: the readings published, discovery through. */
const SETTLE_MS = 15000;

interface Figures {
  code: number;
  steady: number;
  powers: number;
}

function meterFrames(): SentFrame[] {
  return new MeterSimulator(Object.assign({ startMs: METER_START }, METER)).advanceTo(METER_START + FRAMES_MS);
}

function percent(emulated: number, real: number): string {
  const p = (emulated - real) / real * 100;
  return (p >= 0 ? "+" : "") + p.toFixed(1) + " %";
}

function powersOf(recorder: Recorder, deviceId: string): number {
  return recorder.on("han/" + deviceId + "/power").length;
}

function delay(ms: number): Promise<void> {
  return new Promise(function (resolve) { setTimeout(resolve, ms); });
}

/** The firmware on a bench board, fed `frames` at the meter's pace once it is online; the figures above an empty
 *  interpreter come from a second board with the same stand-in hardware and nothing else. (The stand-in also sets
 *  up Serial2 and the module cache, some 15 variables the firmware pays for itself on an ESP32 and in the
 *  emulator.) */
async function onInterpreter(broker: Broker, recorder: Recorder, frames: SentFrame[]): Promise<Figures> {
  const id = "memory-real";
  const empty = await RealBoard.withStorage([{ name: ".bootcde", data: "global.AT_BOOT=process.memory().usage;" }], {});
  let emptyAtBoot: number;
  let emptyAtConsole: number;
  try {
    emptyAtBoot = await empty.poll("global.AT_BOOT", function (v) { return typeof v === "number"; }, 20000) as number;
    emptyAtConsole = (await empty.memory()).usage;
  } finally {
    await empty.stop();
  }
  const board = (await bootReal(JSON.parse(deviceConfig(broker.port, id)))).board;
  try {
    await recorder.waitFor(cameOnline(recorder, 0, "han/" + id), "status online", 20000);
    const code = await board.inspect("HAN_CODE_VARS") as number;
    const start = Date.now();
    for (const f of frames) {
      await delay(start + f.sentAt - METER_START - Date.now());
      await board.sendSerial(f.bytes);
    }
    await recorder.waitFor(function () { return powersOf(recorder, id) === frames.length; }, "the power readings",
      SETTLE_MS);
    await delay(SETTLE_MS);
    const steady = (await board.memory()).usage;
    return { code: code - emptyAtBoot, steady: steady - emptyAtConsole, powers: powersOf(recorder, id) };
  } finally {
    await board.stop();
  }
}

/** `frames` on the emulated line, from `offset` ms of virtual time on, at the meter's pace. */
function framesSource(frames: SentFrame[], offset: number): ByteSource {
  let next = 0;
  return {
    line: meterLine(METER.maker),
    take: function (untilMs: number) {
      const out = [];
      while (next < frames.length && offset + frames[next].sentAt - METER_START <= untilMs) {
        out.push({ at: offset + frames[next].sentAt - METER_START, bytes: frames[next].bytes });
        next++;
      }
      return out;
    },
    close: function () { /* nothing held */ },
    describe: function () { return frames.length + " simulated meter frames"; },
  };
}

async function onEmulator(broker: Broker, recorder: Recorder, frames: SentFrame[]): Promise<Figures> {
  const id = "memory-emulated";
  const online = cameOnline(recorder, 0, "han/" + id);
  // The frames begin after the device is online, as on the bench board.
  const offset = 10000;
  const emu: Emulator = createEmulator({ code: firmwareBundle(), source: framesSource(frames, offset),
    files: { "han.json": deviceConfig(broker.port, id) } });
  try {
    await emu.advanceUntil(online, offset);
    assert.ok(online(), "the emulated device is online before the frames");
    const code = emu.global().HAN_CODE_VARS as number;
    await emu.advance(offset + FRAMES_MS - emu.clock.now + SETTLE_MS);
    await recorder.waitFor(function () { return powersOf(recorder, id) === frames.length; }, "the power readings");
    assert.deepEqual(emu.console.uncaught, []);
    return { code: code - EMPTY_INTERPRETER_VARS, steady: emu.memory().usage - EMPTY_INTERPRETER_VARS,
      powers: powersOf(recorder, id) };
  } finally {
    emu.close();
  }
}

/** The figures CONSTRUCTS printed, by construct. */
function constructVars(output: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of output.matchAll(/@vars (-?\d+) (-?\d+)/g)) out.set(Number(m[1]), Number(m[2]));
  return out;
}

function assertPinned(measured: Map<number, number>, where: string): void {
  const wrong: string[] = [];
  PINNED.forEach(function (p, i) {
    if (measured.get(i) !== p.vars) wrong.push(p.what + ": " + measured.get(i) + ", pinned " + p.vars);
  });
  assert.deepEqual(wrong, [], where);
}

test("per construct, the emulator gives the variables measured on the interpreter", async () => {
  // Every process.memory() counts afresh (the firmware's estimate is otherwise reused for a while).
  const emu = createEmulator({ code: CONSTRUCTS, memoryRefreshMs: 0 });
  try {
    await emu.advance(100);
    assert.deepEqual(emu.console.uncaught, []);
    assertPinned(constructVars(emu.console.lines.join("\n")), "emulator");
  } finally {
    emu.close();
  }
});

describe("against the real interpreter", () => {
  test("per construct, the interpreter still gives the pinned figures", { skip: skip }, async () => {
    const board = await RealBoard.withStorage([{ name: ".bootcde", data: CONSTRUCTS }], {});
    try {
      await board.waitForText(/@end/, 30000, "the end of the measuring program");
      assertPinned(constructVars(board.consoleText), "interpreter");
    } finally {
      await board.stop();
    }
  });

  describe("the firmware, same configuration and frames", () => {
    let broker: Broker;
    const recorder = new Recorder();

    before(async () => {
      if (missing) return;
      broker = await startAedes();
      await recorder.start(broker.port, ["han/#", "homeassistant/#"]);
    });

    after(async () => {
      if (missing) return;
      await recorder.stop();
      await broker.dispose();
    });

    test("code alone and steady state agree within 10 %", { skip: skip, timeout: 240000 }, async (t) => {
      const frames = meterFrames();
      const real = await onInterpreter(broker, recorder, frames);
      const emulated = await onEmulator(broker, recorder, frames);
      const line = "emulator-memory: variables above an empty interpreter, emulator vs interpreter: code " +
        emulated.code + " vs " + real.code + " (" + percent(emulated.code, real.code) + "), steady " +
        emulated.steady + " vs " + real.steady + " (" + percent(emulated.steady, real.steady) + "), after " +
        frames.length + " frames";
      t.diagnostic(line);
      console.log(line);
      // The same work on both: every frame's power reading reached the broker.
      assert.equal(real.powers, frames.length, "interpreter: power messages");
      assert.equal(emulated.powers, frames.length, "emulator: power messages");
      assert.ok(Math.abs(emulated.code - real.code) <= real.code * 0.1, line);
      assert.ok(Math.abs(emulated.steady - real.steady) <= real.steady * 0.1, line);
    });
  });
});
