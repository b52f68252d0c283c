// The firmware build: a bundle Espruino can run (no construct it lacks, ASCII only, mangled names that stay out of
// the way of JSON keys), and a hard cap on its size (Espruino cannot boot a longer .bootcde) that fails the build, and so start and flash, when exceeded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runScript } from "./support/run-script";
import { buildFirmware, BUNDLE_CAP_BYTES, refusesBuild } from "../scripts/build";

const build = buildFirmware(Number.MAX_SAFE_INTEGER);

test("the firmware bundle has no construct Espruino lacks and is plain ASCII", () => {
  assert.deepEqual(build.problems, []);
  assert.ok(build.bytes > 10000);
  // The keys Home Assistant and consumers read must survive the shortening of private names.
  for (const key of ["uniq_id", "stat_t", "ids", "active_power_import", "bytes_dropped", "hour_end", "serial_tried"]) {
    assert.ok(build.code.includes(key), key);
  }
});

test("the bundle cap is the longest native string Espruino holds (65,535 bytes); today's bundle is under it, and " +
  "`npm run build` says so and succeeds", async () => {
  assert.equal(BUNDLE_CAP_BYTES, 65535);
  assert.ok(build.bytes < BUNDLE_CAP_BYTES, build.bytes + " bytes");
  const r = await runScript("scripts/build.ts", []);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^dist\/firmware\.js: \d+ bytes \([\d.]+ KB of the 64 KB cap\)\n/);
  assert.match(r.stdout, /\ndist\/loader\.js: \d+ bytes \(the update loader, \.bootcde\)\n$/);
  assert.equal(r.stderr, "");
});

test("a bundle over the cap is a build problem, and every tool refuses it in the same words", (t) => {
  const small = buildFirmware(1000);
  assert.deepEqual(small.problems, [`the bundle is ${small.bytes} bytes (${Number((small.bytes / 1024).toFixed(1))} KB), ` +
    "over the 1 KB cap"]);
  const said: string[] = [];
  t.mock.method(console, "error", (line: string) => { said.push(line); });
  assert.equal(refusesBuild("start", build, "nothing was started"), false);
  assert.deepEqual(said, []);
  assert.equal(refusesBuild("start", small, "nothing was started"), true);
  assert.equal(refusesBuild("flash", small, "nothing was written to the device"), true);
  assert.deepEqual(said, [
    "start: build: " + small.problems[0], "start: the firmware does not build: nothing was started",
    "flash: build: " + small.problems[0], "flash: the firmware does not build: nothing was written to the device",
  ]);
});
