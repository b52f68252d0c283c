// Regular expressions in device code: Espruino's engine lacks most of what Node's has and fails quietly (no
// match), and its lexer ends a literal at a `/` inside `[...]` (the script fails to load). The lint and the
// bundle check refuse every feature it lacks (scripts/espruino/regex-support.js); every regex literal left in the
// firmware bundle is run in the real interpreter and must answer as Node does.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { parse } from "acorn";
import { simple } from "acorn-walk";
import { ESLint } from "eslint";
import { checkBundle } from "../scripts/check-bundle";
import { firmwareBundle } from "./support/emulated-device";
import { END, RESULT, espruinoMissing, resultOf, runOnEspruino } from "./support/espruino-run";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const missing = espruinoMissing("espruino-regex.test.ts");

/** The configuration patterns as they were before they became code: the first ended its literal early on
 *  Espruino (a syntax error, nothing booted), and `?` and the quantified group made every URL fail. */
const OLD_SCHEMA = [
  "export const url = /^mqtts?:\\/\\/[^\\s/:]+(:[0-9]+)?\\/?$/;",
  "export const escaped = /^mqtts?:\\/\\/[^\\s\\/:]+(:[0-9]+)?\\/?$/;",
  "export const topic = /^[^#+\\s]+[^/#+\\s]$/;",
];

const UNSUPPORTED: [string, RegExp][] = [
  ["/^a?b$/", /\? quantifier/],
  ["/a+?/", /\? quantifier/],
  ["/a{2}/", /numeric quantifier/],
  ["/a{2,}/", /numeric quantifier/],
  ["/^(ab)+$/", /a group/],
  ["/^a(b|c)d$/", /a group/],
  ["/a(?=b)/", /lookahead/],
  ["/(?<!a)b/", /lookbehind/],
  ["/(a)\\1/", /a group/],
  ["/a\\1/", /back-reference/],
  ["/\\bword/", /word boundary/],
  ["/[^/]/", /unescaped \/ inside/],
  ["/a/s", /flag s/],
  ["/a/y", /flag y/],
  ["/\\u0041/", /escape \\u/],
];

const SUPPORTED = ["/^0x/i", "/[\\s:]/g", "/^[0-9a-fA-F]*$/", "/[^A-Za-z0-9]/g", "/_t[0-9]+$/", "/^l[1-3]$|^t[0-9]+$/",
  "/[-:.]/", "/a\\/b/", "/[\\/]/", "/\\d+\\.\\d*/", "/x$/m", "/\\{/"];

describe("the lint refuses what Espruino's regular expressions lack", () => {
  const eslint = new ESLint({ cwd: ROOT });
  const probe = join(ROOT, "lib", "espruino-lint-probe.ts");
  async function regexMessages(code: string): Promise<string[]> {
    const results = await eslint.lintText(code, { filePath: probe, warnIgnored: true });
    return results[0].messages.filter((m) => m.ruleId === "espruino/regex").map((m) => m.message);
  }

  test("the configuration schema's old patterns are reported, each of them", async () => {
    for (const line of OLD_SCHEMA) assert.equal((await regexMessages(line + "\n")).length, 1, line);
    assert.match((await regexMessages(OLD_SCHEMA[2] + "\n"))[0], /unescaped \/ inside \[\.\.\.\] .*fails to load/);
  });

  for (const [literal, message] of UNSUPPORTED) {
    test(literal, async () => {
      const found = await regexMessages("export const r = " + literal + ";\n");
      assert.equal(found.length, 1, literal + ": " + JSON.stringify(found));
      assert.match(found[0], message);
    });
  }

  test("RegExp(\"...\") with a literal string is checked as well", async () => {
    assert.equal((await regexMessages("export const r = new RegExp(\"a?\");\n")).length, 1);
    assert.equal((await regexMessages("export const r = RegExp(\"a\", \"u\");\n")).length, 1);
  });

  test("what Espruino matches as Node does passes", async () => {
    for (const literal of SUPPORTED) assert.deepEqual(await regexMessages("export const r = " + literal + ";\n"), [], literal);
  });

  test("lib/ and firmware/ have no regular expression the engine lacks", async () => {
    const results = await eslint.lintFiles(["lib", "firmware"]);
    const found = results.flatMap((r) => r.messages.filter((m) => m.ruleId === "espruino/regex")
      .map((m) => r.filePath + ":" + m.line + " " + m.message));
    assert.deepEqual(found, []);
  });
});

