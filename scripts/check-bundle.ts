// Rejects what the Espruino interpreter cannot run (../shared/docs/espruino.md A2) in a bundled script. The lint
// sees the TypeScript; this sees what esbuild actually emitted, helpers included, and it is the last look at
// code that Espruino parses lazily (a function body is only parsed when it runs, so a device test would miss
// syntax in code it never reached).
//
//   npm run check-bundle -- dist/app.js [more.js ...]
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parse, type AnyNode, type Expression, type Pattern, type Program } from "acorn";
import { fullAncestor, recursive, base, type RecursiveVisitors, type WalkerCallback } from "acorn-walk";
import {
  ERROR_CLASSES, METHODS_PRESENT_ELSEWHERE, MISSING_ENGINE_GLOBALS, MISSING_GLOBALS, MISSING_METHODS,
  MISSING_STATICS,
} from "./espruino/missing";
import { parseCommandLine, runCli, UsageError } from "./cli";
import { regexProblem } from "./espruino/regex-support.js";

export interface Violation {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
  snippet: string;
}

const MISSING_GLOBAL_NAMES = new Set(MISSING_GLOBALS.concat(MISSING_ENGINE_GLOBALS));

/** Owner -> missing statics; `globalThis.Map` counts as a static of globalThis. */
const MISSING_MEMBERS = new Map<string, Set<string>>(Object.keys(MISSING_STATICS).map(function (owner) {
  return [owner, new Set(MISSING_STATICS[owner])] as [string, Set<string>];
}).concat([["globalThis", MISSING_GLOBAL_NAMES]]));

/** Method names judged at call sites: those missing everywhere Espruino has a method of that name. */
const MISSING_METHOD_NAMES = new Set(Object.keys(MISSING_METHODS).reduce(function (all: string[], owner) {
  return all.concat(MISSING_METHODS[owner]);
}, []).filter(function (name) { return METHODS_PRESENT_ELSEWHERE.indexOf(name) < 0; }));

/** Statics Espruino does have that share a name with a missing method (Object.keys vs Array.prototype.keys). */
const PRESENT_STATICS = new Map<string, string[]>([["Object", ["keys", "values", "entries"]]]);

const ERROR_CLASS_NAMES = new Set(ERROR_CLASSES);

// ---------------------------------------------------------------------------------------------------------------
// Scopes: enough to tell a local binding from a global, so that minified names that happen to collide with a
// global or with an alias elsewhere are not mistaken for it.

type ScopeNode = AnyNode;

function patternNames(pattern: Pattern | null, out: string[]): string[] {
  if (!pattern) return out;
  switch (pattern.type) {
    case "Identifier": out.push(pattern.name); break;
    case "ObjectPattern":
      for (const prop of pattern.properties) patternNames(prop.type === "RestElement" ? prop : prop.value, out);
      break;
    case "ArrayPattern": for (const element of pattern.elements) patternNames(element, out); break;
    case "RestElement": patternNames(pattern.argument, out); break;
    case "AssignmentPattern": patternNames(pattern.left, out); break;
    default: break;
  }
  return out;
}

function isFunction(node: AnyNode): boolean {
  return node.type === "FunctionDeclaration" || node.type === "FunctionExpression" ||
    node.type === "ArrowFunctionExpression";
}

/** The direct child nodes of a node, in source order. */
function children(node: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const key of Object.keys(node)) {
    const value = (node as unknown as { [key: string]: unknown })[key];
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      if (item && typeof item === "object" && typeof (item as AnyNode).type === "string") out.push(item as AnyNode);
    }
  }
  return out.sort(function (a, b) { return a.start - b.start; });
}

/** `var` names declared in a subtree, not counting nested functions. */
function varNames(node: AnyNode, out: string[]): string[] {
  if (node.type === "VariableDeclaration" && node.kind === "var") {
    for (const declarator of node.declarations) patternNames(declarator.id, out);
  }
  for (const child of children(node)) if (!isFunction(child)) varNames(child, out);
  return out;
}

