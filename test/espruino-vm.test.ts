// The Espruino-shaped context is only a gate if what it removed is really gone inside it (and would have been
// there in plain Node), and if what remains still behaves like the engine and like Espruino's extras.
import { test } from "node:test";
import assert from "node:assert/strict";
import vm from "node:vm";
import { createEspruinoContext, globalOf, hasName, listMissingNames } from "../scripts/espruino/context";

function run(context: vm.Context, code: string): unknown {
  return vm.runInContext(code, context);
}

test("every name Espruino lacks is absent in the context and present in plain Node", () => {
  const context = createEspruinoContext();
  const realm = globalOf(context);
  const names = listMissingNames();
  assert.ok(names.length > 80);
  assert.deepEqual(names.filter((n) => hasName(realm, n)).map((n) => n.label), [], "still present in the context");
  assert.deepEqual(names.filter((n) => !hasName(globalThis, n)).map((n) => n.label), [], "absent from Node");
  // And code inside sees them gone, through the context's own intrinsics.
  assert.equal(run(context, "typeof Map + typeof Symbol + typeof Number.isFinite + typeof Number.EPSILON + " +
    "typeof [].flat + typeof ''.at + typeof new Uint8Array(1).at + typeof Promise.prototype.finally"),
  "undefined".repeat(8));
});

test("host objects are absent: no require, process, Buffer or timers", () => {
  const context = createEspruinoContext();
  assert.equal(run(context, "[typeof require, typeof process, typeof Buffer, typeof setTimeout].join()"),
    "undefined,undefined,undefined,undefined");
});

test("the engine still works without the removed names", () => {
  const context = createEspruinoContext();
  // for-of goes through the kept Symbol.iterator slot, not Array.prototype.values.
  assert.equal(run(context, "var s = 0; for (const x of [1, 2]) s += x; for (const c of 'ab') s += c.length;" +
    "for (const b of new Uint8Array([4])) s += b; s"), 9);
  // The Number stand-in (needed because EPSILON cannot be deleted) calls, constructs and owns its prototype.
  assert.equal(run(context, "[Number('5'), Number(), typeof new Number(3), new Number(3) instanceof Number," +
    "(5).constructor === Number, Number.MAX_VALUE > 1, isFinite(1), parseInt('ff', 16)].join()"),
  "5,0,object,true,true,true,true,255");
  // The engine's own errors are still thrown, and still Errors.
  assert.equal(run(context, "try { new Array(-1); 'no' } catch (e) { e instanceof Error }"), true);
});

test("print and console.log are the same printer, and a given print receives both", () => {
  const lines: unknown[][] = [];
  const context = createEspruinoContext({ print: (...args: unknown[]) => { lines.push(args); } });
  run(context, "print('a', 1); console.log({ b: 2 })");
  assert.equal(lines.length, 2);
  assert.equal(lines[0][0], "a");
  assert.equal(JSON.stringify(lines[1][0]), "{\"b\":2}");
  assert.equal(run(context, "Object.keys(console).join()"), "log");
});

test("E.toUint8Array, E.toString and E.toArrayBuffer behave as Espruino documents them", () => {
  const context = createEspruinoContext();
  assert.equal(run(context, "var u = E.toUint8Array('\\x01\\xff', [2, { data: 3, count: 2 }], 300," +
    "{ callback: function () { return [9]; } }, new Uint16Array([258]));" +
    "(u instanceof Uint8Array) + ':' + Array.prototype.join.call(u)"), "true:1,255,2,3,3,44,9,2");
  assert.equal(run(context, "E.toString(new Uint8Array([72, 105, 0, 255])) === 'Hi\\x00\\xff'"), true);
  assert.equal(run(context, "var b = E.toArrayBuffer('\\x00\\x80A'); (b instanceof ArrayBuffer) + ':' +" +
    "Array.prototype.join.call(new Uint8Array(b))"), "true:0,128,65");
  assert.equal(run(context, "E.toArrayBuffer(5)"), undefined);
});
