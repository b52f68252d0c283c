// process.memory() for the emulated device: an estimate of the Espruino variables (JsVars) the firmware holds,
// counted over everything reachable from its roots, the way Espruino's garbage collector would mark them. The
// roots are the context's global object (less the built-ins that were there before the firmware ran) and what
// the interpreter holds for the firmware: timer callbacks and event listeners. A bundle keeps nearly all of its
// state in closures, which JavaScript cannot enumerate, so the variables of closure scopes are read through
// V8's inspector protocol ([[Scopes]]).
//
// The estimate, per A1 in ../shared/docs/espruino.md:
// - each object, array and function: 1 variable (function code stays in flash when loaded from Storage; the
//   prototype object V8 gives every plain function is not counted until something is put on it);
// - each property, array element and closure variable: 1 (the name variable, which holds a small value inline);
// - each string value: 1 per 10 characters, rounded up, on top;
// - each ArrayBuffer: 1 + 1 per 14 bytes (a flat string);
// - each closure scope: 1.
// It is meant for trends (a queue or a cache that keeps growing), not for the device's exact figure.
import inspector from "node:inspector";
import { types } from "node:util";

interface RemoteObject {
  type: string;
  subtype?: string;
  value?: unknown;
  objectId?: string;
  description?: string;
  unserializableValue?: string;
}

interface PropertyDescriptor {
  name: string;
  value?: RemoteObject;
}

interface Properties {
  result: PropertyDescriptor[];
  internalProperties?: PropertyDescriptor[];
}

let session: inspector.Session | null = null;

/** The in-process inspector answers synchronously; a session is shared by every emulator in the process. */
function post<T>(method: string, params: object): T {
  if (session === null) {
    session = new inspector.Session();
    session.connect();
  }
  let out: T | undefined;
  let failure: Error | null = null;
  let answered = false;
  session.post(method, params, function (error, result) {
    failure = error;
    out = result as T;
    answered = true;
  });
  if (!answered) throw new Error("the inspector did not answer synchronously (" + method + ")");
  if (failure) throw failure;
  return out as T;
}

const GROUP = "emulator-memory";
/** The probe slot in Node's global through which objects pass to and from the inspector. */
const PROBE = "__emulatorMemoryProbe";

function probeGlobal(): { [PROBE]?: unknown } {
  return globalThis as unknown as { [PROBE]?: unknown };
}

function stringVars(s: string): number {
  return s.length === 0 ? 0 : Math.ceil(s.length / 10);
}

export interface MemoryCount {
  usage: number;
  objects: number;
  scopes: number;
}

export class MemoryMeter {
  /** Built-ins and emulator objects: present before the firmware ran, so not the firmware's. */
  private readonly baseline = new WeakSet<object>();
  /** Functions whose only closure is the bundle's outermost scope, which is counted once per measurement. */
  private readonly flat = new WeakSet<object>();

  constructor(private readonly realmFunctionPrototype: object, baselineRoots: unknown[]) {
    const seen = this.baseline;
    const stack = baselineRoots.slice();
    while (stack.length > 0) {
      const v = stack.pop();
      if (!isObject(v) || seen.has(v) || types.isProxy(v)) continue;
      seen.add(v);
      for (const key of Reflect.ownKeys(v)) {
        const d = Reflect.getOwnPropertyDescriptor(v, key);
        if (!d) continue;
        stack.push(d.value, d.get, d.set);
      }
      stack.push(Object.getPrototypeOf(v));
    }
  }

  count(roots: unknown[]): MemoryCount {
    const state = { usage: 0, objects: 0, scopes: 0 };
    const seen = new Set<object>();
    const scopeSeen = new Set<string>();
    const ids = new Map<object, number>();
    const functions: object[] = [];
    let outerDone = false;
    let holder: Holder | null = null;
    let stack = roots.slice();
    const self = this;

    const value = function (v: unknown): void {
      if (typeof v === "string") state.usage += stringVars(v);
      else if (isObject(v)) stack.push(v);
    };

    while (stack.length > 0) {
      while (stack.length > 0) {
        const v = stack.pop();
        if (!isObject(v) || seen.has(v) || this.baseline.has(v) || types.isProxy(v)) continue;
        seen.add(v);
        ids.set(v, ids.size);
        state.usage++;
        state.objects++;
        if (types.isArrayBuffer(v)) {
          state.usage += Math.ceil((v as ArrayBuffer).byteLength / 14);
          continue;
        }
        if (ArrayBuffer.isView(v)) {
          stack.push((v as ArrayBufferView).buffer);
          continue;
        }
        if (typeof v === "function") {
          // Functions of Node's realm are the emulator's own, handed in as built-ins.
          if (!this.inRealm(v)) continue;
          functions.push(v);
        }
        for (const key of Object.getOwnPropertyNames(v)) {
          const d = Object.getOwnPropertyDescriptor(v, key);
          if (!d) continue;
          // Array length and a function's name and length are not variables of their own.
          if (key === "length" && (Array.isArray(v) || typeof v === "function")) continue;
          if (key === "name" && typeof v === "function") continue;
          // A plain function's untouched prototype: V8 makes it eagerly, Espruino only when it is used.
          if (key === "prototype" && typeof v === "function" && isBarePrototype(d.value, v)) continue;
          state.usage++;
          if ("value" in d) value(d.value);
          else {
            value(d.get);
            value(d.set);
          }
        }
        stack.push(Object.getPrototypeOf(v));
      }
      // Closure scopes, for the functions found in this round; their variables may lead to more objects.
      const batch = functions.splice(0, functions.length).filter(function (f) {
        return !self.flat.has(f) || !outerDone;
      });
      if (batch.length === 0) continue;
      if (holder === null) holder = newHolder();
      const found = this.scopes(batch, outerDone, ids, scopeSeen, state, holder);
      outerDone = outerDone || found.outer;
      stack = stack.concat(found.values);
    }
    post("Runtime.releaseObjectGroup", { objectGroup: GROUP });
    return state;
  }

