// `npm start` as a newcomer runs it: the simulated meter, the firmware in the emulator and the embedded broker
// produce readings on the screen, and --for ends it cleanly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runScript } from "./support/run-script";

function start(args: string[]) {
  return runScript("scripts/start.ts", args);
}

test("five simulated minutes of a 1-phase Kaifa meter show power, instant values and diagnostics", { timeout: 120000 }, async () => {
  const r = await start(["--meter", "kaifa", "-1p", "--speed", "300", "--for", "300"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /broker: mqtt:\/\/127\.0\.0\.1:\d+ \(embedded/);
  const lines = r.stdout.trim().split("\n");
  const of = (suffix: string) => lines.filter((l) => l.includes(" han/emulated/" + suffix + " "));
  assert.ok(of("power").length > 50, "power every 2 s");
  const instant = JSON.parse(of("instant").at(-1)!.split(" han/emulated/instant ")[1]);
  assert.ok(instant.voltage_l1 > 200 && instant.voltage_l1 < 260, "a 1-phase voltage near 230 V");
  assert.equal(instant.voltage_l2, undefined, "one phase only");
  assert.ok(of("diag").length >= 4);
  assert.equal(of("status")[0].split(" ").at(-1), "online");
});

test("bad options are refused with the usage", async () => {
  for (const args of [["--meter", "landis"], ["--speed", "0"], ["--for", "-1"], ["--broker", "http://x"]]) {
    const r = await start(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /^start: .*\nusage: npm start/);
  }
});
