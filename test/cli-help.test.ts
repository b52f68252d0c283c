// Every command in package.json's scripts answers --help with its usage, on standard output, and exit code 0,
// without doing anything else (no build, no benchmark, no question).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { runScript } from "./support/run-script";

const scripts = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as
  { scripts: { [name: string]: string } }).scripts;
/** A host command: one of this project's scripts, run by tsx. */
const HOST_COMMAND = /^tsx (scripts\/\S+\.ts)$/;
/** The tools that the other scripts chain, each of which answers --help itself. */
const TOOLS = ["tsc", "eslint", "node", "npm"];

test("every host command in package.json answers --help with its usage and exit code 0", async () => {
  const names = Object.keys(scripts).filter((name) => HOST_COMMAND.test(scripts[name]));
  assert.ok(names.length > 0);
  const runs = await Promise.all(names.map((name) =>
    runScript((HOST_COMMAND.exec(scripts[name]) as RegExpExecArray)[1], ["--help"])));
  names.forEach((name, i) => {
    const run = runs[i];
    const command = name === "start" ? "npm start" : "npm run (--silent )?" + name;
    assert.equal(run.code, 0, name + ": " + run.stderr);
    assert.match(run.stdout, new RegExp("^usage: " + command + "\\b"), name + " printed:\n" + run.stdout);
    assert.equal(run.stderr, "", name);
  });
});

test("the other scripts only chain tools that answer --help themselves", () => {
  for (const name of Object.keys(scripts).filter((n) => !HOST_COMMAND.test(scripts[n]))) {
    for (const step of scripts[name].split("&&")) {
      assert.ok(TOOLS.indexOf(step.trim().split(" ")[0]) >= 0, name + ": " + step);
    }
  }
});
