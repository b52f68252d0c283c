// process.memory() for the emulated device: the Espruino variables (JsVars, 14 bytes each on the ESP32) the
// firmware would hold, counted over everything reachable from its roots, the way Espruino's garbage collector
// marks them. The roots are the names the firmware put on the global object, what the interpreter holds for it
// (timers, event listeners, sockets, required modules, the serial setup) and, when the firmware itself asks, the
// functions running at that moment. A bundle keeps nearly all of its state in closures, which JavaScript cannot
// enumerate, so closures, their scopes and the call stack are read through V8's inspector protocol, and what V8
// does not keep (parameters, code, variables no inner function uses) comes from the firmware's source
// (./memory-code.ts).
//
// The costs were measured on Espruino 2v29 built for 14-byte variables, with code loaded from Storage as the
// firmware is (test/emulator-memory.test.ts pins them and checks them against the interpreter):
// - a property or scope variable: a name variable; names of more than 4 characters take one more variable per
//   10 characters. The name holds an integer from -8192 to 8191 itself; other numbers, booleans and null take a
//   variable; undefined none; a string 1 + 1 per 10 characters;
// - an object, array or function: 1; an array element is a name like a property (which holds a boolean too); an
//   object made by a class links its prototype ("__proto__", 2 variables);
// - an ArrayBuffer: 1 + its bytes, in an ordinary string up to 28 bytes and above that in a flat string of
//   1 + 1 per 14 bytes; a typed array: 1 more, sharing its buffer;
// - functions and scopes: see ./memory-code.ts;
// - timers, listeners, sockets, modules, and the built-ins Espruino sets up when code first uses them: the
//   constants below.
// What V8 does not show is not counted: a value Espruino keeps as a float although it is a whole number (5.0 from
// floating-point arithmetic, 1e3 written so by the minifier) counts as an integer; a string V8 shares counts at
// every reference; a variable that no closure uses, in a scope that a closure keeps alive, counts by its name only
// (unless it holds a function or class declaration, or its function is running when the firmware asks).
import inspector from "node:inspector";
import { types } from "node:util";
import { CodeIndex, type ClassShape, type FunctionShape, type ScopeShape } from "./memory-code";

/** The interpreter's own variables when a program starts (at the top of .bootcde, nothing else in Storage). */
export const EMPTY_INTERPRETER_VARS = 37;
/** A pending setTimeout, besides its callback; a setInterval keeps its interval too. */
const TIMEOUT_VARS = 5;
const INTERVAL_VARS = 7;
/** Arguments given to a timer: an array, and a name per argument. */
const TIMER_ARGS_VARS = 2;
/** An `on` listener on a built-in object: the "#on<event>" name (usually 2 variables), an array and its element. */
const LISTENER_VARS = 4;
/** An open TCP socket, besides its listeners. */
const SOCKET_VARS = 27;
/** The module cache made by the first require() of a built-in module, and each module in it. */
const MODULE_CACHE_VARS = 10;
const MODULE_VARS = 3;

/** Built-ins Espruino only puts into its root scope when code first uses them: the name and the object (with its
 *  class link for a device object), and for a class its prototype once an instance is made ("new") or a method is
 *  called on a value of it ("methods"). Object, Function and process are there from the start. */
const BUILTINS: { [name: string]: { vars: number; prototype: "new" | "methods" | null } } = {
  Math: { vars: 2, prototype: null }, JSON: { vars: 2, prototype: null }, E: { vars: 2, prototype: null },
  Boolean: { vars: 3, prototype: null }, Date: { vars: 2, prototype: "methods" },
  Array: { vars: 3, prototype: "methods" },
  String: { vars: 3, prototype: "methods" }, Number: { vars: 3, prototype: "methods" },
  RegExp: { vars: 3, prototype: "methods" }, Error: { vars: 3, prototype: "new" },
  ArrayBuffer: { vars: 3, prototype: "new" }, DataView: { vars: 3, prototype: "new" },
  Uint8Array: { vars: 3, prototype: "new" }, Int8Array: { vars: 3, prototype: "new" },
  Uint16Array: { vars: 3, prototype: "new" }, Int16Array: { vars: 3, prototype: "new" },
  Uint32Array: { vars: 3, prototype: "new" }, Int32Array: { vars: 3, prototype: "new" },
  Float32Array: { vars: 3, prototype: "new" }, Float64Array: { vars: 3, prototype: "new" },
  Serial1: { vars: 5, prototype: null }, Serial2: { vars: 5, prototype: null },
  LoopbackA: { vars: 5, prototype: null }, LoopbackB: { vars: 5, prototype: null },
};
const BUILTIN_PROTOTYPE_VARS = 5;

