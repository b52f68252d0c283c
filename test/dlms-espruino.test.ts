// Encrypted meters where the firmware runs: the bundled decoder with createUnwrap in the Espruino-shaped context
// (the Espruino gate, decoder-entry.ts) gives what the Node decoder gives; on the real interpreter, with Espruino's
// own require("crypto").AES, the simulator's protected lists decode to the same values and the refusals hold; and
// the emulator's AES (scripts/emulator/crypto.ts) answers every argument form as the real interpreter does.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { bundleForEspruino, runInEspruinoContext } from "../scripts/espruino/bundle";
import { createEspruinoContext, globalOf } from "../scripts/espruino/context";
import { decodeHexList, GateApi, GateOptions } from "../scripts/espruino/decoder-entry";
import { cryptoModule } from "../scripts/emulator/crypto";
import { loud } from "../scripts/emulator/loud";
import type { Host } from "../scripts/emulator/host";
import { nodeBlockCipher } from "../scripts/node-aes";
import { cipheredApdu, blockTransfer } from "../scripts/sim/secure-writer";
import { hdlcFrame, llcPayload } from "../scripts/sim/hdlc-writer";
import { supportedSpecs, encodeApdu, addressingOf, ListInput } from "../scripts/sim/layouts";
import { randomReading } from "../scripts/sim/random-reading";
import { createRng } from "../scripts/sim/random";
import { fromHex, toHex } from "../lib/bytes";
import { decodeSecured } from "../scripts/real-espruino/secured-entry";
import { espruinoMissing, runOnEspruino, resultOf, END, RESULT } from "./support/espruino-run";

const KEY = fromHex("000102030405060708090a0b0c0d0e0f");
const AUTH = fromHex("d0d1d2d3d4d5d6d7d8d9dadbdcdddedf");
const TITLE = fromHex("4c475a0102030405");

/** A few lists of several makers, ciphered (glo and ded, with and without tag), some in block transfer; HDLC hex. */
function protectedFrames(): { inputs: ListInput[]; frames: string[] } {
  const rng = createRng(31);
  const specs = supportedSpecs().filter((s) => s.country === "NO").slice(0, 6);
  const inputs = specs.map((s) => randomReading(rng, s));
  const frames: string[] = [];
  inputs.forEach((input, i) => {
    const apdu = cipheredApdu(encodeApdu(input), { key: KEY, authKey: AUTH, systemTitle: TITLE, counter: 10 + i,
      control: i % 3 === 2 ? 0x20 : 0x30, dedicated: i % 2 === 1 });
    const blocks = i % 2 === 0 ? blockTransfer(apdu, 48) : [apdu];
    blocks.forEach((b, k) => {
      const info = k === 0 ? llcPayload(b) : b;
      frames.push(toHex(hdlcFrame(info, 0, info.length, addressingOf(input), false)));
    });
  });
  return { inputs, frames };
}

test("the bundled decoder opens ciphered and block-transfer lists in the Espruino-shaped context as in Node", () => {
  const code = bundleForEspruino(fileURLToPath(new URL("../scripts/espruino/decoder-entry.ts", import.meta.url)));
  const context = createEspruinoContext();
  runInEspruinoContext(code, context);
  const gate = globalOf(context).__gate as GateApi;
  const { inputs, frames } = protectedFrames();
  const json = (x: unknown) => JSON.parse(JSON.stringify(x));
  for (const input of ["string", "bytes"] as const) {
    for (const chunk of [1, 0]) {
      const options: GateOptions = { input, mode: "stream", chunk,
        unwrap: { key: toHex(KEY), authKey: null, cipher: nodeBlockCipher(KEY) } };
      const device = json(gate.decodeHexList(frames, options));
      assert.equal(device.readings.length, inputs.length, `${input} chunk ${chunk}: ${device.errors}`);
      assert.deepEqual(device, json(decodeHexList(frames, options)), `${input} chunk ${chunk}`);
    }
  }
});

/** AES calls in both worlds: each prints one line, its result's bytes or what it threw. */
const CASES: [string, string][] = [
  ["ecb", "A.encrypt(new Uint8Array(32),K,{mode:'ECB'})"],
  ["ecb partial", "A.encrypt(new Uint8Array(20),K,{mode:'ECB'})"],
  ["ecb key string", "A.encrypt('0123456789abcdef','\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\x09\\x0a\\x0b\\x0c\\x0d\\x0e\\x0f\\x10',{mode:'ECB'})"],
  ["ecb array", "A.encrypt([1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16],K,{mode:'ECB'})"],
  ["ecb buffer", "A.encrypt(new Uint8Array(16).buffer,K.buffer,{mode:'ECB'})"],
  ["ecb 256-bit key", "A.encrypt(new Uint8Array(16),new Uint8Array(32),{mode:'ECB'})"],
  ["ecb decrypt", "A.decrypt(A.encrypt(new Uint8Array([9,8,7,6,5,4,3,2,1,0,1,2,3,4,5,6]),K,{mode:'ECB'}),K,{mode:'ECB'})"],
  ["ctr ignores iv", "A.encrypt(new Uint8Array(37),K,{mode:'CTR',iv:new Uint8Array([1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16])})"],
  ["unknown mode", "A.encrypt(new Uint8Array(16),K,{mode:'GCM'})"],
  ["bad key length", "A.encrypt(new Uint8Array(16),new Uint8Array(5),{mode:'ECB'})"],
  ["options not an object", "A.encrypt(new Uint8Array(16),K,5)"],
  ["no key", "A.encrypt(new Uint8Array(16))"],
  ["empty", "A.encrypt(new Uint8Array(0),K,{mode:'ECB'})"],
];

