// lib/ holds only code that runs on the device: the type check, the lint and the bundle check treat every file in
// it as device code, so a host-only module there would be held to rules it does not need (or, worse, pass as device
// code while never being checked on the device). Each file must therefore be an input of one of the two bundles
// built for Espruino: the firmware and the decoder the Espruino gate runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync, transformSync } from "esbuild";
import ts from "typescript";
import { ESPRUINO_BUILD_OPTIONS } from "../scripts/espruino/bundle";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ENTRIES = ["firmware/main.ts", "scripts/espruino/decoder-entry.ts"];

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = dir + "/" + entry.name;
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** Repository-relative paths (forward slashes) of every file esbuild read for the bundles. */
function bundleInputs(): Set<string> {
  const inputs = new Set<string>();
  for (const entry of ENTRIES) {
    const result = buildSync(Object.assign({}, ESPRUINO_BUILD_OPTIONS, {
      entryPoints: [entry], absWorkingDir: ROOT, write: false, metafile: true,
    }));
    for (const input of Object.keys(result.metafile!.inputs)) inputs.add(input);
  }
  return inputs;
}

/** The local modules a file imports, types included (esbuild drops type-only imports from the metafile). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), "utf8"), true, true);
  return info.importedFiles.map((f) => f.fileName).filter((name) => name.startsWith(".")).flatMap((name) => {
    const base = resolve(ROOT, dirname(file), name);
    const found = [base + ".ts", join(base, "index.ts")].find((candidate) => existsSync(candidate));
    return found ? [relative(ROOT, found).split(sep).join("/")] : [];
  });
}

/** Files reached from `start` by following imports of any kind. */
function reachable(start: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const queue = [...start].filter((f) => f.endsWith(".ts"));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...importsOf(file));
  }
  return seen;
}

function emitsCode(file: string): boolean {
  return transformSync(readFileSync(join(ROOT, file), "utf8"), { loader: "ts" }).code.trim() !== "";
}

test("every file in lib/ is part of the firmware bundle or the decoder bundle", () => {
  const inputs = bundleInputs();
  for (const entry of ENTRIES) assert.ok(inputs.has(entry), `${entry} is an input of its own bundle`);
  // Type-only modules (interfaces) leave nothing in a bundle; they belong to lib/ when bundled code imports them.
  const typed = reachable(inputs);
  const stray = filesUnder("lib").filter((file) => {
    if (inputs.has(file)) return false;
    // Ambient declarations for the device's own globals: the lib/ type check reads them, nothing runs.
    if (file.endsWith(".d.ts")) return false;
    return !typed.has(file) || emitsCode(file);
  });
  assert.deepEqual(stray, [], "host-only files in lib/ (move them under scripts/ or test/support/)");
});
