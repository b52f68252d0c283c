// The Espruino compatibility gate. The lint must catch each hazard in lib/, the bundle checker must catch each
// one in esbuild's output, and the bundled decoder must give, in a context trimmed to Espruino's built-ins,
// exactly what it gives in Node for every real capture.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { checkBundle, Violation } from "../scripts/check-bundle";
import { bundleForEspruino, runInEspruinoContext } from "../scripts/espruino/bundle";
import { createEspruinoContext, globalOf } from "../scripts/espruino/context";
import { decodeHexList, GateApi, GateOptions, GateResult } from "../scripts/espruino/decoder-entry";
import { loadVectors, framesOf, profileFor, isReadable, capturesSkip } from "./support/vectors";
import { framesOfEveryLayout } from "./support/layout-frames";
import { toHex } from "../lib/bytes";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const GATE_ENTRY = fileURLToPath(new URL("../scripts/espruino/decoder-entry.ts", import.meta.url));
const CHECK_BUNDLE = fileURLToPath(new URL("../scripts/check-bundle.ts", import.meta.url));

describe("the lint (eslint.config.js) reports each Espruino hazard in lib/", () => {
  const eslint = new ESLint({ cwd: ROOT });
  // Not written to disk: the path only selects the lib/ block of the configuration.
  const probePath = join(ROOT, "lib", "espruino-lint-probe.ts");

  async function lint(code: string): Promise<ESLint.LintResult["messages"]> {
    const results = await eslint.lintText(code, { filePath: probePath, warnIgnored: true });
    return results[0].messages;
  }

  const hazards: [string, string, string, RegExp][] = [
    ["destructuring", "export function f(o: { a: number }): number { const { a } = o; return a; }\n",
      "no-restricted-syntax", /destructuring/],
    ["a default parameter", "export function f(a = 1): number { return a; }\n", "no-restricted-syntax", /default/],
    ["spread", "export function f(a: number[]): number[] { return [0].concat([...a]); }\n",
      "no-restricted-syntax", /spread/],
    ["Map", "export const m = new Map<string, number>();\n", "no-restricted-globals", /Map does not exist/],
    ["Number.isFinite", "export const ok = Number.isFinite(1);\n", "no-restricted-properties",
      /Number\.isFinite does not exist/],
    ["a function used before its definition", "export const x = g();\nfunction g(): number { return 1; }\n",
      "@typescript-eslint/no-use-before-define", /'g'/],
    ["a closure in a loop", "export const fns: (() => number)[] = [];\nlet total = 0;\n" +
      "for (let i = 0; i < 3; i++) { total += i; fns.push(function () { return total; }); }\n",
    "no-loop-func", /total/],
    ["a regex quantifier {2}", "export const r = /a{2}/;\n", "espruino/regex", /numeric quantifier/],
  ];

  for (const [name, code, rule, message] of hazards) {
    test(name, async () => {
      const found = (await lint(code)).filter((m) => m.ruleId === rule && message.test(m.message));
      assert.equal(found.length, 1, `${rule} should report ${name} once`);
    });
  }

  test("clean code passes", async () => {
    const code = "export function add(a: number, b: number): number { return a + b; }\n" +
      "export const sum = add(1, 2);\nfor (let i = 0; i < 2; i++) add(i, i);\n";
    assert.deepEqual(await lint(code), []);
  });
});

