// lib/p1 where the firmware runs: bundled as the device bundles it and run on the real Espruino interpreter, P1
// telegrams (DSMR 5.0 and 2.2) and Smarty frames opened with Espruino's own require("crypto").AES decode to what
// Node decodes; a wrong key is refused there too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { bundleForEspruino } from "../scripts/espruino/bundle";
import { P1Writer, smartyFrame } from "../scripts/sim/p1-writer";
import { P1Decoder } from "../lib/p1/decoder";
import { nodeBlockCipher } from "../scripts/node-aes";
import { espruinoMissing, runOnEspruino, resultOf, END, RESULT } from "./support/espruino-run";

const KEY = new Uint8Array(Buffer.from("0F1E2D3C4B5A69788796A5B4C3D2E1F0", "hex"));
const START = Date.UTC(2026, 9, 25, 0, 30, 0);

function stream(version: "5.0" | "2.2", encrypted: boolean): Uint8Array {
  const writer = new P1Writer({ version, phases: 3, meterId: "E0099887766554433" });
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 3; i++) {
    const t = START + i * 3600000;
    const bytes = writer.telegram(t, { active_energy_import: 7e6 + i * 900, active_energy_export: 2e5, active_power_import: 950 + i,
      voltage_l1: 229.7, voltage_l2: 230.2, voltage_l3: 231.9, current_l1: 4, current_l2: 2, current_l3: 1,
      active_power_import_l1: 500, active_power_import_l2: 300, active_power_import_l3: 151 + i },
    [{ channel: 1, type: 3, id: "G77", value: 2001.5 + i, capturedAt: t - 60000 }]).bytes;
    parts.push(encrypted ? smartyFrame(bytes, { key: KEY, systemTitle: new Uint8Array(8).fill(0x53), frameCounter: 7 + i })
      : bytes);
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** What Node's decoder makes of the bytes, as JSON. */
function inNode(bytes: Uint8Array, encrypted: boolean): unknown {
  const out: unknown[] = [];
  const d = new P1Decoder({ onReading: (r) => out.push({ values: r.values, times: r.times, clock: r.clock, meter: r.meter }),
    cipher: encrypted ? nodeBlockCipher(KEY) : undefined });
  d.push(bytes);
  d.flush();
  return JSON.parse(JSON.stringify({ readings: out, counters: d.counters }));
}

/** The program that decodes `bytes` in 64-byte chunks on Espruino, with its AES when `key` is given. */
function program(bytes: Uint8Array, key: Uint8Array | null): string {
  return "var out=[];var K=" + (key ? "new Uint8Array(" + JSON.stringify(Array.from(key)) + ")" : "null") + ";" +
    "var d=new __p1.P1Decoder({onReading:function(r){out.push({values:r.values,times:r.times,clock:r.clock,meter:r.meter});}," +
    "cipher:K?function(b){return new Uint8Array(require('crypto').AES.encrypt(b,K,{mode:'ECB'}));}:undefined});" +
    "var B=new Uint8Array(" + JSON.stringify(Array.from(bytes)) + ");" +
    "for(var i=0;i<B.length;i+=64)d.push(B.subarray(i,Math.min(i+64,B.length)));d.flush();" +
    "print(" + JSON.stringify(RESULT) + "+JSON.stringify({readings:out,counters:d.counters}));print(" + JSON.stringify(END) + ");";
}

const missing = espruinoMissing("p1-espruino.test.ts");

test("on the real interpreter: DSMR 5.0, DSMR 2.2 and Smarty decode as in Node; a wrong key is refused",
  { skip: missing || false }, async () => {
    const bundle = bundleForEspruino(fileURLToPath(new URL("../lib/p1/decoder.ts", import.meta.url)),
      { globalName: "__p1" });
    for (const [version, encrypted] of [["5.0", false], ["2.2", false], ["5.0", true]] as const) {
      const bytes = stream(version, encrypted);
      const real = resultOf(await runOnEspruino(bundle + ";" + program(bytes, encrypted ? KEY : null), 240000));
      const node = inNode(bytes, encrypted) as { readings: unknown[] };
      assert.equal(node.readings.length, 3);
      assert.deepEqual(real, node, version + (encrypted ? " encrypted" : ""));
    }
    const wrong = resultOf(await runOnEspruino(bundle + ";" + program(stream("5.0", true), new Uint8Array(16)), 240000)) as
      { readings: unknown[]; counters: { decrypt_errors: number } };
    assert.deepEqual([wrong.readings.length, wrong.counters.decrypt_errors], [0, 3]);
  });