describe("the bundle check refuses the same", () => {
  test("the old schema patterns, in a bundle", () => {
    for (const line of OLD_SCHEMA) {
      const code = line.replace("export const", "var");
      assert.ok(checkBundle(code).some((v) => /regular expressions with/.test(v.message)), code);
    }
  });

  test("every unsupported feature, and none of the supported ones", () => {
    for (const [literal, message] of UNSUPPORTED) {
      assert.ok(checkBundle("var r=" + literal + ";").some((v) => message.test(v.message)), literal);
    }
    for (const literal of SUPPORTED) assert.deepEqual(checkBundle("var r=" + literal + ";"), [], literal);
  });
});

/** Every regex literal in a script, as source text. */
function regexLiterals(code: string): string[] {
  const found: string[] = [];
  simple(parse(code, { ecmaVersion: "latest", sourceType: "script" }), {
    Literal(node) {
      const regex = (node as { regex?: { pattern: string; flags: string } }).regex;
      if (regex && found.indexOf("/" + regex.pattern + "/" + regex.flags) < 0) found.push("/" + regex.pattern + "/" + regex.flags);
    },
  });
  return found;
}

const SAMPLES = ["", "a", "ab", "b", "0x1A:2b 3C", "0XFF", "7c9ebd4a-2f18", "esp32-7c:9e:bd", "1-0:1.7.0.255",
  "active_energy_import_t12", "voltage_l2", "l1", "l4", "t7", "T12", "mqtt://host:1883/", "a/b/", "x y\tz\nw", "{}",
  "\u00c6\u00d8\u00c5", "deadBEEF"];

/** Per regex: for each sample, test() and replace() with "#" and split(), as one JSON-able array. */
function probeSource(literals: string[]): string {
  // ASCII source: the interpreter's command line would carry other characters as UTF-8 bytes.
  const samples = JSON.stringify(SAMPLES).replace(/[^\x20-\x7e]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  return "var samples=" + samples + ";var out=[];" +
    // Espruino's split() of an empty string by a regex that matches it never ends (it runs out of memory); the
    // firmware splits no string by a regex, so that one case is left out.
    "[" + literals.join(",") + "].forEach(function(re){var r=[];samples.forEach(function(s){re.lastIndex=0;" +
    "r.push([re.test(s),s.replace(re,'#'),s===''?[]:s.split(re)]);});out.push(r);});";
}

function inNode(literals: string[]): unknown {
  return JSON.parse(JSON.stringify(new Function(probeSource(literals) + "return out;")()));
}

async function onEspruino(literals: string[]): Promise<unknown> {
  return resultOf(await runOnEspruino(probeSource(literals) + "print(" + JSON.stringify(RESULT) +
    "+JSON.stringify(out));print(" + JSON.stringify(END) + ");"));
}

describe("every regex literal in the firmware bundle, in the real interpreter", () => {
  const literals = regexLiterals(firmwareBundle());

  test("the bundle's regular expressions answer as in Node", { skip: missing ? "SKIPPED: " + missing : false },
    async () => {
      assert.ok(literals.length > 0, "the bundle has regular expressions to try");
      const espruino = await onEspruino(literals) as unknown[];
      const node = inNode(literals) as unknown[];
      literals.forEach((literal, i) => assert.deepEqual(espruino[i], node[i], literal));
    });

  test("the comparison sees a difference where there is one (/^a?b$/, /^(ab)+$/)",
    { skip: missing ? "SKIPPED: " + missing : false }, async () => {
      const unsupported = ["/^a?b$/", "/^(ab)+$/"];
      const espruino = await onEspruino(unsupported) as unknown[];
      const node = inNode(unsupported) as unknown[];
      unsupported.forEach((literal, i) => assert.notDeepEqual(espruino[i], node[i], literal));
    });
});
