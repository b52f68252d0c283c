// docs/mqtt.md and the code say the same thing: every topic with its retain flag and QoS, every value key with
// its unit and topic.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { allTopics, allValueKeys, unitOfKey, topicOfKey } from "../lib/publish/contract";
import { powerPayload, energyPayload } from "../lib/publish/payloads";
import type { Reading } from "../lib/reading";

const doc = readFileSync(new URL("../docs/mqtt.md", import.meta.url), "utf8");

/** The rows of the markdown table whose header line is `header`. */
function table(header: string): string[][] {
  const lines = doc.split("\n");
  const at = lines.indexOf(header);
  assert.ok(at >= 0, "table " + header + " in docs/mqtt.md");
  const rows: string[][] = [];
  for (let i = at + 2; i < lines.length && lines[i].startsWith("|"); i++) {
    rows.push(lines[i].slice(1, -1).split("|").map((c) => c.trim()));
  }
  return rows;
}

const unquote = (cell: string) => cell.replace(/`/g, "");

test("every topic in the code is in the document with the same retain flag and QoS, and nothing else is", () => {
  const rows = table("| topic | retain | qos | payload |");
  const documented = new Map(rows.map((r) => [unquote(r[0]).replace(/^<base>\//, ""), r]));
  const specs = allTopics();
  assert.equal(documented.size, specs.length);
  for (const spec of specs) {
    const row = documented.get(spec.suffix);
    assert.ok(row, spec.suffix + " documented");
    assert.equal(row[1], spec.retain ? "yes" : "no", spec.suffix + " retain");
    assert.equal(Number(row[2]), spec.qos, spec.suffix + " qos");
    assert.equal(/subscribed/.test(row[3]), spec.subscribed, spec.suffix + " direction");
    assert.equal(/off unless/.test(row[3]), spec.optional, spec.suffix + " optional");
  }
});

test("every value key is documented with the unit and topic the code gives it", () => {
  const rows = table("| key | unit | topic |");
  const documented = new Map(rows.map((r) => [unquote(r[0]), r]));
  const keys = allValueKeys();
  assert.deepEqual([...documented.keys()].sort(), [...keys].sort());
  for (const key of keys) {
    const row = documented.get(key)!;
    assert.equal(row[1] || null, unitOfKey(key), key + " unit");
    const topics = row[2].split(",").map((t) => t.trim());
    const fast = key === "active_power_import" || key === "active_power_export";
    assert.deepEqual(topics, fast ? ["power", topicOfKey(key)] : [topicOfKey(key)], key + " topic");
  }
});

test("the keys every payload carries are documented", () => {
  const reading = {
    list: 3, layout: "aidon", meter: { id: "7359992890941742", type: "6841131BN243101040", list_version: "AIDON_V0001", manufacturer: "Aidon" },
    clock: { local: "2026-11-30T10:00:00", utc: null, deviation: null, status: null },
    values: { active_power_import: 1200, active_energy_import: 123456 }, obis: {},
  } as unknown as Reading;
  const now = Date.UTC(2026, 10, 30, 9, 0, 5);
  const common = table("| key | meaning |").map((r) => unquote(r[0]));
  const power = powerPayload(reading, now, 123456.7, 0)!;
  const extra = (payload: { [key: string]: unknown }) => Object.keys(payload).filter((k) => !(k in reading.values));
  assert.deepEqual(extra(power).sort(), ["active_energy_export_live", "active_energy_import_live", "meter_time", "ts"]);
  for (const key of extra(power)) assert.ok(common.includes(key) || doc.includes("| `" + key + "` |"), key);
  assert.deepEqual([power.active_energy_import_live, power.active_energy_export_live], [123456, 0], "whole Wh");
  const unanchored = powerPayload(reading, now, NaN, NaN)!;
  assert.deepEqual(extra(unanchored).sort(), ["meter_time", "ts"], "no live register before a register anchors it");
  const energy = extra(energyPayload(reading, { active_energy_import: 123456 }, now, Date.UTC(2026, 10, 30, 9)))
    .filter((k) => !common.includes(k));
  assert.deepEqual(energy.sort(), ["hour_end", "hour_start"]);
  for (const key of energy) assert.ok(doc.includes("| `" + key + "` |"), key);
});
