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
  guard.save(1767225600000, "{\"hour_end\":\"2026-01-01T00:00:00Z\"}");
  const again = new EnergyGuard({ maxPower: 50000, store });
  assert.deepEqual(again.kept, [1767225600000, "{\"hour_end\":\"2026-01-01T00:00:00Z\"}"], "the last energy message");
  assert.equal(again.check("active_energy_import", 9007199254740990, 1767225612345)?.why, "lower", "exact past 2^52");
  assert.equal(again.check("reactive_energy_export", 123456789.123, 1767225612345), null, "an equal total is no drop");
  assert.equal(again.check("reactive_energy_export", 123456789.122, 1767225612345)?.why, "lower");
  for (const damaged of ["{\"active_energy_import\":[", "null", "{\"active_energy_import\":[\"x\",1]}", "[1,2]"]) {
    store.files["han.energy"] = damaged;
    assert.equal(new EnergyGuard({ maxPower: 50000, store }).check("active_energy_import", 5, 0), null, damaged);
  }
});

test("Storage is written with each energy message, the registers beside it; a full Storage loses neither", () => {
  const store = new MemoryStore();
  const guard = new EnergyGuard({ maxPower: 50000, store });
  for (let h = 1; h <= 24; h++) {
    guard.check("active_energy_import", 1000 + h * 500, h * HOUR);
    guard.save(h * HOUR, "hour " + h);
  }
  assert.equal(store.writes, 24);
  const again = new EnergyGuard({ maxPower: 50000, store });
  assert.deepEqual(again.kept, [24 * HOUR, "hour 24"]);
  assert.equal(again.check("active_energy_import", 12999, 25 * HOUR)?.why, "lower");
  const full = { readStore: () => undefined, writeStore: () => { throw new Error("Unable to find or create file"); } };
  const refused = new EnergyGuard({ maxPower: 50000, store: full });
  refused.check("active_energy_import", 1000, 0);
  assert.doesNotThrow(() => refused.save(HOUR, "hour 1"));
});