/** Names a statement declares in the block it sits in (function declarations included). */
function lexicalNames(statement: AnyNode, out: string[]): string[] {
  if (statement.type === "VariableDeclaration" && statement.kind !== "var") {
    for (const declarator of statement.declarations) patternNames(declarator.id, out);
  } else if ((statement.type === "FunctionDeclaration" || statement.type === "ClassDeclaration") && statement.id) {
    out.push(statement.id.name);
  }
  return out;
}

const scopeCache = new WeakMap<AnyNode, Set<string> | null>();

/** The names a node binds for the code inside it, or null when it is not a scope. */
function scopeNames(node: ScopeNode): Set<string> | null {
  if (scopeCache.has(node)) return scopeCache.get(node) as Set<string> | null;
  let names: string[] | null = null;
  switch (node.type) {
    case "Program":
      names = varNames(node, []);
      for (const statement of node.body) lexicalNames(statement, names);
      break;
    case "FunctionDeclaration":
    case "FunctionExpression":
    case "ArrowFunctionExpression":
      names = [];
      for (const param of node.params) patternNames(param, names);
      if (node.type === "FunctionExpression" && node.id) names.push(node.id.name);
      if (node.body.type === "BlockStatement") {
        varNames(node.body, names);
        for (const statement of node.body.body) lexicalNames(statement, names);
      }
      break;
    case "BlockStatement":
    case "StaticBlock":
      names = [];
      for (const statement of node.body) lexicalNames(statement, names);
      break;
    case "SwitchStatement":
      names = [];
      for (const switchCase of node.cases) {
        for (const statement of switchCase.consequent) lexicalNames(statement, names);
      }
      break;
    case "ForStatement":
      names = node.init && node.init.type === "VariableDeclaration" ? lexicalNames(node.init, []) : [];
      break;
    case "ForInStatement":
    case "ForOfStatement":
      names = node.left.type === "VariableDeclaration" ? lexicalNames(node.left, []) : [];
      break;
    case "CatchClause":
      names = patternNames(node.param || null, []);
      break;
    default:
      break;
  }
  const result = names ? new Set(names) : null;
  scopeCache.set(node, result);
  return result;
}