const INLINE_INT_MIN = -8192;
const INLINE_INT_MAX = 8191;
const FLAT_STRING_MIN_BYTES = 29;

function stringVars(length: number): number {
  return Math.floor(length / 10) + 1;
}

function nameVars(length: number): number {
  return length <= 4 ? 1 : 1 + Math.ceil((length - 4) / 10);
}

/** A value that lives in the variable (or name) holding it: what it adds. */
function primitiveVars(v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v === "string") return stringVars(v.length);
  if (typeof v === "number") return Number.isInteger(v) && v >= INLINE_INT_MIN && v <= INLINE_INT_MAX ? 0 : 1;
  return 1;
}

function bufferVars(bytes: number): number {
  return bytes < FLAT_STRING_MIN_BYTES ? stringVars(bytes) : Math.ceil(bytes / 14) + 1;
}

/** A function object with its parameter names, its code and its link to the scopes it was made in. */
function functionVars(shape: FunctionShape): number {
  let vars = 1;
  for (const p of shape.params) vars += nameVars(p.length + 1);
  if (shape.code.kind === "flash") vars += 2;
  else if (shape.code.kind === "ram") vars += 1 + stringVars(shape.code.length);
  const depth = shape.scopes.filter(function (s) { return s.kind !== "class"; }).length;
  if (shape.linked && depth > 0) vars += depth === 1 ? 1 : 2 + depth;
  if (shape.arrowThis) vars += 1;
  if (shape.selfName !== null) vars += 1 + stringVars(shape.selfName.length);
  return vars;
}

const PROTOTYPE_VARS = nameVars("prototype".length) + 1 + nameVars("constructor".length);
const PROTO_LINK_VARS = nameVars("__proto__".length);
const ACCESSOR_VARS = 1 + nameVars("get".length);
/** A RegExp object besides the object variable: "source" and "flags" (then their strings), "lastIndex" and
 *  "__proto__". */
const REGEXP_VARS = nameVars("source".length) + nameVars("flags".length) + nameVars("lastIndex".length) +
  PROTO_LINK_VARS;

/** A class as its declaration makes it, for a class V8 does not show: the constructor, the prototype and the
 *  methods. */
function classVars(shape: ClassShape): number {
  let vars = functionVars(shape.ctor) + PROTOTYPE_VARS + (shape.derived ? PROTO_LINK_VARS : 0);
  for (const m of shape.members) vars += nameVars(m.name.length) + functionVars(m.fn) + (m.accessor ? ACCESSOR_VARS : 0);
  return vars;
}

function declarationVars(shape: FunctionShape | ClassShape): number {
  return "ctor" in shape ? classVars(shape) : functionVars(shape);
}

/** Everything besides the global object's names that keeps the firmware's variables alive. */
export interface DeviceState {
  /** The firmware's realm's global object: the names the firmware added to it are its variables. */
  global: object;
  timers: { fn: unknown; args: unknown[]; repeat: boolean }[];
  /** Listeners on the device's objects (serial ports, Wi-Fi, sockets, E). */
  listeners: unknown[];
  sockets: number;
  /** Bytes each socket holds written and not yet sent, in a string under a hidden name. */
  socketsUnsent: number[];
  /** Built-in modules the firmware has required. */
  modules: number;
  /** What Serial2.setup() keeps on the serial object: "_baudrate" and "_options". */
  serialSetup: { baud: unknown; options: unknown } | null;
  /** Bytes Serial2 holds for read(), in a string under a hidden name. */
  serialBuffered: number;
  /** The firmware itself asks: the functions running count as well. */
  stack: boolean;
}

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

interface CallFrame {
  functionLocation?: { scriptId: string; lineNumber: number; columnNumber: number };
  scopeChain: { type: string; object: RemoteObject }[];
}

