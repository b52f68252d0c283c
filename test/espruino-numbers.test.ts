// Numbers as Espruino prints them, and as the device publishes them. The Espruino-shaped context (and so the
// emulator) prints like the interpreter: about 12 significant digits, 1e21 as "10e+20", a toFixed that does not
// carry. The payloads do not depend on that printer: every number is finite, rounded to 6 decimals and written
// digit by digit, and a value no double holds exactly (an integer beyond 2^53) is left out and counted
// (docs/mqtt.md, Numbers). Compared with the real interpreter when it is present.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { bundleForEspruino, runInEspruinoContext } from "../scripts/espruino/bundle";
import { createEspruinoContext, globalOf } from "../scripts/espruino/context";
import { END, RESULT, espruinoMissing, resultOf, runOnEspruino } from "./support/espruino-run";
import { publishValues, type Published } from "./support/payload-entry";

const missing = espruinoMissing("espruino-numbers.test.ts");
const skip = missing ? "SKIPPED: " + missing : false;

/** Numbers of the kinds the device handles: scaled readings (and their binary noise), counters, float registers,
 *  uint64 registers, and the edges of the printer. */
const NUMBERS = [0, -0, 1, -1, 7, 230.1, 2301 * 0.1, 230.1 * 3, 0.1 + 0.2, 1 / 3, 49.97999954223633, 12.345, 0.001,
  1.5e-7, 5e-324, 2147483647, 2147483648, 4294967295, 4294967296, 1234567.891234567, 12345678.91, 123456789.123,
  98765432109.876, 1e15 + 0.3, 9007199254740991, 9007199254740993, Math.pow(2, 63), Math.pow(2, 64) - 1, 1e20, 1e21,
  1e22, -1234.5, 0.96, 2.5, 99.995, NaN, Infinity, -Infinity];

/** The same numbers as exact doubles in a script: Espruino's own number parser is not exact. */
function numbersSource(values: number[]): string {
  const bytes = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => bytes.writeDoubleBE(v, i * 8));
  return "var dv=new DataView(E.toArrayBuffer(atob(" + JSON.stringify(bytes.toString("base64")) + ")));" +
    "var nums=[];for(var i=0;i<" + values.length + ";i++)nums.push(dv.getFloat64(i*8,false));";
}

const PRINTS = "nums.map(function(n){return [String(n),JSON.stringify([n]),n.toFixed(0),n.toFixed(1),n.toFixed(3)];})";

const STRUCTURES = "[{a:1,b:undefined,c:function(){},d:[undefined,null,NaN,1.5],e:new Uint8Array([1,255]),f:'\\u00e6\\n\\x01\"'," +
  "g:new Date(86400000),h:{i:true,j:-0}},'\\x7f\\x80\\xff',undefined,[function(){}],new Float32Array([0.1])]";

/** The completion value of `code` in a fresh context, as plain data of this realm. */
function inContext(code: string): unknown {
  return JSON.parse(JSON.stringify(runInEspruinoContext(code, createEspruinoContext())));
}

describe("the Espruino-shaped context prints numbers as Espruino does", () => {
  test("what the interpreter is known to print (../shared/docs/espruino.md)", () => {
    const context = createEspruinoContext();
    const printed = runInEspruinoContext("[JSON.stringify([1e21,0.1+0.2,1/3]),String(1234567.891234567)," +
      "(0.96).toFixed(1),JSON.stringify('\\u00e6')].join(' ')", context);
    assert.equal(printed, "[10e+20,0.3,0.33333333333] 1234567.89123456692 0.9 \"\\u00E6\"");
  });

  test("String(), JSON.stringify and toFixed of every kind of number, as in the real interpreter", { skip }, async () => {
    const espruino = resultOf(await runOnEspruino(numbersSource(NUMBERS) + "print(" + JSON.stringify(RESULT) +
      "+JSON.stringify(" + PRINTS + "));print(" + JSON.stringify(END) + ");"));
    const context = inContext(numbersSource(NUMBERS) + PRINTS) as string[][];
    // toFixed of numbers of 22 digits and more runs into the interpreter's x87 arithmetic (the Linux build);
    // the ESP32's doubles are IEEE, as the context's are.
    const comparable = (rows: string[][]) => rows.map((row, i) => Math.abs(NUMBERS[i]) >= 1e22 ? row.slice(0, 2) : row);
    assert.deepEqual(comparable(context), comparable(espruino as string[][]));
  });

  test("JSON.stringify of objects, arrays, strings, typed arrays and dates, as in the real interpreter", { skip },
    async () => {
      const espruino = resultOf(await runOnEspruino("print(" + JSON.stringify(RESULT) + "+JSON.stringify(" + STRUCTURES +
        ".map(function(x){return JSON.stringify(x);})));print(" + JSON.stringify(END) + ");"));
      const context = inContext(STRUCTURES + ".map(function(x){return JSON.stringify(x);})");
      assert.deepEqual(context, espruino);
    });
});

