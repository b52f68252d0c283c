// The cost of opening a ciphered APDU of 200 bytes (general-glo-ciphering, lib/dlms/unwrap.ts): AES-128 through
// the platform's block cipher, GHASH in JavaScript. In Node, and on the real Espruino interpreter with its own
// require("crypto").AES, against the yardstick loop `for (var i=0;i<10000;i++){}` timed in the same run, which
// takes 320-530 ms on a 240 MHz ESP32 (../shared/docs/espruino.md, B). The code runs there from a RAM string (-e),
// which lexes slower than the firmware's from flash: the figure errs high.
import { createUnwrap } from "../lib/dlms/unwrap";
import type { DecoderCounters } from "../lib/han-decoder";
import { toHex } from "../lib/bytes";
import { nodeBlockCipher } from "./node-aes";
import { cipheredApdu } from "./sim/secure-writer";
import { bundleForEspruino } from "./espruino/bundle";
import { locateInterpreter } from "./real-espruino/locate";
import { runOnEspruino, resultOf, END, RESULT } from "../test/support/espruino-run";
import { fileURLToPath } from "node:url";

const ENTRY = fileURLToPath(new URL("./real-espruino/secured-entry.ts", import.meta.url));
const KEY = new Uint8Array(16).fill(0x4b);
const AUTH = new Uint8Array(16).fill(0xa5);
const TITLE = new Uint8Array([0x4b, 0x46, 0x4d, 1, 2, 3, 4, 5]);
/** Bytes of the whole ciphered APDU. */
const APDU_BYTES = 200;
const YARDSTICK_ESP32_MS = [320, 530];

/** `count` ciphered APDUs of APDU_BYTES, frame counters rising; control 0x30 (with tag) or 0x20. */
export function benchApdus(count: number, control: number): Uint8Array[] {
  // Tag, system title, length (81 nn: the body is over 127 bytes), SC and IC around the plaintext.
  const plain = new Uint8Array(APDU_BYTES - 10 - 2 - 5 - (control & 0x10 ? 12 : 0)).fill(0x11);
  plain[0] = 0x0f;
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    out.push(cipheredApdu(plain, { key: KEY, authKey: AUTH, systemTitle: TITLE, counter: i + 1, control }));
  }
  if (out[0].length !== APDU_BYTES) throw new Error("bench APDU of " + out[0].length + " bytes");
  return out;
}

function nodeMs(control: number): number {
  const apdus = benchApdus(2000, control);
  const unwrap = createUnwrap({ key: KEY, authKey: control & 0x10 ? AUTH : null, cipher: nodeBlockCipher(KEY) });
  const counters = { decode_errors: 0 } as unknown as DecoderCounters;
  const start = process.hrtime.bigint();
  for (const a of apdus) if (!unwrap(a, 0, counters)) throw new Error("a bench APDU was refused");
  return Number(process.hrtime.bigint() - start) / 1e6 / apdus.length;
}

export interface EspruinoDecryptFigure {
  control: number;
  ms: number;
  yardstick: number;
}

/** On the real interpreter: ms per APDU and the yardstick's ms, per security control; null without it. */
export async function espruinoDecrypt(rounds: number): Promise<EspruinoDecryptFigure[] | null> {
  if (!locateInterpreter().found) return null;
  const bundle = bundleForEspruino(ENTRY);
  const out: EspruinoDecryptFigure[] = [];
  for (const control of [0x30, 0x20]) {
    const hexes = benchApdus(rounds, control).map((a) => toHex(a));
    const code = bundle + ";function __yard(){var t=getTime();for (var i=0;i<10000;i++){}return (getTime()-t)*1000;}" +
      "var __r=__secured.timeOpen(" + JSON.stringify(hexes) + "," + JSON.stringify(toHex(KEY)) + "," +
      JSON.stringify(control & 0x10 ? toHex(AUTH) : null) + ",__yard);print(" + JSON.stringify(RESULT) +
      "+JSON.stringify(__r));print(" + JSON.stringify(END) + ");";
    const r = resultOf(await runOnEspruino(code, 120000)) as { ms: number; yardstick: number; opened: number };
    if (r.opened !== rounds) throw new Error("the interpreter opened " + r.opened + " of " + rounds + " APDUs");
    out.push({ control, ms: r.ms, yardstick: r.yardstick });
  }
  return out;
}

export async function benchDecrypt(real: boolean): Promise<void> {
  console.log(`\nOpening a ${APDU_BYTES}-byte ciphered APDU (AES-128-GCM, GHASH in JavaScript), ms per APDU`);
  console.log(`  Node: ${nodeMs(0x30).toFixed(4)} with the tag checked (0x30), ${nodeMs(0x20).toFixed(4)} encryption only (0x20)`);
  if (!real) return;
  const located = locateInterpreter();
  if (!located.found) {
    console.log(`  real interpreter: not measured: ${located.why}`);
    return;
  }
  for (const f of await espruinoDecrypt(10) as EspruinoDecryptFigure[]) {
    const ratio = f.ms / f.yardstick;
    console.log(`  real interpreter, security 0x${f.control.toString(16)}: ${f.ms.toFixed(1)} ms, ${ratio.toFixed(3)} of the ` +
      `yardstick (${f.yardstick.toFixed(0)} ms here): ${(ratio * YARDSTICK_ESP32_MS[0]).toFixed(0)}-` +
      `${(ratio * YARDSTICK_ESP32_MS[1]).toFixed(0)} ms on a 240 MHz ESP32`);
  }
}