let session: inspector.Session | null = null;
/** Where the frames go while the firmware's call stack is being read. */
let onPause: ((frames: CallFrame[]) => void) | null = null;
let debuggerOn = false;

function connected(): inspector.Session {
  if (session === null) {
    session = new inspector.Session();
    session.connect();
  }
  return session;
}

/** The in-process inspector answers synchronously; a session is shared by every emulator in the process. */
function post<T>(method: string, params: object): T {
  let out: T | undefined;
  let failure: Error | null = null;
  let answered = false;
  connected().post(method, params, function (error, result) {
    failure = error;
    out = result as T;
    answered = true;
  });
  if (!answered) throw new Error("the inspector did not answer synchronously (" + method + ")");
  if (failure) throw failure;
  return out as T;
}

/** The call stack at this point, paused in V8's debugger. The debugger stays on once used: switching it on makes
 *  V8 report every script of the process, which takes far longer than a pause. */
function callStack(readFrames: (frames: CallFrame[]) => void): void {
  if (!debuggerOn) {
    connected().on("Debugger.paused", function (message: { params: { callFrames: CallFrame[] } }) {
      const take = onPause;
      onPause = null;
      try {
        if (take) take(message.params.callFrames);
      } finally {
        post("Debugger.resume", {});
      }
    });
    post("Debugger.enable", {});
    debuggerOn = true;
  }
  let failure: unknown = null;
  let read = false;
  onPause = function (frames) {
    read = true;
    try {
      readFrames(frames);
    } catch (e) {
      failure = e;
    }
  };
  // The pause itself: the handler above reads the frames and resumes before this statement completes.
  // eslint-disable-next-line no-debugger
  debugger;
  onPause = null;
  if (failure) throw failure;
  if (!read) throw new Error("the memory estimate cannot read the firmware's call stack: V8's debugger did not pause");
}

const GROUP = "emulator-memory";
/** The probe slot in Node's global through which objects pass to and from the inspector. */
const PROBE = "__emulatorMemoryProbe";

function probeGlobal(): { [PROBE]?: unknown } {
  return globalThis as unknown as { [PROBE]?: unknown };
}

/** The inspector id of `value`. */
function remoteId(value: unknown): string {
  const probe = probeGlobal();
  probe[PROBE] = value;
  const out = post<{ result: RemoteObject }>("Runtime.evaluate", { expression: "globalThis." + PROBE, objectGroup: GROUP });
  probe[PROBE] = undefined;
  return out.result.objectId as string;
}

function properties(objectId: string): Properties {
  return post<Properties>("Runtime.getProperties", { objectId, ownProperties: true, objectGroup: GROUP });
}

/** Where objects come back from the inspector: an array, filled by calling `push` on the object `objectId`.
 *  The inspector passes only objects it has named in the same context as that object, so an object it named
 *  while V8 was paused in the firmware goes to an array reached through the firmware's global object. */
interface Holder {
  values: unknown[];
  objectId: string;
  push: string;
}

const PUSH = "function () { for (var i = 0; i < arguments.length; i++) this.push(arguments[i]); }";
const PUSH_TO_PROBE = "function () { var a = this." + PROBE + "; for (var i = 0; i < arguments.length; i++) " +
  "a.push(arguments[i]); }";

/** The values behind inspector results, objects brought back as JavaScript values in one call. */
function resolve(remotes: RemoteObject[], holder: Holder): unknown[] {
  const ids: string[] = [];
  for (const r of remotes) if (r.objectId) ids.push(r.objectId);
  holder.values.length = 0;
  if (ids.length > 0) {
    post("Runtime.callFunctionOn", {
      objectId: holder.objectId,
      functionDeclaration: holder.push,
      arguments: ids.map(function (id) { return { objectId: id }; }),
      objectGroup: GROUP,
    });
  }
  const objects = holder.values.splice(0, holder.values.length);
  let at = 0;
  return remotes.map(function (r) {
    if (r.objectId) return objects[at++];
    if (r.unserializableValue !== undefined) return Number(r.unserializableValue);
    if (r.subtype === "null") return null;
    return r.value;
  });
}

