// A Node `vm` context shaped like Espruino's global environment: the built-ins Espruino lacks are deleted from
// the context's own intrinsics, and the Espruino extras that device code may call are added. Running a bundle
// here catches any use of a missing API that Node alone would happily run. JSON.stringify, String(number),
// number.toString() and toFixed print numbers and strings as Espruino does (./numbers.ts); number-to-text by
// concatenation (`"" + n`, template literals) is V8's own and cannot be changed, so device code that publishes
// numbers formats them itself (lib/publish/payloads.ts). It cannot show Espruino's other differences (no
// hoisting, shared for-let bindings); scripts/check-bundle.ts and the lint cover what can be seen in the code.
import vm from "node:vm";
import {
  MISSING_ENGINE_GLOBALS, MISSING_GLOBALS, MISSING_METHODS, MISSING_STATICS,
} from "./missing";
import { makeEspruinoE } from "./e-extras";
import { espruinoNumberText, espruinoStringify, espruinoToFixed } from "./numbers";

/** One name to remove. `owner` is null for a global, "Number" for a static, "Array.prototype" for a method;
 *  "TypedArray.prototype" is the prototype shared by all typed arrays. */
export interface MissingName { label: string; owner: string | null; name: string }

export function listMissingNames(): MissingName[] {
  const names: MissingName[] = [];
  for (const name of MISSING_GLOBALS.concat(MISSING_ENGINE_GLOBALS)) names.push({ label: name, owner: null, name });
  for (const owner of Object.keys(MISSING_STATICS)) {
    for (const name of MISSING_STATICS[owner]) names.push({ label: owner + "." + name, owner, name });
  }
  for (const type of Object.keys(MISSING_METHODS)) {
    const owner = type + ".prototype";
    for (const name of MISSING_METHODS[type]) names.push({ label: owner + "." + name, owner, name });
  }
  return names;
}

/** Resolves an owner path against a global object: Node's own, or a context's. */
function ownerOf(global: Record<string, unknown>, owner: string | null): object {
  if (owner === null) return global;
  const parts = owner.split(".");
  if (parts[0] === "TypedArray") return Object.getPrototypeOf((global.Uint8Array as Uint8ArrayConstructor).prototype);
  const base = global[parts[0]] as { prototype: object };
  return parts[1] === "prototype" ? base.prototype : base;
}

/** True when `global` has the name as an own property of its owner. */
export function hasName(global: object, missing: MissingName): boolean {
  return Object.prototype.hasOwnProperty.call(ownerOf(global as Record<string, unknown>, missing.owner), missing.name);
}

/** Runs inside the context: replaces a global constructor by a stand-in that forwards calls and `new` to it and
 *  carries all its statics except `omit`. Needed for the statics that cannot be deleted (Number.EPSILON and
 *  Number.MAX_SAFE_INTEGER are non-configurable). */
const REPLACE_WITHOUT_SOURCE = `(function (construct) {
  return function (name, omit) {
    var original = globalThis[name];
    var stand = function () {
      return new.target ? construct(original, arguments, new.target) : original.apply(this, arguments);
    };
    Object.getOwnPropertyNames(original).forEach(function (key) {
      if (key !== "prototype" && omit.indexOf(key) < 0) {
        Object.defineProperty(stand, key, Object.getOwnPropertyDescriptor(original, key));
      }
    });
    stand.prototype = original.prototype;
    Object.defineProperty(original.prototype, "constructor", { value: stand, writable: true, configurable: true });
    globalThis[name] = stand;
  };
})(Reflect.construct)`;

/** The deleting is done by code compiled inside the context, on the context's own intrinsics. Members go first,
 *  since a member's owner may itself be a removed global. V8 keeps using its internal copies (Symbol.iterator
 *  for for-of, RangeError for its own throws). */
