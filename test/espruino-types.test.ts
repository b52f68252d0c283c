// The device code is typed against firmware/espruino.d.ts, a narrow surface the emulator implements; this holds
// each of its functions to @types/espruino, the typings generated from the interpreter's reference.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkNarrowTypes, narrowMembers } from "../scripts/espruino/official-types";

const NARROW = fileURLToPath(new URL("../firmware/espruino.d.ts", import.meta.url));

test("every function of the narrow surface names its counterpart in @types/espruino, or why it has none", () => {
  const untagged = narrowMembers(readFileSync(NARROW, "utf8")).filter((m) => !m.tag);
  assert.deepEqual(untagged.map((m) => m.name), []);
});

test("each counterpart takes every call the narrow form allows and returns what it promises", () => {
  const wrong = checkNarrowTypes(NARROW).filter((v) => v.member.tag!.kind === "espruino" && v.error);
  assert.deepEqual(wrong.map((v) => v.member.name + ": " + v.error), []);
});

test("each declared difference from @types/espruino is still one, and says why", () => {
  const differs = checkNarrowTypes(NARROW).filter((v) => v.member.tag!.kind === "differs");
  assert.ok(differs.length > 0);
  for (const v of differs) {
    assert.ok(v.error, v.member.name + " now matches @types/espruino: drop its @espruino-differs");
    assert.match(v.member.tag!.value, /^\S+\s+\S.{10,}/, v.member.name + ": name the counterpart, then why");
  }
});

test("functions @types/espruino lacks name the interpreter's source file that documents them", () => {
  const untyped = checkNarrowTypes(NARROW).filter((v) => v.member.tag!.kind === "untyped");
  for (const v of untyped) assert.match(v.member.tag!.value, /^(src|libs|targets)\/\S+\.c\b/, v.member.name);
});

test("the check catches a narrow form wider than its counterpart", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "han-types-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "narrow.d.ts");
  writeFileSync(path, [
    "/** @espruino getTime */", "declare function getTime(): number;",
    "/** @espruino E.toUint8Array */", "declare function toBytes(data: string): string;",
    "interface S {", "  /** @espruino Serial#setConsole */", "  setConsole(force: string): void;", "}", "",
  ].join("\n"));
  const verdicts = checkNarrowTypes(path);
  assert.deepEqual(verdicts.map((v) => [v.member.name, v.error !== null]),
    [["getTime", false], ["toBytes", true], ["S.setConsole", true]]);
});
