// The energy guard on its own: what it lets through is a total a meter can have, whatever the frame carried.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EnergyGuard } from "../lib/publish/energy-guard";
import { MemoryStore } from "./support/memory-store";

const HOUR = 3600000;

test("every value the guard passes is finite, not negative and below 2^53; the others leave its anchor as it was", () => {
  const guard = new EnergyGuard({ maxPower: 50000, store: new MemoryStore() });
  const bad = [NaN, Infinity, -Infinity, -1, Math.pow(2, 53), 1e300];
  for (const value of bad) {
    const rejection = guard.check("active_energy_import", value, 0);
    assert.ok(rejection, value + " passed before any anchor");
    assert.equal(rejection.why, "implausible");
  }
  assert.equal(guard.check("active_energy_import", 94064590, HOUR), null, "the first plausible total anchors");
  for (const value of bad) {
    assert.equal(guard.check("active_energy_import", value, 2 * HOUR)?.why, "implausible", value + " passed");
  }
  assert.equal(guard.check("active_energy_import", 94064590 - 1000000, 3 * HOUR)?.why, "lower",
    "a 1 MWh drop after them is still judged against the last accepted total");
  assert.equal(guard.rejected, 2 * bad.length + 1);
  assert.equal(guard.check("active_energy_import", 94064590 + 1000, 3 * HOUR), null);
});

test("the registers are read back from Storage as written, a damaged file starting afresh", () => {
  const store = new MemoryStore();
  const guard = new EnergyGuard({ maxPower: 50000, store });
  guard.check("active_energy_import", 9007199254740991, 1767225600000);
  guard.check("reactive_energy_export", 123456789.123, 1767225612345);
  guard.save(1767225612345);
  const again = new EnergyGuard({ maxPower: 50000, store });
  assert.equal(again.check("active_energy_import", 9007199254740990, 1767225612345)?.why, "lower", "exact past 2^52");
  assert.equal(again.check("reactive_energy_export", 123456789.123, 1767225612345), null, "an equal total is no drop");
  assert.equal(again.check("reactive_energy_export", 123456789.122, 1767225612345)?.why, "lower");
  for (const damaged of ["{\"active_energy_import\":[", "null", "{\"active_energy_import\":[\"x\",1]}", "[1,2]"]) {
    store.files["han.energy"] = damaged;
    assert.equal(new EnergyGuard({ maxPower: 50000, store }).check("active_energy_import", 5, 0), null, damaged);
  }
});

test("Storage is written with accepted energy at most every 30 minutes, however fast the registers come", () => {
  const store = new MemoryStore();
  const guard = new EnergyGuard({ maxPower: 50000, store });
  let wh = 1000;
  for (let t = 0; t < 24 * HOUR; t += 10000) {
    wh += 10;
    guard.check("active_energy_import", wh, t);
    guard.save(t);
  }
  assert.equal(store.writes, 48);
});
