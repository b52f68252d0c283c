// The firmware build: a bundle Espruino can run (no construct it lacks, ASCII only, mangled names that stay out of
// the way of JSON keys), and a hard cap on its size (Espruino cannot boot a longer .bootcde) that fails the build, and so start and flash, when exceeded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runScript } from "./support/run-script";
import vm from "node:vm";
import { resolve } from "node:path";
import { buildFirmware, BUNDLE_CAP_BYTES, refusesBuild } from "../scripts/build";
import { HEADER_BYTES, PARTS, exportedFunctions, scriptEnd } from "../scripts/espruino/parts";

const build = buildFirmware(Number.MAX_SAFE_INTEGER);

test("the firmware bundle has no construct Espruino lacks and is plain ASCII", () => {
  assert.deepEqual(build.problems, []);
  assert.ok(build.bytes > 10000);
  // The keys Home Assistant and consumers read must survive the shortening of private names.
  for (const key of ["uniq_id", "stat_t", "ids", "active_power_import", "bytes_dropped", "hour_end", "serial_tried"]) {
    assert.ok(build.code.includes(key), key);
  }
});

test("the bundle cap is the longest native string Espruino holds (65,535 bytes); today's script and each part are " +
  "under it, and `npm run build` says each one's size and succeeds", async () => {
  assert.equal(BUNDLE_CAP_BYTES, 65535);
  assert.ok((build.main as number) < BUNDLE_CAP_BYTES, build.main + " bytes");
  assert.deepEqual((build.parts || []).map((p) => p.name), PARTS.map((p) => p.name));
  for (const p of build.parts || []) assert.ok(p.bytes > 1000 && p.bytes < BUNDLE_CAP_BYTES, p.name + ": " + p.bytes);
  const r = await runScript("scripts/build.ts", []);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.match(lines[0], /^dist\/firmware\.js: \d+ bytes \([\d.]+ KB of the 64 KB cap\), the firmware's script$/);
  PARTS.forEach((p, i) => {
    assert.match(lines[1 + i], new RegExp("^  part " + p.name + ": \\d+ bytes \\([\\d.]+ KB of the 64 KB cap\\)$"));
  });
  assert.match(lines[1 + PARTS.length], /^  slot file: \d+ bytes \(the script, its parts and a 12-byte header\)$/);
  assert.match(r.stdout, /\ndist\/loader\.js: \d+ bytes \(the update loader, \.bootcde\)\n$/);
  assert.equal(r.stderr, "");
});

test("a script or a part over the cap is a build problem, and every tool refuses it in the same words", (t) => {
  const parts = build.parts || [];
  const largest = Math.max(...parts.map((p) => p.bytes));
  // A cap the largest part alone exceeds, of the parts: the script, larger, is over it too.
  const cap = largest - 1;
  const small = buildFirmware(cap);
  const kb = (n: number) => Number((n / 1024).toFixed(1)) + " KB";
  const over = (what: string, n: number) => `${what}: ${n} bytes (${kb(n)}), over the ${kb(cap)} cap`;
  const overParts = (small.parts || []).filter((p) => p.bytes > cap);
  assert.ok(overParts.length > 0 && overParts.length < parts.length, "one part over the cap, one under it");
  assert.deepEqual(small.problems, [over("the firmware's script", small.main as number)].concat(
    overParts.map((p) => over("part " + p.name, p.bytes))));
  const said: string[] = [];
  t.mock.method(console, "error", (line: string) => { said.push(line); });
  assert.equal(refusesBuild("start", build, "nothing was started"), false);
  assert.deepEqual(said, []);
  assert.equal(refusesBuild("start", small, "nothing was started"), true);
  assert.equal(refusesBuild("flash", small, "nothing was written to the device"), true);
  const refused = (tool: string, refusal: string) => small.problems.map((p) => `${tool}: build: ${p}`)
    .concat([`${tool}: the firmware does not build: ${refusal}`]);
  assert.deepEqual(said, refused("start", "nothing was started").concat(refused("flash", "nothing was written to the device")));
});

test("the slot file is the script and its parts, each where the header and the script's stand-ins say it is; each " +
  "part evaluates to the functions its module exports", () => {
  const code = build.code;
  const end = parseInt(code.substr(2, 8), 10);
  assert.equal(code.substr(0, 2) + code.substr(10, 2), "/**/");
  assert.equal(end, HEADER_BYTES + (build.main as number));
  assert.equal(scriptEnd(code), end);
  let at = end + 1;
  for (const [i, spec] of PARTS.entries()) {
    const bytes = (build.parts as { bytes: number }[])[i].bytes;
    const text = code.substr(at, bytes);
    // The script calls the part by its place after the script's end, and its length.
    const short = (n: number) => [String(n), n.toExponential().replace("e+", "e")].sort((a, b) => a.length - b.length)[0];
    assert.ok(code.substring(0, end).includes("(" + short(at - end) + "," + short(bytes) + ")"), spec.name + " at " + (at - end));
    assert.equal(code.charAt(at - 1), ";");
    const exports = vm.runInNewContext(text)() as { [name: string]: unknown };
    assert.deepEqual(Object.keys(exports).sort(), exportedFunctions(resolve(spec.module)).map((f) => f.name).sort());
    for (const name of Object.keys(exports)) assert.equal(typeof exports[name], "function", name);
    at += bytes + 1;
  }
  assert.equal(at - 1, code.length);
  // None of the config validation is in the script: its messages are in the part only.
  assert.ok(!code.substring(0, end).includes("unknown field"));
  assert.ok(code.substring(end).includes("unknown field"));
});
