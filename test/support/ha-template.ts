// Home Assistant's reading of an MQTT sensor's value template, for the subset of Jinja the discovery configs may
// use, with Home Assistant's handling of what is missing: an attribute a payload lacks is Jinja's undefined, which
// Home Assistant's template environment logs as a warning when it is printed, iterated or tested for truth, and as
// an error (the render fails) when it is computed with; `default` replaces it silently. Then what a numeric sensor
// does with the text rendered (Home Assistant 2023.3 on): "" is ignored, the entity keeps its state; "None" makes
// it unknown; anything else must be a number, or Home Assistant warns that the value is not numeric.
//
// Grammar: {{ cond }}; cond = in ["if" in "else" cond]; in = sum ["in" sum]; sum = product (("+" | "-") product)*;
// product = filtered (("*" | "/") filtered)*; filtered = primary ("|" name ["(" cond ("," cond)* ")"])*;
// primary = number | 'string' | value_json ("." name)* | "(" cond ")". Filters: default, round. Anything else
// throws: a template this file does not know cannot be judged.

class Undefined {
  constructor(readonly name: string) {}
}

type Json = { [key: string]: unknown };
type Value = number | string | boolean | null | Undefined | Json;

type Node =
  | { op: "literal"; value: number | string }
  | { op: "attribute"; path: string[] }
  | { op: "if"; then: Node; condition: Node; otherwise: Node }
  | { op: "in" | "+" | "-" | "*" | "/"; left: Node; right: Node }
  | { op: "filter"; name: string; input: Node; args: Node[] };

export type Outcome =
  | { kind: "warning" | "error"; message: string }
  | { kind: "ignored" }
  | { kind: "unknown" }
  | { kind: "state"; value: number };

/** A render that fails: Home Assistant logs an error and leaves the entity as it was. */
class RenderError extends Error {}

function parse(source: string): Node {
  const m = /^\{\{(.*)\}\}$/s.exec(source);
  if (!m) throw new Error("not a {{ expression }} template: " + source);
  const tokens = m[1].match(/'[^']*'|[0-9]+(?:\.[0-9]+)?|[A-Za-z_][A-Za-z0-9_]*|[()|.,+\-*/]|\S/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const take = (expected?: string): string => {
    const t = tokens[at++];
    if (t === undefined || (expected !== undefined && t !== expected)) {
      throw new Error("expected " + (expected ?? "more") + " at token " + at + " of " + source);
    }
    return t;
  };
  const cond = (): Node => {
    const then = inExpr();
    if (peek() !== "if") return then;
    take("if");
    const condition = inExpr();
    take("else");
    return { op: "if", then, condition, otherwise: cond() };
  };
  const inExpr = (): Node => {
    const left = sum();
    if (peek() !== "in") return left;
    take("in");
    return { op: "in", left, right: sum() };
  };
  const binary = (next: () => Node, ops: string[]) => (): Node => {
    let left = next();
    while (ops.includes(peek())) left = { op: take() as "+", left, right: next() };
    return left;
  };
  const filtered = (): Node => {
    let input = primary();
    while (peek() === "|") {
      take("|");
      const name = take();
      const args: Node[] = [];
      if (peek() === "(") {
        take("(");
        while (peek() !== ")") {
          args.push(cond());
          if (peek() === ",") take(",");
        }
        take(")");
      }
      input = { op: "filter", name, input, args };
    }
    return input;
  };
  const product = binary(filtered, ["*", "/"]);
  const sum = binary(product, ["+", "-"]);
  const primary = (): Node => {
    const t = take();
    if (t === "(") {
      const inner = cond();
      take(")");
      return inner;
    }
    if (t.startsWith("'")) return { op: "literal", value: t.slice(1, -1) };
    if (/^[0-9]/.test(t)) return { op: "literal", value: Number(t) };
    if (t !== "value_json") throw new Error("name " + t + " unknown to this evaluator: " + source);
    const path: string[] = [];
    while (peek() === ".") {
      take(".");
      path.push(take());
    }
    return { op: "attribute", path };
  };
  const tree = cond();
  if (at !== tokens.length) throw new Error("unexpected " + tokens[at] + " in " + source);
  return tree;
}

function missing(u: Undefined): string {
  return "'dict object' has no attribute '" + u.name + "'";
}

function num(v: Value): number {
  if (v instanceof Undefined) throw new RenderError(missing(v));
  if (typeof v !== "number") throw new RenderError("unsupported operand " + JSON.stringify(v));
  return v;
}

/** Python's str() of a value, as Jinja prints it. */
function printed(v: Value, warn: (m: string) => void): string {
  if (v instanceof Undefined) {
    warn(missing(v));
    return "";
  }
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : /[.e]/.test(String(v)) ? String(v) : v + ".0";
  return typeof v === "string" ? v : JSON.stringify(v);
}

function evaluate(n: Node, json: Json, warn: (m: string) => void): Value {
  switch (n.op) {
    case "literal":
      return n.value;
    case "attribute": {
      let v: Value = json;
      for (const name of n.path) {
        if (v instanceof Undefined) throw new RenderError(missing(v));
        v = v !== null && typeof v === "object" && name in v ? (v as Json)[name] as Value : new Undefined(name);
      }
      return v;
    }
    case "if": {
      const c = evaluate(n.condition, json, warn);
      if (c instanceof Undefined) warn(missing(c));
      return evaluate(c instanceof Undefined || !c ? n.otherwise : n.then, json, warn);
    }
    case "in": {
      const left = evaluate(n.left, json, warn), right = evaluate(n.right, json, warn);
      if (typeof left !== "string" || right === null || typeof right !== "object" || right instanceof Undefined) {
        throw new RenderError("'in' of " + JSON.stringify(left));
      }
      return left in right;
    }
    case "filter": {
      const v = evaluate(n.input, json, warn);
      const args = n.args.map((a) => evaluate(a, json, warn));
      if (n.name === "default") return v instanceof Undefined ? (args.length > 0 ? args[0] : "") : v;
      if (n.name === "round") {
        const scale = Math.pow(10, args.length > 0 ? num(args[0]) : 0);
        return Math.round(num(v) * scale) / scale;
      }
      throw new Error("filter " + n.name + " unknown to this evaluator");
    }
    default: {
      const l = num(evaluate(n.left, json, warn)), r = num(evaluate(n.right, json, warn));
      return n.op === "+" ? l + r : n.op === "-" ? l - r : n.op === "*" ? l * r : l / r;
    }
  }
}

export class Template {
  private tree: Node;

  constructor(readonly source: string) {
    this.tree = parse(source);
  }

  /** What Home Assistant's numeric MQTT sensor makes of a message whose text is `payload`. */
  render(payload: string): Outcome {
    let json: Json;
    try {
      json = JSON.parse(payload);
    } catch {
      return { kind: "error", message: "payload not JSON: " + payload };
    }
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    let text: string;
    try {
      text = printed(evaluate(this.tree, json, warn), warn);
    } catch (e) {
      if (e instanceof RenderError) return { kind: "error", message: "Error rendering " + this.source + ": " + e.message };
      throw e;
    }
    if (warnings.length > 0) return { kind: "warning", message: "Template variable warning: " + warnings[0] };
    if (text === "") return { kind: "ignored" };
    if (text === "None") return { kind: "unknown" };
    const value = Number(text);
    if (text.trim() === "" || !isFinite(value)) return { kind: "warning", message: "non-numeric value: " + text };
    return { kind: "state", value };
  }
}
