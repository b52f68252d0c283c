// The firmware build: a bundle Espruino can run (no construct it lacks, ASCII only, mangled names that stay out of
// the way of JSON keys), and a size budget that fails the build when exceeded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runScript } from "./support/run-script";
import { buildFirmware, BUDGET_BYTES } from "../scripts/build";

const build = buildFirmware(Number.MAX_SAFE_INTEGER);

test("the firmware bundle has no construct Espruino lacks and is plain ASCII", () => {
  assert.deepEqual(build.problems, []);
  assert.ok(build.bytes > 10000);
  // The keys Home Assistant and consumers read must survive the shortening of private names.
  for (const key of ["uniq_id", "stat_t", "ids", "active_power_import", "bytes_dropped", "hour_end", "serial_tried"]) {
    assert.ok(build.code.includes(key), key);
  }
});

test("a bundle over its budget is a build problem, and `npm run build` fails on it", async () => {
  const small = buildFirmware(1000);
  assert.ok(small.problems.some((p) => /over the budget of 1000/.test(p)));
  const r = await runScript("scripts/build.ts", []);
  assert.match(r.stdout, /dist\/firmware\.js: \d+ bytes/);
  assert.equal(r.code, build.bytes > BUDGET_BYTES ? 1 : 0, r.stderr);
});