/** A scope's variables as V8 shows them. */
interface SeenScope {
  names: string[];
  values: unknown[];
}

function readScope(objectId: string, holder: Holder): SeenScope {
  const vars = properties(objectId).result;
  return {
    names: vars.map(function (v) { return v.name; }),
    values: resolve(vars.map(function (v) { return v.value || { type: "undefined" }; }), holder),
  };
}

/** V8's scopes that Espruino has as scopes too, as [[Scopes]] describes them and as a call frame names them
 *  (Script and Global are the global object's). */
function isLocalScope(description: string): boolean {
  return /^(Closure|Block|Catch)/.test(description);
}

const FRAME_SCOPES = ["local", "closure", "block", "catch"];

/** A scope instance met on the call stack, for closures of the same call to be recognised by its values. */
interface StackScope {
  scope: ScopeShape;
  key: string;
  seen: SeenScope;
}

/** One measurement. */
class Census {
  usage = 0;
  private readonly visited = new Set<object>();
  private readonly ids = new Map<object, number>();
  private readonly instances = new Set<string>();
  private readonly stackScopes: StackScope[] = [];
  private queue: unknown[] = [];
  private functions: object[] = [];
  private holder: Holder | null = null;

  constructor(private readonly meter: MemoryMeter) {}

  value(v: unknown): void {
    if (isObject(v)) this.queue.push(v);
    else this.usage += primitiveVars(v);
  }

  add(vars: number): void {
    this.usage += vars;
  }

  run(): void {
    while (this.queue.length > 0 || this.functions.length > 0) {
      while (this.queue.length > 0) this.visit(this.queue.pop());
      const batch = this.functions;
      this.functions = [];
      if (batch.length > 0) this.closures(batch);
    }
    post("Runtime.releaseObjectGroup", { objectGroup: GROUP });
  }

  /** The scopes of the functions running now, read while V8 is paused (object ids end with the pause). */
  stack(realmGlobal: object): void {
    const self = this;
    const values: unknown[] = [];
    Object.defineProperty(realmGlobal, PROBE, { value: values, configurable: true });
    try {
      // Outermost first: a running function's own view of its scope shows every variable, the view of the
      // functions it calls only those some closure uses.
      callStack(function (frames) {
        for (const frame of frames.slice().reverse()) self.frame(frame, values);
      });
    } finally {
      delete (realmGlobal as { [PROBE]?: unknown })[PROBE];
    }
  }

  private frame(frame: CallFrame, values: unknown[]): void {
    const loc = frame.functionLocation;
    const shape = loc ? this.meter.shapeInScript(loc.scriptId, loc.lineNumber, loc.columnNumber) : null;
    const global = frame.scopeChain.find(function (s) { return s.type === "global"; });
    if (!shape || !shape.own || !global || !global.object.objectId) return;
    const holder: Holder = { values, objectId: global.object.objectId, push: PUSH_TO_PROBE };
    let own: SeenScope | null = null;
    const outer: SeenScope[] = [];
    for (const s of frame.scopeChain) {
      if (!s.object.objectId || FRAME_SCOPES.indexOf(s.type) < 0) continue;
      const seen = readScope(s.object.objectId, holder);
      if (s.type === "local") own = seen;
      else if (own) outer.push(seen);
      // A block of the running function: a scope Espruino has while the block runs.
      else this.blockInstance(seen);
    }
    const key = this.instance(shape.own, own, "frame");
    if (own) this.stackScopes.push({ scope: shape.own, key, seen: own });
    this.chain(shape.scopes, align(shape.scopes, outer), key);
  }

  private blockInstance(seen: SeenScope): void {
    const key = "block:" + this.signature(seen);
    if (this.instances.has(key)) return;
    this.instances.add(key);
    this.usage += 1;
    for (let i = 0; i < seen.names.length; i++) {
      this.usage += nameVars(seen.names[i].length);
      this.value(seen.values[i]);
    }
  }

  private holderFor(): Holder {
    if (this.holder === null) {
      const values: unknown[] = [];
      this.holder = { values, objectId: remoteId(values), push: PUSH };
    }
    return this.holder;
  }

