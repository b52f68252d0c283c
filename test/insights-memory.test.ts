// The insights on the real Espruino interpreter (ESP32's 12,000 variables), their code evaluated from Storage as a
// part is: the same readings give the same messages as in Node, the same discovery configs (and none for a name
// that only ends the entity table), and each feature's steady cost in variables is
// what stays in use while it runs, past a local midnight (daily files written) and two hours' closes; and what the
// code takes once evaluated.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { bundleForEspruino } from "../scripts/espruino/bundle";
import { runFromStorage } from "../scripts/real-espruino/bench-cpu";
import { locateInterpreter } from "../scripts/real-espruino/locate";
import { createInsights, InsightOptions } from "../lib/insights/index";
import { insightDiscovery, insightKeys } from "../lib/insights/discovery";

const END = "<<END>>";
const FEATURES = ["capacity", "voltage", "net", "consistency"];

/** The feed, the same in both: 21:30 to 00:40 UTC on 10-11 June 2026 (local midnight at 22:00 UTC), a list 2 every
 *  10 s with a power that steps every 7 minutes and a sag on L2, a list 3 10 s past each hour. Written as
 *  Espruino-ready source so that both run the very same function. */
const FEED = `function feed(ins, out) {
  var t0 = 1781127000000, reg = 5000000, last = null;
  for (var t = t0; t < t0 + 3 * 3600000 + 600000; t += 10000) {
    var p = 800 + 1500 * (Math.floor(t / 420000) % 3);
    var r = { list: 2, layout: "t", clock: null, obis: {}, meter: { id: "1", type: null, list_version: null, manufacturer: null },
      values: { active_power_import: p, active_power_export: 0, voltage_l1: 231, voltage_l2: (t / 60000) % 97 < 3 ? 203 : 229,
        voltage_l3: 230 } };
    var m = ins.onReading(r, t);
    for (var i = 0; i < m.length; i++) out[m[i].suffix] = m[i].payload;
    if (t % 3600000 === 10000) {
      r = { list: 3, layout: "t", clock: null, obis: {}, meter: r.meter,
        values: { active_power_import: p, active_energy_import: reg, active_energy_export: 0 } };
      m = ins.onReading(r, t + 300);
      for (var j = 0; j < m.length; j++) out[m[j].suffix] = m[j].payload;
    }
    reg += p * 10000 / 3600000;
  }
}`;

function options(on: string[]): InsightOptions {
  return { capacity: on.includes("capacity"), voltage: on.includes("voltage"), net: on.includes("net"),
    consistency: on.includes("consistency"), steps: [2, 5, 10, 15, 20, 25], nominal: 230, band: 10, maxPower: 50000 };
}

const SETS: string[][] = [[], ...FEATURES.map((f) => [f]), FEATURES];
const CONTEXT = { prefix: "homeassistant", base: "han/x", deviceId: "x", firmwareVersion: "0",
  meter: { id: "7359992890941742", type: null, list_version: null, manufacturer: null } };
/** Every entity, and names that are none: a feature's name, and one the table's last character begins. */
const NAMES = [...insightKeys(options(FEATURES)), "capacity", " x", "zz"];