/** The innermost scope in `ancestors` that binds `name`, or null for a global. */
function bindingScope(name: string, ancestors: AnyNode[]): ScopeNode | null {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const names = scopeNames(ancestors[i]);
    if (names && names.has(name)) return ancestors[i];
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Feature detection: esbuild's helpers (and careful code) read a missing API only after testing for it, e.g.
// `typeof Proxy !== "undefined" ? new Proxy(...) : x` or `var s = Object.getOwnPropertySymbols; if (s) s(o)`.

/** What stands for one missing API in a test: its global name, a member path, or an alias variable. */
interface FeatureKey { ident: string | null; member: string | null }

/** The property name of `a.b` or `a["b"]`; null for other nodes and other computed access. */
function propertyName(node: AnyNode): string | null {
  if (node.type !== "MemberExpression") return null;
  if (!node.computed && node.property.type === "Identifier") return node.property.name;
  if (node.computed && node.property.type === "Literal" && typeof node.property.value === "string") {
    return node.property.value;
  }
  return null;
}

/** The property name of `Owner.name`, where the owner is a plain identifier. */
function staticName(node: AnyNode): string | null {
  return node.type === "MemberExpression" && node.object.type === "Identifier" ? propertyName(node) : null;
}

function memberPath(node: AnyNode): string | null {
  const name = staticName(node);
  return name === null ? null : (node as { object: { name: string } }).object.name + "." + name;
}

function names(node: AnyNode, key: FeatureKey): boolean {
  if (node.type === "Identifier") return node.name === key.ident;
  return key.member !== null && memberPath(node) === key.member;
}

/** 1 when the API is known present where `test` is truthy, -1 where it is falsy, 0 when the test says nothing. */
function polarity(test: AnyNode, key: FeatureKey): number {
  if (names(test, key)) return 1;
  if (test.type === "UnaryExpression" && test.operator === "!") return -polarity(test.argument, key);
  if (test.type === "LogicalExpression") {
    const left = polarity(test.left, key);
    const right = polarity(test.right, key);
    if (test.operator === "&&" && (left === 1 || right === 1)) return 1;
    if (test.operator === "||" && (left === -1 || right === -1)) return -1;
    return 0;
  }
  if (test.type === "BinaryExpression" && ["===", "!==", "==", "!="].indexOf(test.operator) >= 0) {
    const typeofSide = test.left.type === "UnaryExpression" ? test.left : test.right;
    const otherSide = typeofSide === test.left ? test.right : test.left;
    if (typeofSide.type === "UnaryExpression" && typeofSide.operator === "typeof" && names(typeofSide.argument, key) &&
      otherSide.type === "Literal" && otherSide.value === "undefined") {
      return test.operator.charAt(0) === "!" ? 1 : -1;
    }
  }
  return 0;
}

/** True when the node at the end of `ancestors` only runs where a test has shown the API exists. */
function isGuarded(ancestors: AnyNode[], key: FeatureKey): boolean {
  for (let i = ancestors.length - 1; i > 0; i--) {
    const child = ancestors[i];
    const parent = ancestors[i - 1];
    if (parent.type === "IfStatement" || parent.type === "ConditionalExpression") {
      if (child === parent.consequent && polarity(parent.test, key) === 1) return true;
      if (child === parent.alternate && polarity(parent.test, key) === -1) return true;
    } else if (parent.type === "LogicalExpression" && child === parent.right) {
      const wanted = parent.operator === "&&" ? 1 : parent.operator === "||" ? -1 : 0;
      if (wanted !== 0 && polarity(parent.left, key) === wanted) return true;
    }
  }
  return false;
}

/** True when the read at the end of `ancestors` is itself a test: `typeof X`, `if (X)`, `!X`, `X && ...`. */
function isFeatureTest(ancestors: AnyNode[]): boolean {
  const node = ancestors[ancestors.length - 1];
  const parent = ancestors[ancestors.length - 2];
  if (!parent) return false;
  if (parent.type === "UnaryExpression" && (parent.operator === "typeof" || parent.operator === "!")) return true;
  if (parent.type === "LogicalExpression") return true;
  return (parent.type === "IfStatement" || parent.type === "ConditionalExpression") && parent.test === node;
}

// ---------------------------------------------------------------------------------------------------------------
// Syntax Espruino does not parse or run.

const SYNTAX: { [type: string]: string } = {
  AssignmentPattern: "default values (default parameters or destructuring defaults)",
  ObjectPattern: "destructuring",
  ArrayPattern: "destructuring",
  RestElement: "rest parameters and rest elements",
  SpreadElement: "spread",
  AwaitExpression: "await",
  LabeledStatement: "labelled statements",
  ChainExpression: "optional chaining",
  TaggedTemplateExpression: "tagged templates",
  MetaProperty: "new.target / import.meta",
  PrivateIdentifier: "#private members",
  StaticBlock: "class static blocks",
  ImportDeclaration: "ES module syntax",
  ExportNamedDeclaration: "ES module syntax",
  ExportDefaultDeclaration: "ES module syntax",
  ExportAllDeclaration: "ES module syntax",
  ImportExpression: "dynamic import()",
};

function syntaxProblem(node: AnyNode, ancestors: AnyNode[]): string | null {
  if (SYNTAX[node.type]) return SYNTAX[node.type];
  switch (node.type) {
    case "PropertyDefinition":
      return node.key.type === "PrivateIdentifier" ? "#private class fields" : "class fields";
    case "MemberExpression":
      return node.property.type === "PrivateIdentifier" ? "#private members" : null;
    case "Property":
      return node.computed && ancestors[ancestors.length - 2].type === "ObjectExpression"
        ? "computed object keys" : null;
    case "MethodDefinition":
      if (node.key.type === "PrivateIdentifier") return "#private methods";
      return node.computed ? "computed class member keys" : null;
    case "FunctionDeclaration":
    case "FunctionExpression":
    case "ArrowFunctionExpression":
      if (node.generator) return "generators";
      return node.async ? "async functions" : null;
    case "ForOfStatement":
      return node.await ? "for await" : null;
    case "BinaryExpression":
      return node.operator === "**" ? "the ** operator" : null;
    case "AssignmentExpression":
      if (node.operator === "**=") return "the **= operator";
      return ["||=", "&&=", "??="].indexOf(node.operator) >= 0 ? "logical assignment " + node.operator : null;
    case "ClassDeclaration":
    case "ClassExpression":
      return node.superClass && node.superClass.type === "Identifier" && ERROR_CLASS_NAMES.has(node.superClass.name) &&
        bindingScope(node.superClass.name, ancestors) === null
        ? "classes extending " + node.superClass.name + " (super(msg) throws); use new Error(msg)" : null;
    case "Literal":
      if ("bigint" in node && node.bigint) return "BigInt literals";
      return "regex" in node && node.regex ? regexLiteralProblem(node.regex.pattern, node.regex.flags) : null;
    case "NewExpression":
    case "CallExpression":
      return regexConstructorProblem(node, ancestors);
    default:
      return null;
  }
}

/** What the lint says of the same regular expression (scripts/espruino/regex-support.js). */
function regexLiteralProblem(pattern: string, flags: string): string | null {
  const problem = regexProblem(pattern, flags);
  return problem ? "regular expressions with " + problem : null;
}

function regexConstructorProblem(node: AnyNode, ancestors: AnyNode[]): string | null {
  if (node.type !== "NewExpression" && node.type !== "CallExpression") return null;
  const pattern = node.arguments[0];
  const flags = node.arguments[1];
  if (node.callee.type !== "Identifier" || node.callee.name !== "RegExp" || !pattern ||
    pattern.type !== "Literal" || typeof pattern.value !== "string" || bindingScope("RegExp", ancestors) !== null) {
    return null;
  }
  return regexLiteralProblem(pattern.value, flags && flags.type === "Literal" ? String(flags.value) : "");
}

// ---------------------------------------------------------------------------------------------------------------
// Missing APIs.

interface Alias { key: FeatureKey; label: string }

/** `var s = Object.getOwnPropertySymbols` (esbuild's helpers do this): the read is a feature probe, and the
 *  alias's own uses are checked instead. */
function aliasOf(node: AnyNode, ancestors: AnyNode[]): Alias | null {
  if (node.type !== "VariableDeclarator" || node.id.type !== "Identifier" || !node.init) return null;
  const label = missingApiLabel(node.init, ancestors.concat([node.init]));
  return label ? { key: { ident: node.id.name, member: memberPath(node.init) }, label } : null;
}

/** "Map" or "Number.isFinite" when the expression names a missing global or static; null otherwise. */
function missingApiLabel(node: AnyNode, ancestors: AnyNode[]): string | null {
  if (node.type === "Identifier") {
    return MISSING_GLOBAL_NAMES.has(node.name) && bindingScope(node.name, ancestors) === null ? node.name : null;
  }
  const name = staticName(node);
  if (name === null || node.type !== "MemberExpression" || node.object.type !== "Identifier") return null;
  const owner = node.object.name;
  const members = MISSING_MEMBERS.get(owner);
  if (!members || !members.has(name) || bindingScope(owner, ancestors.slice(0, -1)) !== null) return null;
  return owner === "globalThis" ? name : owner + "." + name;
}

function methodProblem(node: AnyNode): string | null {
  if (node.type !== "CallExpression" && node.type !== "NewExpression") return null;
  let callee: AnyNode = node.callee;
  const via = propertyName(callee);
  if (callee.type === "MemberExpression" && via !== null && ["call", "apply", "bind"].indexOf(via) >= 0) {
    callee = callee.object;
  }
  const name = propertyName(callee);
  if (callee.type !== "MemberExpression" || name === null || !MISSING_METHOD_NAMES.has(name)) return null;
  const owner = callee.object.type === "Identifier" ? callee.object.name : "";
  if ((PRESENT_STATICS.get(owner) || []).indexOf(name) >= 0) return null;
  return "." + name + "() does not exist on Espruino";
}

// ---------------------------------------------------------------------------------------------------------------
// No hoisting: on Espruino a name exists only once its declaration has run, so code that runs straight away
// must not use a function, class or variable declared further down the same block.

interface Reference { name: string; node: AnyNode }
/** Walk state: the names bound by blocks entered so far inside the statement, and the references found. */
interface ImmediateState { shadowed: Set<string>; found: Reference[] }
type ImmediateWalk = (node: AnyNode, state: ImmediateState, c: WalkerCallback<ImmediateState>) => void;

/** A walker step for a block-like node that adds the names it binds to the shadowed set. */
function shadowing(type: string): ImmediateWalk {
  const walk = (base as unknown as { [type: string]: ImmediateWalk })[type];
  return function (node, state, c) {
    const own = scopeNames(node);
    const shadowed = own && own.size ? new Set(Array.from(state.shadowed).concat(Array.from(own))) : state.shadowed;
    walk(node, { shadowed: shadowed, found: state.found }, c);
  };
}

const IMMEDIATE_VISITORS = {
  Function: function () { /* runs later, not when the statement runs */ },
  Identifier: function (node: AnyNode, state: ImmediateState) {
    if (node.type === "Identifier" && !state.shadowed.has(node.name)) state.found.push({ name: node.name, node });
  },
  BlockStatement: shadowing("BlockStatement"),
  ForStatement: shadowing("ForStatement"),
  ForInStatement: shadowing("ForInStatement"),
  ForOfStatement: shadowing("ForOfStatement"),
  SwitchStatement: shadowing("SwitchStatement"),
  CatchClause: shadowing("CatchClause"),
} as RecursiveVisitors<ImmediateState>;

/** Names referenced by code in `statement` that runs when the statement runs (not inside nested functions),
 *  with the shadowing of nested blocks taken into account. */
function immediateReferences(statement: AnyNode): Reference[] {
  const state: ImmediateState = { shadowed: new Set<string>(), found: [] };
  recursive(statement, state, IMMEDIATE_VISITORS);
  return state.found;
}

function hoistingViolations(list: AnyNode[], report: (node: AnyNode, message: string) => void): void {
  const declaredAt = new Map<string, number>();
  list.forEach(function (statement, index) {
    for (const name of lexicalNames(statement, varNames(statement, []))) {
      if (!declaredAt.has(name)) declaredAt.set(name, index);
    }
  });
  list.forEach(function (statement, index) {
    for (const ref of immediateReferences(statement)) {
      const at = declaredAt.get(ref.name);
      if (at !== undefined && at > index) {
        report(ref.node, ref.name + " is used before its declaration further down; Espruino does not hoist");
      }
    }
  });
}

function statementLists(node: AnyNode): AnyNode[][] {
  if (node.type === "Program" || node.type === "BlockStatement" || node.type === "StaticBlock") {
    return [node.body as AnyNode[]];
  }
  if (node.type === "SwitchStatement") return node.cases.map(function (c) { return c.consequent as AnyNode[]; });
  return [];
}

// ---------------------------------------------------------------------------------------------------------------
// `for (let i ...)` has one binding for all iterations on Espruino: a closure made in the loop that outlives its
// iteration sees the last value. Callbacks of the array methods that call them at once are safe.

const SYNCHRONOUS_CALLBACK_METHODS = ["forEach", "map", "filter", "some", "every", "find", "findIndex", "reduce",
  "sort"];

/** For a reference to a for-let binding from inside a closure, the closure; null otherwise or when it is safe. */
function loopClosure(name: string, ancestors: AnyNode[]): AnyNode | null {
  const scope = bindingScope(name, ancestors);
  if (!scope || scope.type !== "ForStatement") return null;
  const at = ancestors.indexOf(scope);
  for (let i = at + 1; i < ancestors.length; i++) {
    if (!isFunction(ancestors[i])) continue;
    const call = ancestors[i - 1];
    const method = call.type === "CallExpression" ? propertyName(call.callee) : null;
    return method !== null && SYNCHRONOUS_CALLBACK_METHODS.indexOf(method) >= 0 ? null : ancestors[i];
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------

function snippetAt(code: string, node: AnyNode): string {
  const text = code.slice(node.start, Math.min(node.end, node.start + 80)).replace(/\s+/g, " ");
  return node.end - node.start > 80 ? text + "..." : text;
}

export function checkBundle(code: string): Violation[] {
  let program: Program;
  try {
    program = parse(code, { ecmaVersion: "latest", sourceType: "script", locations: true });
  } catch (error) {
    const loc = (error as { loc?: { line: number; column: number } }).loc || { line: 1, column: 0 };
    return [{ line: loc.line, column: loc.column + 1, message: "does not parse: " + (error as Error).message,
      snippet: code.split("\n")[loc.line - 1].slice(Math.max(0, loc.column - 20), loc.column + 60) }];
  }

  const violations: Violation[] = [];
  const seen = new Set<string>();
  function report(node: AnyNode, message: string): void {
    const start = node.loc ? node.loc.start : { line: 1, column: 0 };
    const id = node.start + ":" + message;
    if (seen.has(id)) return;
    seen.add(id);
    violations.push({ line: start.line, column: start.column + 1, message, snippet: snippetAt(code, node) });
  }

  // Pass 1: aliases of missing APIs, by the scope that declares them.
  const aliases = new Map<ScopeNode | null, Map<string, Alias>>();
  const aliasInits = new Set<AnyNode>();
  fullAncestor(program, function (node, _state, ancestors) {
    const alias = node.type === "VariableDeclarator" ? aliasOf(node, ancestors) : null;
    if (!alias || node.type !== "VariableDeclarator" || !alias.key.ident) return;
    const scope = bindingScope(alias.key.ident, ancestors);
    if (!aliases.has(scope)) aliases.set(scope, new Map());
    (aliases.get(scope) as Map<string, Alias>).set(alias.key.ident, alias);
    aliasInits.add(node.init as Expression);
  });

  // Pass 2: everything else.
  fullAncestor(program, function (node, _state, ancestors, type) {
    const syntax = syntaxProblem(node, ancestors);
    if (syntax) report(node, "Espruino does not support " + syntax);
    const method = methodProblem(node);
    if (method) report(node, method);
    if (node.type === "CallExpression" && memberPath(node.callee) === "Object.create" && node.arguments.length > 1 &&
      bindingScope("Object", ancestors) === null) {
      report(node, "Object.create(proto, properties) throws on Espruino");
    }
    for (const list of statementLists(node)) hoistingViolations(list, report);

    if (type === "VariablePattern" || aliasInits.has(node)) return;
    const parent = ancestors[ancestors.length - 2];
    if (parent && parent.type === "AssignmentExpression" && parent.left === node) return;
    const label = missingApiLabel(node, ancestors);
    if (label) {
      const key = { ident: node.type === "Identifier" ? node.name : null, member: memberPath(node) };
      if (!isFeatureTest(ancestors) && !isGuarded(ancestors, key)) report(node, label + " does not exist on Espruino");
      return;
    }
    if (node.type === "Identifier") {
      const closure = loopClosure(node.name, ancestors);
      if (closure) {
        report(closure, "a closure in this loop uses the for-let binding " + node.name +
          "; Espruino shares one binding across iterations, so it sees the last value");
      }
    }
    if (node.type === "Identifier" && !isFeatureTest(ancestors)) {
      const scoped = aliases.get(bindingScope(node.name, ancestors));
      const alias = scoped && scoped.get(node.name);
      if (alias && !isGuarded(ancestors, alias.key)) {
        report(node, alias.label + " (read into " + node.name + ") does not exist on Espruino");
      }
    }
  });

  return violations.sort(function (a, b) { return a.line - b.line || a.column - b.column; });
}

const USAGE = `usage: npm run check-bundle -- FILE.js [FILE.js ...]
  Reads each bundled script for what Espruino cannot run (syntax, missing globals and methods, regular
  expressions its engine does not match) and prints each problem with its line and column. Exit code 1 when
  there is one; npm run build runs the same check on dist/firmware.js.`;

function main(argv: string[]): number {
  const parsed = parseCommandLine({ args: argv, allowPositionals: true, options: {} }, USAGE);
  if (!parsed) return 0;
  const files = parsed.positionals;
  if (files.length === 0) throw new UsageError("give the bundle(s) to check");
  let total = 0;
  for (const file of files) {
    let code: string;
    try {
      code = readFileSync(file, "utf8");
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code || (e as Error).message}`);
    }
    const violations = checkBundle(code);
    for (const v of violations) {
      process.stdout.write(file + ":" + v.line + ":" + v.column + ": " + v.message + "\n    " + v.snippet + "\n");
    }
    total += violations.length;
  }
  process.stdout.write(total === 0 ? "no Espruino problems found\n" : total + " Espruino problem(s)\n");
  return total === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runCli("check-bundle", () => main(process.argv.slice(2)), USAGE);
}