  private visit(v: unknown): void {
    if (!isObject(v) || this.visited.has(v) || this.meter.isBaseline(v) || types.isProxy(v)) return;
    this.visited.add(v);
    const isFunction = typeof v === "function";
    // A function of the firmware is counted from its shape with its scopes (closures()).
    if (!isFunction || !this.meter.inRealm(v)) this.usage++;
    if (types.isArrayBuffer(v)) {
      this.usage += bufferVars((v as ArrayBuffer).byteLength);
      return;
    }
    if (ArrayBuffer.isView(v)) {
      this.queue.push((v as ArrayBufferView).buffer);
      return;
    }
    if (types.isRegExp(v)) {
      const r = v as RegExp;
      this.meter.use("RegExp", true);
      this.usage += REGEXP_VARS + stringVars(r.source.length) + stringVars(r.flags.length);
      return;
    }
    const isClass = isFunction && /^class\b/.test(Function.prototype.toString.call(v));
    if (isFunction) {
      // Functions of Node's realm are the emulator's own, handed in as built-ins: a native function variable.
      if (!this.meter.inRealm(v)) return;
      this.functions.push(v);
    } else if (!Array.isArray(v)) {
      const proto = Object.getPrototypeOf(v);
      if (isObject(proto) && !this.meter.isBaseline(proto)) {
        this.usage += PROTO_LINK_VARS;
        this.queue.push(proto);
      }
    }
    const array = Array.isArray(v);
    for (const key of Object.getOwnPropertyNames(v)) {
      // Array length and a function's name and length are not variables of their own (nor are a sloppy
      // function's arguments and caller, which only code typed at the REPL has).
      if (key === "length" && (array || isFunction)) continue;
      if (isFunction && (key === "name" || key === "arguments" || key === "caller")) continue;
      const d = Object.getOwnPropertyDescriptor(v, key);
      if (!d) continue;
      // A plain function's untouched prototype: V8 makes it eagerly, Espruino only when it is used.
      if (key === "prototype" && isFunction && !isClass && isBarePrototype(d.value, v)) continue;
      const index = array && /^(0|[1-9][0-9]*)$/.test(key);
      this.usage += index ? 1 : nameVars(key.length);
      if ("value" in d) {
        // An element's integer name holds a boolean itself, as any name holds a small integer.
        if (!(index && typeof d.value === "boolean")) this.value(d.value);
      } else {
        // Espruino keeps a getter and a setter in a Getter/Setter variable, under the names "get" and "set".
        this.usage += 1;
        if (d.get) this.usage += nameVars(3);
        if (d.set) this.usage += nameVars(3);
        this.value(d.get);
        this.value(d.set);
      }
    }
  }

  /** Each function's own variables and the scopes it holds; values in those scopes lead to more objects. */
  private closures(fns: object[]): void {
    // Most functions are made in the bundle's outermost scope only: once their shape is known and that scope is
    // counted, V8 has nothing more to tell about them.
    const unread: object[] = [];
    for (const fn of fns) {
      const shape = this.meter.knownShape(fn);
      if (shape === undefined || shape !== null && shape.linked && !this.onlyCounted(shape.scopes)) unread.push(fn);
      else this.usage += shape === null ? fallbackVars(fn as (...args: unknown[]) => unknown) : functionVars(shape);
    }
    if (unread.length === 0) return;
    const holder = this.holderFor();
    const list = properties(remoteId(unread)).result;
    for (let i = 0; i < unread.length; i++) {
      const element = list.find(function (e) { return e.name === String(i); });
      if (!element || !element.value || !element.value.objectId) continue;
      const internals = properties(element.value.objectId).internalProperties || [];
      const location = internals.find(function (p) { return p.name === "[[FunctionLocation]]"; });
      const scopes = internals.find(function (p) { return p.name === "[[Scopes]]"; });
      const where = location && location.value && location.value.value as
        { scriptId: string; lineNumber: number; columnNumber: number } | undefined;
      const fn = unread[i] as (...args: unknown[]) => unknown;
      const shape = this.meter.shapeOf(fn, where || null);
      if (!shape) {
        this.usage += fallbackVars(fn);
        continue;
      }
      this.usage += functionVars(shape);
      // A function without code keeps no scope alive.
      if (!shape.linked) continue;
      const entries = scopes && scopes.value && scopes.value.objectId ?
        properties(scopes.value.objectId).result.filter(function (e) {
          return !!e.value && !!e.value.objectId && isLocalScope(e.value.description || "");
        }) : [];
      const seen = this.readChain(shape.scopes, entries, holder);
      this.chain(shape.scopes, align(shape.scopes, seen), "fn" + this.id(fn));
    }
  }

