// The Espruino compatibility lint: everything in lib/ and firmware/ runs on the device, whose interpreter lacks
// syntax and APIs that TypeScript and esbuild happily pass through (../shared/docs/espruino.md, A2).
import tseslint from "typescript-eslint";
import { regexProblem } from "./scripts/espruino/regex-support.js";

const espruinoSyntax = [
  ["AssignmentPattern", "default values and default parameters"],
  ["ObjectPattern", "destructuring"],
  ["ArrayPattern", "destructuring"],
  ["RestElement", "rest parameters and rest elements"],
  ["SpreadElement", "spread"],
  ["Property[computed=true]", "computed object keys"],
  ["[generator=true]", "generators"],
  ["[async=true]", "async functions (esbuild lowers them to generators)"],
  ["AwaitExpression", "await"],
  ["LabeledStatement", "labels"],
  ["TaggedTemplateExpression", "tagged templates"],
  ["MetaProperty", "new.target / import.meta"],
  ["PrivateIdentifier", "#private fields (esbuild lowers them to WeakMap)"],
  ["ClassDeclaration[superClass.name='Error']", "classes extending Error"],
  ["ClassExpression[superClass.name='Error']", "classes extending Error"],
  ["TSParameterProperty[parameter.type='AssignmentPattern']", "parameter properties with defaults"],
  ["ForOfStatement > VariableDeclaration.left > VariableDeclarator > ObjectPattern", "destructuring"],
  ["ForStatement[init.kind='let'] > :not(VariableDeclaration) :matches(FunctionExpression, ArrowFunctionExpression)",
    "closures inside `for (let ...)` loops (every iteration shares one binding); use forEach or a helper function"],
  ["TSEnumDeclaration:not([const=true])", "enums (esbuild emits an IIFE with computed assignments that depends on ordering); a module's own `const enum` is inlined and leaves nothing behind"],
  ["ExportNamedDeclaration > TSEnumDeclaration", "exported enums (esbuild keeps an exported `const enum` as an object built by an IIFE)"],
].map(function (pair) {
  return { selector: pair[0], message: "Espruino does not support " + pair[1] + "." };
});

const missingGlobals = ["Map", "Set", "WeakMap", "WeakSet", "WeakRef", "Symbol", "Reflect", "Proxy", "BigInt",
  "TextDecoder", "TextEncoder", "queueMicrotask", "setImmediate", "RangeError", "escape", "unescape", "Buffer"]
  .map(function (name) {
  return { name: name, message: name + " does not exist on Espruino." };
});

const missingProperties = [
  ["Number", ["isFinite", "isInteger", "isNaN", "isSafeInteger", "parseInt", "parseFloat", "MAX_SAFE_INTEGER", "EPSILON"]],
  ["Math", ["trunc", "fround", "imul", "clz32", "log2", "log10", "hypot", "cbrt", "sinh", "expm1", "log1p"]],
  ["Array", ["from", "of"]],
  ["Object", ["is", "freeze", "seal", "getOwnPropertySymbols"]],
  ["Date", ["UTC"]],
  ["String", ["raw", "fromCodePoint"]],
  ["ArrayBuffer", ["isView"]],
  ["Promise", ["race", "allSettled", "any"]],
].reduce(function (all, entry) {
  return all.concat(entry[1].map(function (property) {
    return { object: entry[0], property: property, message: entry[0] + "." + property + " does not exist on Espruino." };
  }));
}, []);

// Called methods only: a property of our own may share a name (`r.at`); strings do have lastIndexOf.
const missingMethods = ["flat", "flatMap", "at", "copyWithin", "reduceRight", "trimStart",
  "trimEnd", "replaceAll", "codePointAt", "normalize", "localeCompare", "matchAll", "finally", "toPrecision",
  "setUTCHours", "toLocaleString", "propertyIsEnumerable", "isPrototypeOf"].map(function (name) {
  return { selector: "CallExpression > MemberExpression.callee[computed=false] > Identifier.property[name='" + name + "']",
    message: "." + name + "() does not exist on Espruino." };
});

/** Regular expressions, as literals or `RegExp("...")` with a literal string, checked against what Espruino's
 *  engine can match (scripts/espruino/regex-support.js). */
const regexRule = {
  meta: { type: "problem", schema: [] },
  create(context) {
    function check(node, pattern, flags) {
      const problem = regexProblem(pattern, flags);
      if (problem) context.report({ node, message: "Espruino's regular expressions do not support " + problem + "." });
    }
    function constructed(node) {
      const args = node.arguments;
      if (node.callee.type !== "Identifier" || node.callee.name !== "RegExp" || args.length === 0) return;
      const flags = args[1];
      if (args[0].type === "Literal" && typeof args[0].value === "string") {
        check(node, args[0].value, flags && flags.type === "Literal" ? String(flags.value) : "");
      }
    }
    return {
      Literal(node) {
        if (node.regex) check(node, node.regex.pattern, node.regex.flags);
      },
      NewExpression: constructed,
      CallExpression: constructed,
    };
  },
};

// lib/ also runs in Node, where `process` means something else; only the firmware may use Espruino's.
const nodeOnly = [{ name: "process", message: "lib/ must not depend on the host: pass what it needs in." }];

export default [
  { ignores: ["node_modules/**", "dist/**"] },
  {
    files: ["lib/**/*.ts", "firmware/**/*.ts"],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: "module" },
    plugins: { "@typescript-eslint": tseslint.plugin, espruino: { rules: { regex: regexRule } } },
    rules: {
      "espruino/regex": "error",
      "no-use-before-define": "off",
      "@typescript-eslint/no-use-before-define": ["error", { functions: true, classes: true, variables: true }],
      "no-loop-func": "error",
      // Shorter bundles: every byte counts against the firmware's size budget.
      "prefer-arrow-callback": "error",
      "object-shorthand": ["error", "always"],
      "no-var": "error",
      "no-restricted-syntax": ["error"].concat(espruinoSyntax, missingMethods),
      "no-restricted-globals": ["error"].concat(missingGlobals),
      "no-restricted-properties": ["error"].concat(missingProperties),
    },
  },
  {
    files: ["lib/**/*.ts"],
    rules: { "no-restricted-globals": ["error"].concat(missingGlobals, nodeOnly) },
  },
];