describe("checkBundle rejects what Espruino cannot run", () => {
  const constructs: [string, string, RegExp][] = [
    ["default parameter", "function f(a=1){return a}", /default values/],
    ["rest parameter", "function f(...a){return a}", /rest parameters/],
    ["spread", "f(...a)", /spread/],
    ["destructuring", "var {a}=o", /destructuring/],
    ["array destructuring", "var [a]=o", /destructuring/],
    ["computed key", "x={[k]:1}", /computed object keys/],
    ["generator", "function*g(){yield 1}", /generators/],
    ["async", "async function h(){}", /async functions/],
    ["await", "async function h(){await p}", /await/],
    ["label", "a:for(;;){break a}", /labelled/],
    ["optional chaining", "a?.b", /optional chaining/],
    ["**", "a**2", /\*\* operator/],
    ["logical assignment", "a??=1", /logical assignment/],
    ["tagged template", "t`x`", /tagged templates/],
    ["new.target", "function F(){return new.target}", /new\.target/],
    ["private field", "class A{#x=1}", /#private/],
    ["class field", "class A{x=1}", /class fields/],
    ["class extends Error", "class E2 extends Error{}", /extending Error/],
    ["regex {n}", "/a{2}/", /numeric quantifier/],
    ["regex lookahead", "/a(?=b)/", /lookahead/],
    ["regex lookbehind", "/(?<=a)b/", /lookbehind/],
    ["Number.isFinite", "Number.isFinite(x)", /Number\.isFinite does not exist/],
    ["Number.EPSILON", "x<Number.EPSILON", /Number\.EPSILON does not exist/],
    ["Array.from", "Array.from(x)", /Array\.from does not exist/],
    ["Object.freeze", "Object.freeze(x)", /Object\.freeze does not exist/],
    [".flat()", "a.flat()", /\.flat\(\) does not exist/],
    [".at()", "a.at(-1)", /\.at\(\) does not exist/],
    [".finally()", "p.finally(f)", /\.finally\(\) does not exist/],
    ["Map", "new Map()", /Map does not exist/],
    ["Symbol", "o[Symbol.iterator]", /Symbol does not exist/],
    ["an unguarded alias of a missing static", "var s=Object.getOwnPropertySymbols;s(o)", /read into s/],
    ["a call before the declaration", "f();function f(){}", /Espruino does not hoist/],
    ["a closure over a for-let binding", "for(let i=0;i<2;i++)fs.push(function(){return i})", /for-let binding i/],
  ];

  for (const [name, code, message] of constructs) {
    test(name, () => {
      const violations = checkBundle(code);
      assert.ok(violations.some((v) => message.test(v.message)), `${code}: ${JSON.stringify(violations)}`);
    });
  }

  test("reports line, column and a snippet", () => {
    const violations = checkBundle("var a = 1;\nvar b = [1, 2].flat();\n");
    assert.deepEqual(violations, [
      { line: 2, column: 9, message: ".flat() does not exist on Espruino", snippet: "[1, 2].flat()" } as Violation,
    ]);
  });

  test("runs as a command: prints file:line:column of each violation and exits non-zero", () => {
    const dir = mkdtempSync(join(tmpdir(), "espruino-gate-"));
    try {
      writeFileSync(join(dir, "bad.js"), "var a = 1;\nvar b = Array.from(a);\n");
      writeFileSync(join(dir, "good.js"), "var a = [1].concat([2]);\n");
      const run = spawnSync(process.execPath, ["--import", "tsx", CHECK_BUNDLE, join(dir, "good.js"),
        join(dir, "bad.js")], { cwd: ROOT, encoding: "utf8" });
      assert.equal(run.status, 1);
      assert.match(run.stdout, /bad\.js:2:9: Array\.from does not exist on Espruino\n {4}Array\.from\n/);
      assert.doesNotMatch(run.stdout, /good\.js/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("common words and present APIs pass: property reads, Object.keys, String lastIndexOf, typeof guards", () => {
    const code = "var p=o.at;o.search=1;Object.keys(o);Object.values(o);Object.entries(o);s.lastIndexOf('a');" +
      "var m=typeof Map!=='undefined'?new Map():null;if(Number.isFinite)Number.isFinite(1);" +
      "var s2=Object.getOwnPropertySymbols;if(s2)s2(o);(function(Map){return new Map()});" +
      "for(let i=0;i<2;i++)a.forEach(function(x){b[i]=x});";
    assert.deepEqual(checkBundle(code), []);
  });

  test("an esbuild-lowered sample (class fields, ?., ??=, **, object spread, async-free helpers) is clean and runs",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "espruino-gate-"));
      try {
        const entry = join(dir, "sample.ts");
        writeFileSync(entry, [
          "import * as storage from \"Storage\";",
          "class Meter { id = \"m1\"; static count = 0; reads: number[] = []; total?: number;",
          "  add(v: number): this { Meter.count++; this.reads.push(v ** 2); return this; } }",
          "const m = new Meter().add(3).add(4);",
          "const base = { a: 1 } as { a: number; b?: { c: number } };",
          "let fallback: number | undefined;",
          "fallback ??= 7;",
          "const merged = { ...base, n: m.reads.length, c: base.b?.c ?? fallback };",
          "let text = \"\";",
          "for (const r of m.reads) text += `${r},`;",
          "const out = { merged, text, count: Meter.count, storage: storage.name };",
          "(globalThis as unknown as { out: unknown }).out = out;",
        ].join("\n"));
        const code = bundleForEspruino(entry);
        assert.deepEqual(checkBundle(code), []);
        const context = createEspruinoContext({ require: (name: string) => ({ name }) });
        runInEspruinoContext(code, context);
        assert.deepEqual(JSON.parse(JSON.stringify(globalOf(context).out)),
          { merged: { a: 1, n: 2, c: 7 }, text: "9,16,", count: 2, storage: "Storage" });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
});

describe("the bundled decoder in an Espruino-shaped context", () => {
  const code = bundleForEspruino(GATE_ENTRY);
  const json = (r: GateResult) => JSON.parse(JSON.stringify(r)) as GateResult;

  function deviceGate(): GateApi {
    const context = createEspruinoContext();
    runInEspruinoContext(code, context);
    return globalOf(context).__gate as GateApi;
  }

  test("the decoder bundle has no Espruino problems", () => {
    assert.deepEqual(checkBundle(code), []);
  });

  test("a frame of every layout the encoder writes decodes exactly as in Node, strings and Uint8Array alike", () => {
    const gate = deviceGate();
    for (const sample of framesOfEveryLayout(11)) {
      const hex = [toHex(sample.frame)];
      const label = `${sample.input.maker}/${sample.input.country}/list ${sample.input.list}/${sample.input.phases}p`;
      for (const input of ["string", "bytes"] as const) {
        const options: GateOptions = { input, chunk: 7, mode: "stream", scaling: { country: sample.input.country } };
        const device = json(gate.decodeHexList(hex, options));
        assert.deepEqual(device, json(decodeHexList(hex, options)), `${label} (${input})`);
        assert.deepEqual(device.readings.map((r) => r.values), [sample.expected.values], label);
      }
    }
  });

  const captures = { skip: capturesSkip(import.meta.url) };
  test("every HDLC and LLC capture decodes exactly as in Node, as binary strings and as Uint8Array", captures, () => {
    const gated = loadVectors().filter((v) => ["hdlc", "hdlc-multi", "llc"].indexOf(v.framing) >= 0);
    const gate = deviceGate();
    const decodedOnDevice = new Set<string>();
    let cases = 0;
    for (const v of gated) {
      for (const input of ["string", "bytes"] as const) {
        for (const chunk of [0, 7]) {
          const options: GateOptions = { input, chunk, mode: v.framing === "llc" ? "message" : "stream",
            scaling: profileFor(v) };
          const device = json(gate.decodeHexList(framesOf(v), options));
          assert.deepEqual(device, json(decodeHexList(framesOf(v), options)), `${v.id} (${input}, chunk ${chunk})`);
          if (device.readings.length > 0) decodedOnDevice.add(v.id);
          cases++;
        }
      }
    }
    assert.equal(cases, gated.length * 4);
    // Not vacuous: the device-shaped run reads every capture the decoder supports.
    const readable = gated.filter(isReadable).map((v) => v.id);
    assert.ok(readable.length > 30);
    assert.deepEqual(readable.filter((id) => !decodedOnDevice.has(id)), []);
  });
});