  /** Whether every scope of `chain` is one made once per run and already counted. */
  private onlyCounted(chain: ScopeShape[]): boolean {
    const instances = this.instances;
    return chain.every(function (s) { return s.kind === "class" || s.once && instances.has(onceKey(s)); });
  }

  /** The variables of a closure's V8 scopes. The bundle's outermost scope, which nearly every function shares, is
   *  read once per measurement. */
  private readChain(chain: ScopeShape[], entries: PropertyDescriptor[], holder: Holder): (SeenScope | null)[] {
    const outermost = chain.filter(function (s) { return s.kind !== "class"; }).pop();
    const skipLast = !!outermost && outermost.once && this.instances.has(onceKey(outermost));
    return entries.map(function (e, i) {
      if (skipLast && i === entries.length - 1) return null;
      return readScope((e.value as RemoteObject).objectId as string, holder);
    });
  }

  /** Counts the scope instances of a chain once each. `aligned[k]` is what V8 shows of `chain[k]`, if anything;
   *  a scope V8 keeps no context for is told apart by the nearest inner one it does keep. */
  private chain(chain: ScopeShape[], aligned: (SeenScope | null | undefined)[], innermost: string): void {
    let inner = innermost;
    for (let k = 0; k < chain.length; k++) {
      const scope = chain[k];
      const seen = aligned[k];
      if (scope.kind === "class") {
        if (seen) for (const v of seen.values) this.value(v);
        continue;
      }
      const key = this.instance(scope, seen === undefined ? null : seen, inner);
      if (seen) inner = key;
    }
  }

  /** One Espruino scope object, counted the first time it is met: a name per declared variable, with the values
   *  V8 shows, and function and class declarations V8 dropped costed from the source. Returns its key. */
  private instance(scope: ScopeShape, seen: SeenScope | null, inner: string): string {
    let key: string;
    if (scope.once) key = onceKey(scope);
    else if (seen) key = this.stackKey(scope, seen) || "s" + scope.id + ":" + this.signature(seen);
    else key = "s" + scope.id + "@" + inner;
    if (this.instances.has(key)) return key;
    this.instances.add(key);
    this.usage += 1;
    for (const name of scope.names) {
      this.usage += nameVars(name.length);
      const at = seen ? seen.names.indexOf(name) : -1;
      if (at >= 0) continue;
      const declared = scope.declared.get(name);
      if (declared) this.usage += declarationVars(declared);
    }
    if (seen) {
      for (let i = 0; i < seen.names.length; i++) {
        if (scope.names.indexOf(seen.names[i]) >= 0) this.value(seen.values[i]);
        else if (isObject(seen.values[i])) this.queue.push(seen.values[i]);
      }
    }
    return key;
  }

  /** The key of a scope met on the call stack whose values agree with what a closure shows of it. */
  private stackKey(scope: ScopeShape, seen: SeenScope): string | null {
    for (const s of this.stackScopes) {
      if (s.scope !== scope) continue;
      const agrees = seen.names.every(function (name, i) {
        const at = s.seen.names.indexOf(name);
        return at >= 0 && Object.is(s.seen.values[at], seen.values[i]);
      });
      if (agrees) return s.key;
    }
    return null;
  }

  private signature(seen: SeenScope): string {
    const self = this;
    return seen.names.map(function (name, i) {
      const v = seen.values[i];
      return name + (isObject(v) ? "#" + self.id(v) : "=" + typeof v + ":" + String(v));
    }).join("|");
  }

  private id(o: object): number {
    let n = this.ids.get(o);
    if (n === undefined) {
      n = this.ids.size;
      this.ids.set(o, n);
    }
    return n;
  }
}

function onceKey(scope: ScopeShape): string {
  return "once" + scope.id;
}