test("on the real interpreter: the messages Node gives, and each feature's steady cost in variables",
  { timeout: 600000 }, async (t) => {
    const located = locateInterpreter();
    if (!located.found) {
      console.warn("test/insights-memory.test.ts: real-interpreter test SKIPPED: " + located.why);
      t.skip(located.why);
      return;
    }
    const code = bundleForEspruino(fileURLToPath(new URL("./support/insights-entry.ts", import.meta.url)));
    const script = [
      "process.memory(); var bare = process.memory().usage;",
      "eval(require('Storage').read('code.js'));",
      "process.memory(); var code = process.memory().usage - bare;",
      FEED,
      // Storage as the device's Platform gives it: files in flash, not variables.
      "var S = require('Storage'); var store = { readStore: function (n) { return S.read(n); }, " +
        "writeStore: function (n, x) { S.write(n, x); } };",
      "var sets = " + JSON.stringify(SETS.map(options)) + ";",
      "var ins = null, out = {}, results = [];",
      // The yardstick of the CPU budget (scripts/real-espruino/bench-cpu.ts), timed before each feed.
      "function yard() { var t = getTime(); for (var i=0;i<10000;i++){} return (getTime() - t) * 1000; }",
      "for (var k = 0; k < sets.length; k++) {",
      "  ['han.cap', 'han.volt', 'han.net', 'han.cons'].forEach(function (n) { S.erase(n); });",
      "  process.memory(); var before = process.memory().usage;",
      "  ins = __ins.createInsights(sets[k], store); out = {}; var y = yard(), t0 = getTime(); feed(ins, out);",
      "  var ms = (getTime() - t0) * 1000;",
      // What the feed kept of the messages is the test's, not the insights'.
      "  process.memory(); var after = process.memory().usage - E.getSizeOf(out);",
      "  results.push({ cost: after - before, out: out, ms: ms, yard: y }); ins = null; out = null; }",
      "var names = " + JSON.stringify(NAMES) + ", ctx = " + JSON.stringify(CONTEXT) + ";",
      "var configs = names.map(function (n) { return __ins.insightDiscovery(ctx, n); });",
      "var keys = __ins.insightKeys(sets[sets.length - 1]);",
      "print('<<JSON>>' + JSON.stringify({ code: code, results: results, configs: configs, keys: keys }));",
      "print('" + END + "');",
    ].join("\n");
    const output = await runFromStorage(located.found, code, [], script, END);
    const measured = JSON.parse(output.slice(output.indexOf("<<JSON>>") + 8, output.indexOf(END)).trim()) as
      { code: number; results: { cost: number; out: { [suffix: string]: string }; ms: number; yard: number }[];
        configs: unknown[]; keys: string[] };
    const results = measured.results;
    const feed = new Function("return " + FEED)() as (ins: unknown, out: { [suffix: string]: string }) => void;
    for (let k = 0; k < SETS.length; k++) {
      const files: { [name: string]: string } = {};
      const node: { [suffix: string]: string } = {};
      feed(createInsights(options(SETS[k]), { readStore: (n) => files[n], writeStore: (n, x) => { files[n] = x; } }), node);
      assert.deepEqual(results[k].out, node, "the same messages with " + (SETS[k].join(", ") || "none"));
    }
    assert.ok(Object.keys(results[SETS.length - 1].out).length >= 7, "every kind of message came");
    assert.deepEqual(measured.keys, insightKeys(options(FEATURES)));
    assert.deepEqual(measured.configs, NAMES.map((n) => insightDiscovery(CONTEXT, n)));
    assert.deepEqual(measured.configs.slice(-3), [null, null, null]);
    // The CPU each adds per reading: its feed less the feed with none (which builds the same readings), in
    // yardsticks.
    let readings = 0;
    feed({ onReading: () => { readings++; return []; } }, {});
    const cpu = (k: number) => (results[k].ms - results[0].ms) / readings / ((results[k].yard + results[0].yard) / 2);
    const costs = SETS.map((s, k) => (s.join("+") || "none") + " " + results[k].cost + (k ? " (CPU " +
      cpu(k).toFixed(4) + ")" : ""));
    const all = results[SETS.length - 1];
    const figures = "code evaluated from Storage " + measured.code + " variables; steady: " + costs.join(", ") +
      "; CPU per reading in yardsticks (" + readings + " readings; all four " +
      ((all.ms - results[0].ms) / readings).toFixed(2) + " ms each here, yardstick " + all.yard.toFixed(0) + " ms)";
    t.diagnostic(figures);
    console.log("insights: " + figures);
    // Bounded: nothing in them grows with time, and all four together stay within a few hundred.
    assert.ok(results[SETS.length - 1].cost < 600, costs.join(", "));
  });