const PROGRAM = "var K=new Uint8Array([" + Array.from({ length: 16 }, (_, i) => 3 * i + 1).join(",") + "]);" +
  "function show(n,f){var r;try{r=f();print(n+'='+(r===undefined?'undefined':JSON.stringify([].slice.call(new Uint8Array(r)))));}" +
  "catch(e){print(n+'!'+e.message);}}" +
  CASES.map(([name, call]) => "show(" + JSON.stringify(name) + ",function(){return " + call + ";});").join("");

/** The lines the emulator's module prints for PROGRAM, "ERROR: ..." lines included. */
function emulatorLines(): string[] {
  const lines: string[] = [];
  const host = { error: (m: string) => new Error(m), loud: <T extends object>(label: string, t: T) => loud(label, t, (m) => new Error(m)) } as unknown as Host;
  const A = (cryptoModule(host, ArrayBuffer, (t) => lines.push(t)) as { AES: unknown }).AES;
  const print = (t: string) => lines.push(t);
  new Function("A", "print", PROGRAM)(A, print);
  return lines;
}

test("the emulator's AES: ECB and CTR as AES defines them, the device's quirks, loud where not emulated", () => {
  const lines = emulatorLines();
  const get = (name: string) => lines.find((l) => l.startsWith(name + "=") || l.startsWith(name + "!")) as string;
  // FIPS-197 C.1 is AES-128 of 00112233... under 000102...; here the all-zero block under K, checked against Node.
  const k = fromHex(Array.from({ length: 16 }, (_, i) => (3 * i + 1).toString(16).padStart(2, "0")).join(""));
  const zero = Array.from(nodeBlockCipher(k)(new Uint8Array(16)));
  assert.equal(get("ecb"), "ecb=" + JSON.stringify(zero.concat(zero)));
  assert.equal(get("ecb partial"), "ecb partial=" + JSON.stringify(zero.concat([0, 0, 0, 0])));
  assert.match(get("ctr ignores iv"), new RegExp("^ctr ignores iv=\\[" + zero.join(",") + ","));
  assert.equal(get("unknown mode"), "unknown mode!Unknown Crypto mode \"GCM\"");
  assert.ok(lines.includes("ERROR: Unknown error: -0x20") && get("bad key length") === "bad key length=undefined");
  assert.ok(lines.includes("ERROR: 'options' must be undefined, or an Object"));
  const host = { error: (m: string) => new Error(m), loud: <T extends object>(label: string, t: T) => loud(label, t, (m) => new Error(m)) } as unknown as Host;
  const A = (cryptoModule(host, ArrayBuffer, () => undefined) as { AES: { encrypt: (...a: unknown[]) => unknown; decrypt: (...a: unknown[]) => unknown } }).AES;
  assert.throws(() => A.encrypt(new Uint8Array(16), k), /AES.encrypt in CBC mode is not emulated/);
  assert.throws(() => A.decrypt(new Uint8Array(16), k, { mode: "CTR" }), /AES.decrypt in CTR mode is not emulated/);
  assert.throws(() => (A as unknown as { ccmEncrypt: unknown }).ccmEncrypt, /crypto.AES.ccmEncrypt is not emulated/);
});

describe("on the real interpreter", () => {
  const missing = espruinoMissing("dlms-espruino.test.ts");

  test("the emulator's AES prints what the real interpreter prints, case by case", { skip: missing || false }, async () => {
    const real = (await runOnEspruino("var A=require('crypto').AES;" + PROGRAM + "print(" + JSON.stringify(END) + ");")).split(/\r?\n/)
      .filter((l) => /^(ERROR|[a-z0-9 -]+[=!])/.test(l));
    assert.deepEqual(emulatorLines(), real);
  });

  test("Espruino's own AES opens the simulator's protected lists as Node does, and refuses a wrong key", { skip: missing || false }, async () => {
    const { inputs, frames } = protectedFrames();
    const bundle = bundleForEspruino(fileURLToPath(new URL("../scripts/real-espruino/secured-entry.ts", import.meta.url)));
    const call = (key: Uint8Array, auth: Uint8Array | null) => "print(" + JSON.stringify(RESULT) + "+JSON.stringify(__secured.decodeSecured(" +
      JSON.stringify(frames) + "," + JSON.stringify(toHex(key)) + "," + JSON.stringify(auth ? toHex(auth) : null) + ")));";
    const good = resultOf(await runOnEspruino(bundle + ";" + call(KEY, null) + "print(" + JSON.stringify(END) + ");", 120000));
    const node = decodeSecured(frames, toHex(KEY), null, nodeBlockCipher(KEY));
    assert.equal(node.values.length, inputs.length);
    assert.deepEqual(good, JSON.parse(JSON.stringify(node)));
    const wrong = resultOf(await runOnEspruino(bundle + ";" + call(new Uint8Array(16), AUTH) + "print(" + JSON.stringify(END) + ");", 120000)) as
      { values: unknown[]; counters: { decrypt_errors: number } };
    assert.equal(wrong.values.length, 0);
    assert.equal(wrong.counters.decrypt_errors, inputs.length);
  });
});