/** Lines V8's scopes (innermost first) up with the scopes of the source: each goes to the first scope, from
 *  where the previous one matched, that declares all its names. V8 leaves out scopes no closure uses. */
function align(chain: ScopeShape[], seen: (SeenScope | null)[]): (SeenScope | null | undefined)[] {
  const out: (SeenScope | null | undefined)[] = chain.map(function () { return undefined; });
  let k = 0;
  for (let i = 0; i < seen.length; i++) {
    const s = seen[i];
    if (s === null) {
      // Not read: the outermost scope, already counted.
      const last = lastIndex(chain);
      if (last >= k) out[last] = null;
      continue;
    }
    for (let j = k; j < chain.length; j++) {
      const names = chain[j].names;
      if (s.names.length > 0 && s.names.every(function (n) { return names.indexOf(n) >= 0; })) {
        out[j] = s;
        k = j + 1;
        break;
      }
    }
  }
  return out;
}

function lastIndex(chain: ScopeShape[]): number {
  for (let j = chain.length - 1; j >= 0; j--) if (chain[j].kind !== "class") return j;
  return -1;
}

/** A function whose source is not known (typed at the REPL): one-letter parameters, code, one scope. */
function fallbackVars(fn: (...args: unknown[]) => unknown): number {
  return 1 + fn.length * nameVars(2) + 2 + 1;
}

export class MemoryMeter {
  /** Built-ins and emulator objects: present before the firmware ran, so not the firmware's. */
  private readonly baseline = new WeakSet<object>();
  private readonly baselineNames: Set<string>;
  private readonly sources: CodeIndex[];
  /** V8 script ids of the firmware's scripts, null for scripts that are not. */
  private readonly scripts = new Map<string, CodeIndex | null>();
  /** Functions' shapes, found once: null for a function whose source is not known. */
  private readonly shapes = new WeakMap<object, FunctionShape | null>();
  /** Built-ins the firmware has used, and those whose prototype it has used. */
  private readonly used = new Set<string>();
  private readonly prototypesUsed = new Set<string>();

  /** `code`: the scripts the firmware runs from Storage. */
  constructor(private readonly realmFunctionPrototype: object, private readonly realmGlobal: object,
    code: string[]) {
    this.sources = code.map(function (c) { return new CodeIndex(c); });
    this.baselineNames = new Set(Object.getOwnPropertyNames(realmGlobal));
    const seen = this.baseline;
    const stack: unknown[] = [realmGlobal];
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
    this.watchBuiltins(realmGlobal as { [name: string]: unknown });
  }

  /** Notes the first read of each built-in in BUILTINS, and of each method of the prototypes Espruino makes when a
   *  method is first used: the property is an accessor until then, which puts the original back. */
  private watchBuiltins(g: { [name: string]: unknown }): void {
    const self = this;
    for (const name of Object.keys(BUILTINS)) {
      const ctor = g[name] as { prototype?: object } | undefined;
      watch(g, name, function () { self.use(name, false); });
      if (BUILTINS[name].prototype === "methods" && ctor && isObject(ctor.prototype)) {
        const proto = ctor.prototype;
        for (const key of Reflect.ownKeys(proto)) {
          if (key !== "constructor") watch(proto, key, function () { self.use(name, true); });
        }
      }
    }
  }

  /** A script the firmware runs after boot (eval), whose functions are then known too. */
  addCode(code: string): void {
    if (!this.sources.some(function (s) { return s.code === code; })) this.sources.push(new CodeIndex(code));
  }

  use(name: string, prototype: boolean): void {
    this.used.add(name);
    if (prototype) this.prototypesUsed.add(name);
  }

  private builtinVars(): number {
    let vars = 0;
    for (const name of Array.from(this.used)) {
      const b = BUILTINS[name];
      vars += b.vars;
      if (b.prototype === "new" || this.prototypesUsed.has(name)) vars += BUILTIN_PROTOTYPE_VARS;
    }
    return vars;
  }