function trim(context: vm.Context, realm: Record<string, unknown>): void {
  const remove = vm.runInContext("(function (owner, name) { return delete owner[name]; })", context) as
    (owner: object, name: string) => boolean;
  const replaceWithout = vm.runInContext(REPLACE_WITHOUT_SOURCE, context) as (name: string, omit: string[]) => void;
  const names = listMissingNames();
  const pinned: { [owner: string]: string[] } = {};
  for (const missing of names.filter(function (n) { return n.owner !== null; })) {
    const owner = ownerOf(realm, missing.owner);
    const descriptor = Object.getOwnPropertyDescriptor(owner, missing.name);
    if (descriptor && !descriptor.configurable && missing.owner && missing.owner.indexOf(".") < 0) {
      (pinned[missing.owner] = pinned[missing.owner] || []).push(missing.name);
    } else if (!remove(owner, missing.name)) {
      throw new Error("cannot delete " + missing.label);
    }
  }
  for (const owner of Object.keys(pinned)) replaceWithout(owner, pinned[owner]);
  for (const missing of names.filter(function (n) { return n.owner === null; })) remove(realm, missing.name);
  remove(realm, "console");
}

/** Runs inside the context: String(number) and Number.prototype.toString/toFixed through Espruino's printer. The
 *  String stand-in keeps String's statics and prototype, and `new String(...)` still makes a String object. */
const ESPRUINO_NUMBER_TEXT_SOURCE = `(function (construct) {
  return function (text, toFixed) {
    var original = String;
    var stand = function (value) {
      if (new.target) return construct(original, arguments, new.target);
      return arguments.length > 0 && typeof value === "number" ? text(value) : original.apply(this, arguments);
    };
    Object.getOwnPropertyNames(original).forEach(function (key) {
      if (key !== "prototype") Object.defineProperty(stand, key, Object.getOwnPropertyDescriptor(original, key));
    });
    stand.prototype = original.prototype;
    Object.defineProperty(original.prototype, "constructor", { value: stand, writable: true, configurable: true });
    globalThis.String = stand;
    var numberProto = Number.prototype;
    var toString = numberProto.toString;
    Object.defineProperty(numberProto, "toString", { writable: true, configurable: true, value: function (radix) {
      return radix === undefined || radix === 10 ? text(Number.prototype.valueOf.call(this)) : toString.call(this, radix);
    } });
    Object.defineProperty(numberProto, "toFixed", { writable: true, configurable: true, value: function (digits) {
      return toFixed(Number.prototype.valueOf.call(this), digits);
    } });
  };
})(Reflect.construct)`;

function installEspruinoNumbers(context: vm.Context, realm: Record<string, unknown>): void {
  const install = vm.runInContext(ESPRUINO_NUMBER_TEXT_SOURCE, context) as
    (text: (n: number) => string, toFixed: (n: number, digits: unknown) => string) => void;
  install(espruinoNumberText, espruinoToFixed);
  Object.defineProperty(realm.JSON, "stringify", { writable: true, configurable: true, value: espruinoStringify });
}

type Printer = (...args: unknown[]) => void;

/** Espruino prints strings as they are and other values as JSON, separated by spaces. */
function formatPrinted(args: unknown[]): string {
  return args.map(function (arg) { return typeof arg === "string" ? arg : String(JSON.stringify(arg)); }).join(" ");
}

function printToStdout(...args: unknown[]): void {
  process.stdout.write(formatPrinted(args) + "\n");
}

/**
 * A fresh Espruino-shaped context. `extraGlobals` are added last; a `print` among them also becomes
 * `console.log`, because on Espruino both are the same function. There is no require, process, Buffer or
 * timer: tests that need them pass their own.
 */
export function createEspruinoContext(extraGlobals?: { [name: string]: unknown }): vm.Context {
  const context = vm.createContext({});
  const realm = globalOf(context);
  // First: it needs Reflect, which trim() removes.
  installEspruinoNumbers(context, realm);
  trim(context, realm);
  const extras = extraGlobals || {};
  const print = typeof extras.print === "function" ? (extras.print as Printer) : printToStdout;
  realm.print = print;
  realm.console = { log: print };
  realm.E = makeEspruinoE(realm as unknown as Parameters<typeof makeEspruinoE>[0]);
  realm.atob = atob;
  realm.btoa = btoa;
  for (const name of Object.keys(extras)) realm[name] = extras[name];
  return context;
}

/** The context's global object, to read what a bundle left on it. */
export function globalOf(context: vm.Context): Record<string, unknown> {
  return vm.runInContext("globalThis", context) as Record<string, unknown>;
}
