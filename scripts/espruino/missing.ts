// What the Espruino interpreter (2v29) lacks, from ../shared/docs/espruino.md A2. One list feeds both the bundle
// checker and the Espruino-shaped test context, so that what the checker rejects and what the context removes
// cannot drift apart. (eslint.config.js keeps its own copy because it is plain JavaScript loaded by ESLint.)

/** Globals that do not exist at all. */
export const MISSING_GLOBALS: readonly string[] = ["Map", "Set", "WeakMap", "WeakSet", "WeakRef", "Symbol", "Proxy",
  "Reflect", "BigInt", "TextEncoder", "TextDecoder", "queueMicrotask", "setImmediate", "RangeError", "escape",
  "unescape"];

/** Engine globals that V8 puts into every context but that are not among Espruino's built-in classes either. */
export const MISSING_ENGINE_GLOBALS: readonly string[] = ["Intl", "WebAssembly", "SharedArrayBuffer", "Atomics",
  "FinalizationRegistry", "AggregateError", "EvalError", "URIError", "BigInt64Array", "BigUint64Array"];

/** Static members, by the global that would own them. */
export const MISSING_STATICS: { readonly [owner: string]: readonly string[] } = {
  Number: ["isFinite", "isInteger", "isNaN", "isSafeInteger", "parseInt", "parseFloat", "MAX_SAFE_INTEGER", "EPSILON"],
  Math: ["trunc", "fround", "imul", "clz32", "log2", "log10", "hypot", "cbrt", "sinh", "expm1", "log1p"],
  Array: ["from", "of"],
  Object: ["is", "freeze", "seal", "getOwnPropertySymbols"],
  Date: ["UTC"],
  String: ["raw", "fromCodePoint"],
  ArrayBuffer: ["isView"],
  Promise: ["race", "allSettled", "any"],
};

/** Instance methods, by the prototype that would own them. "TypedArray" is the shared prototype of all typed
 *  arrays. Array entries/keys/values are gone too; for-of still works because it goes through the separate
 *  Symbol.iterator slot, which the engine keeps. */
export const MISSING_METHODS: { readonly [owner: string]: readonly string[] } = {
  Array: ["flat", "flatMap", "at", "copyWithin", "lastIndexOf", "reduceRight", "entries", "keys", "values"],
  String: ["at", "trimStart", "trimEnd", "replaceAll", "codePointAt", "normalize", "localeCompare", "matchAll",
    "search"],
  TypedArray: ["lastIndexOf", "copyWithin", "at"],
  ArrayBuffer: ["slice"],
  Promise: ["finally"],
  Number: ["toPrecision"],
  Date: ["setUTCHours", "toLocaleString"],
  Object: ["propertyIsEnumerable", "isPrototypeOf"],
};

/** Missing method names that Espruino does have on another receiver (String.prototype.lastIndexOf, the slice of
 *  arrays, strings and typed arrays), so a call cannot be judged from its name alone. */
export const METHODS_PRESENT_ELSEWHERE: readonly string[] = ["lastIndexOf", "slice"];

/** Built-in error classes; `class X extends <one of these>` breaks `super(msg)` on Espruino. */
export const ERROR_CLASSES: readonly string[] = ["Error", "TypeError", "SyntaxError", "ReferenceError", "RangeError",
  "EvalError", "URIError", "InternalError", "AggregateError"];