  /** The variables in use, as process.memory().usage gives them. */
  count(device: DeviceState): number {
    const census = new Census(this);
    census.add(EMPTY_INTERPRETER_VARS);
    if (device.stack) census.stack(this.realmGlobal);
    const g = this.realmGlobal;
    for (const name of Object.getOwnPropertyNames(g)) {
      if (this.baselineNames.has(name)) continue;
      const d = Object.getOwnPropertyDescriptor(g, name);
      if (!d) continue;
      census.add(nameVars(name.length));
      census.value(d.value);
      census.value(d.get);
      census.value(d.set);
    }
    for (const t of device.timers) {
      census.add(t.repeat ? INTERVAL_VARS : TIMEOUT_VARS);
      if (t.args.length > 0) census.add(TIMER_ARGS_VARS + t.args.length);
      census.value(t.fn);
      for (const a of t.args) census.value(a);
    }
    for (const fn of device.listeners) {
      census.add(LISTENER_VARS);
      census.value(fn);
    }
    census.add(device.sockets * SOCKET_VARS);
    // What a send buffer holds: a variable per 10 bytes (5,000 bytes unsent took 501 on Espruino 2v29).
    for (const n of device.socketsUnsent) census.add(stringVars(n) - 1);
    if (device.modules > 0) census.add(MODULE_CACHE_VARS + device.modules * MODULE_VARS);
    if (device.serialSetup) {
      census.add(nameVars("_baudrate".length) + primitiveVars(device.serialSetup.baud) + nameVars("_options".length));
      census.value(device.serialSetup.options);
    }
    if (device.serialBuffered > 0) census.add(1 + stringVars(device.serialBuffered));
    census.run();
    // After the walk, which notes the RegExp objects it meets.
    census.add(this.builtinVars());
    return census.usage;
  }

  isBaseline(v: object): boolean {
    return this.baseline.has(v);
  }

  inRealm(fn: object): boolean {
    let p = Object.getPrototypeOf(fn);
    while (p !== null) {
      if (p === this.realmFunctionPrototype) return true;
      p = Object.getPrototypeOf(p);
    }
    return false;
  }

  /** The source shape of `fn` once shapeOf() has looked it up; null when it is not the firmware's. */
  knownShape(fn: object): FunctionShape | null | undefined {
    return this.shapes.get(fn);
  }

  /** The source shape of `fn`, which V8 places at `where` (its [[FunctionLocation]]). */
  shapeOf(fn: (...args: unknown[]) => unknown,
    where: { scriptId: string; lineNumber: number; columnNumber: number } | null): FunctionShape | null {
    let shape = this.shapes.get(fn);
    if (shape === undefined) {
      shape = where ? this.lookUp(Function.prototype.toString.call(fn), where.scriptId, where.lineNumber,
        where.columnNumber) : null;
      this.shapes.set(fn, shape);
    }
    return shape;
  }

  private lookUp(text: string, scriptId: string, line: number, column: number): FunctionShape | null {
    const known = this.scripts.get(scriptId);
    if (known !== undefined) return known ? known.at(line, column, text) : null;
    for (const index of this.sources) {
      const shape = index.at(line, column, text);
      if (shape) {
        this.scripts.set(scriptId, index);
        return shape;
      }
    }
    return null;
  }

  /** The shape of the function running at `line`/`column` of script `scriptId` (a call frame shows no function
   *  object to compare with, so the script's source is asked of the debugger). */
  shapeInScript(scriptId: string, line: number, column: number): FunctionShape | null {
    let index = this.scripts.get(scriptId);
    if (index === undefined) {
      const source = post<{ scriptSource: string }>("Debugger.getScriptSource", { scriptId }).scriptSource;
      index = this.sources.find(function (s) { return s.code === source; }) || null;
      this.scripts.set(scriptId, index);
    }
    return index ? index.at(line, column, null) : null;
  }
}

/** Makes the data property `key` of `target` an accessor that calls `first` once and then puts the property back. */
function watch(target: object, key: string | symbol, first: () => void): void {
  const d = Object.getOwnPropertyDescriptor(target, key);
  if (!d || !("value" in d) || !d.configurable) return;
  const restore = function (): void { Object.defineProperty(target, key, d); };
  Object.defineProperty(target, key, {
    configurable: true,
    enumerable: d.enumerable,
    get: function () {
      restore();
      first();
      return d.value;
    },
    set: function (value: unknown) {
      restore();
      (target as { [k: string | symbol]: unknown })[key] = value;
    },
  });
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
