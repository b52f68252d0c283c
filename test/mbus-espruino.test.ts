// The M-Bus reader as the device would run it: bundled for Espruino (the bundle checker finds nothing Espruino
// lacks), in a context trimmed to Espruino's built-ins, fed binary strings in UART-sized chunks, it gives exactly
// what it gives in Node, for every layout in one frame and in segments, and for damaged input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { checkBundle } from "../scripts/check-bundle";
import { bundleForEspruino, runInEspruinoContext } from "../scripts/espruino/bundle";
import { createEspruinoContext, globalOf } from "../scripts/espruino/context";
import { decodeHexList, GateApi, GateOptions } from "../scripts/espruino/decoder-entry";
import { toHex } from "../lib/bytes";
import { supportedSpecs, encodeApdu } from "../scripts/sim/layouts";
import { randomReading } from "../scripts/sim/random-reading";
import { createRng } from "../scripts/sim/random";
import { mbusTelegram } from "../scripts/sim/mbus-writer";

const GATE_ENTRY = fileURLToPath(new URL("../scripts/espruino/decoder-entry.ts", import.meta.url));

test("M-Bus in the Espruino-shaped context decodes exactly as in Node", () => {
  const code = bundleForEspruino(GATE_ENTRY);
  assert.deepEqual(checkBundle(code), []);
  const context = createEspruinoContext();
  runInEspruinoContext(code, context);
  const gate = globalOf(context).__gate as GateApi;
  const rng = createRng(309);
  const hexes: string[] = [];
  for (const spec of supportedSpecs()) {
    const apdu = encodeApdu(randomReading(rng, spec));
    hexes.push(toHex(mbusTelegram(apdu)), toHex(mbusTelegram(apdu, 50)));
  }
  // A damaged frame, a stray header and a lone segment among them.
  const bad = mbusTelegram(new Uint8Array(300).fill(0x0f), 100);
  bad[20] ^= 1;
  hexes.splice(3, 0, toHex(bad), "6805066853ff", toHex(mbusTelegram(new Uint8Array(40), 20).subarray(26)));
  for (const chunk of [8, 1]) {
    const options: GateOptions = { input: "string", mode: "stream", chunk, framing: "mbus" };
    const inNode = decodeHexList(hexes, options);
    const inEspruino = gate.decodeHexList(hexes, options);
    assert.equal(inNode.readings.length, 2 * supportedSpecs().length);
    assert.ok(inNode.counters.fcs_errors >= 1 && (inNode.counters as unknown as { segments_lost: number }).segments_lost >= 1);
    assert.deepEqual(JSON.parse(JSON.stringify(inEspruino)), JSON.parse(JSON.stringify(inNode)), "chunks of " + chunk);
  }
});