  private inRealm(fn: object): boolean {
    let p = Object.getPrototypeOf(fn);
    while (p !== null) {
      if (p === this.realmFunctionPrototype) return true;
      p = Object.getPrototypeOf(p);
    }
    return false;
  }

  /** Counts the closure scopes of `fns` and returns the objects their variables hold. The outermost closure (the
   *  bundle's own function) is shared by nearly every function, so it is read once. */
  private scopes(fns: object[], outerDone: boolean, ids: Map<object, number>, scopeSeen: Set<string>,
    state: MemoryCount, holder: Holder): { values: unknown[]; outer: boolean } {
    const values: unknown[] = [];
    let outer = false;
    const probe = probeGlobal();
    probe[PROBE] = fns;
    const list = post<{ result: RemoteObject }>("Runtime.evaluate",
      { expression: "globalThis." + PROBE, objectGroup: GROUP });
    probe[PROBE] = undefined;
    const elements = post<Properties>("Runtime.getProperties",
      { objectId: list.result.objectId, ownProperties: true, objectGroup: GROUP }).result;
    for (let i = 0; i < fns.length; i++) {
      const fnId = elements.find(function (e) { return e.name === String(i); });
      if (!fnId || !fnId.value || !fnId.value.objectId) continue;
      const chain = this.closureScopes(fnId.value.objectId);
      if (chain.length <= 1) this.flat.add(fns[i]);
      chain.forEach(function (scope, index) {
        const outermost = index === chain.length - 1;
        if (outermost && (outerDone || outer)) return;
        if (outermost) outer = true;
        values.push.apply(values, readScope(scope, ids, scopeSeen, state, holder));
      });
    }
    return { values: values, outer: outer };
  }

  /** Object ids of a function's closure and block scopes, innermost first. */
  private closureScopes(fnObjectId: string): string[] {
    const own = post<Properties>("Runtime.getProperties",
      { objectId: fnObjectId, ownProperties: true, objectGroup: GROUP });
    const scopes = (own.internalProperties || []).find(function (p) { return p.name === "[[Scopes]]"; });
    if (!scopes || !scopes.value || !scopes.value.objectId) return [];
    const entries = post<Properties>("Runtime.getProperties",
      { objectId: scopes.value.objectId, ownProperties: true, objectGroup: GROUP }).result;
    const out: string[] = [];
    for (const e of entries) {
      const d = e.value && e.value.description || "";
      if ((d.indexOf("Closure") === 0 || d.indexOf("Block") === 0) && e.value && e.value.objectId) {
        out.push(e.value.objectId);
      }
    }
    return out;
  }
}

/** Counts one scope's variables (once, however many functions share it) and returns the objects they hold. */
function readScope(scopeId: string, ids: Map<object, number>, scopeSeen: Set<string>, state: MemoryCount,
  holder: Holder): unknown[] {
  const vars = post<Properties>("Runtime.getProperties",
    { objectId: scopeId, ownProperties: true, objectGroup: GROUP }).result;
  const objectIds: string[] = [];
  for (const v of vars) if (v.value && v.value.objectId) objectIds.push(v.value.objectId);
  const objects = fetchObjects(objectIds, holder);
  // A scope is identified by its variables: the same names holding the same values (objects by identity).
  let at = 0;
  const key = vars.map(function (v) {
    const r = v.value;
    if (!r) return v.name;
    if (r.objectId) {
      const o = objects[at++];
      if (!ids.has(o as object)) ids.set(o as object, ids.size);
      return v.name + "#" + ids.get(o as object);
    }
    return v.name + "=" + r.type + ":" + String(r.value !== undefined ? r.value : r.unserializableValue);
  }).join("|");
  if (scopeSeen.has(key)) return [];
  scopeSeen.add(key);
  state.scopes++;
  state.usage += 1 + vars.length;
  for (const v of vars) if (v.value && v.value.type === "string") state.usage += stringVars(String(v.value.value));
  return objects;
}

/** Where objects come back from the inspector: an array of Node's realm and its inspector id, made once per
 *  measurement. */
interface Holder {
  values: unknown[];
  objectId: string;
}

function newHolder(): Holder {
  const probe = probeGlobal();
  const values: unknown[] = [];
  probe[PROBE] = values;
  const target = post<{ result: RemoteObject }>("Runtime.evaluate",
    { expression: "globalThis." + PROBE, objectGroup: GROUP });
  probe[PROBE] = undefined;
  return { values: values, objectId: target.result.objectId as string };
}

/** The objects behind inspector object ids, brought back as JavaScript values in one call. */
function fetchObjects(objectIds: string[], holder: Holder): unknown[] {
  if (objectIds.length === 0) return [];
  holder.values.length = 0;
  post("Runtime.callFunctionOn", {
    objectId: holder.objectId,
    functionDeclaration: "function () { for (var i = 0; i < arguments.length; i++) this.push(arguments[i]); }",
    arguments: objectIds.map(function (id) { return { objectId: id }; }),
    objectGroup: GROUP,
  });
  return holder.values.splice(0, holder.values.length);
}

function isBarePrototype(proto: unknown, fn: object): boolean {
  if (!isObject(proto)) return false;
  const keys = Object.getOwnPropertyNames(proto);
  return keys.length === 0 || keys.length === 1 && keys[0] === "constructor" &&
    Object.getOwnPropertyDescriptor(proto, "constructor")?.value === fn;
}

function isObject(v: unknown): v is object {
  return (typeof v === "object" && v !== null) || typeof v === "function";
}