/** What the device publishes for a reading with these values: the messages, by topic. */
function runPublisher(where: "node" | "context", values: { [key: string]: number }):
  { messages: Published[]; refused: number } {
  if (where === "node") return publishValues([values]);
  const context = createEspruinoContext();
  runInEspruinoContext(PAYLOAD_BUNDLE(), context);
  const api = globalOf(context).__payloads as { publishValues: typeof publishValues };
  return JSON.parse(JSON.stringify(api.publishValues([values])));
}

let payloadBundle: string | null = null;
function PAYLOAD_BUNDLE(): string {
  if (payloadBundle === null) {
    payloadBundle = bundleForEspruino(fileURLToPath(new URL("./support/payload-entry.ts", import.meta.url)));
  }
  return payloadBundle;
}

/** Keys for the values above that a payload can carry, and the text expected for each: the value rounded to 6
 *  decimals, as Node writes it exactly. */
const READING: { [key: string]: number } = {
  voltage_l1: 2301 / 10, current_l1: 2301 * 0.1 * 3, frequency: 49.97999954223633, power_factor: 0.96,
  active_power_import: 12345.678, active_energy_import: 123456789.123, reactive_energy_import: 98765432109.876,
  active_energy_export: 9007199254740991, apparent_power_import: -1234.5, current_l2: 0.001,
  // left out, and counted:
  reactive_energy_export: Math.pow(2, 63), current_l3: NaN, voltage_l3: Infinity,
};

function expectedText(v: number): string {
  const text = v.toFixed(6);
  return text.indexOf(".") >= 0 ? text.replace(/\.?0+$/, "") : text;
}

describe("the device's payloads carry exact numbers, whatever the printer", () => {
  function check(result: { messages: Published[]; refused: number }): void {
    const instant = result.messages.filter((m) => m.topic === "han/p/instant").map((m) => m.payload);
    const energy = result.messages.filter((m) => m.topic === "han/p/energy").map((m) => m.payload);
    assert.equal(instant.length, 1);
    assert.equal(energy.length, 1);
    const texts: { [key: string]: string } = {};
    for (const payload of [instant[0], energy[0]]) {
      for (const part of payload.slice(1, -1).split(",")) {
        const colon = part.indexOf(":");
        texts[JSON.parse(part.slice(0, colon))] = part.slice(colon + 1);
      }
    }
    for (const key of Object.keys(READING)) {
      const v = READING[key];
      const publishable = isFinite(v) && Math.abs(v) < Math.pow(2, 53);
      assert.equal(texts[key], publishable ? expectedText(v) : undefined, key);
      const perValue = result.messages.filter((m) => m.topic === "han/p/" + key).map((m) => m.payload);
      assert.deepEqual(perValue, publishable ? [expectedText(v)] : [], key + " on its own topic");
    }
    assert.equal(result.refused, 3);
  }

  test("in Node", () => check(runPublisher("node", READING)));

  test("in the Espruino-shaped context, with Espruino's JSON.stringify", () => check(runPublisher("context", READING)));

  test("in the real interpreter", { skip }, async () => {
    const values = Object.keys(READING).map((k) => READING[k]);
    const code = PAYLOAD_BUNDLE() + numbersSource(values) + "var keys=" + JSON.stringify(Object.keys(READING)) +
      ";var r={};keys.forEach(function(k,i){r[k]=nums[i];});print(" + JSON.stringify(RESULT) +
      "+JSON.stringify(__payloads.publishValues([r])));print(" + JSON.stringify(END) + ");";
    check(resultOf(await runOnEspruino(code)) as { messages: Published[]; refused: number });
  });
});
