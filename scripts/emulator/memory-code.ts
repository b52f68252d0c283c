// What the firmware's source says about the variables its functions and scopes take on Espruino, for the memory
// estimate (./memory.ts). V8 shows a closure only the variables some inner function uses, and none of a function's
// parameters or code; Espruino keeps every parameter name on the function, and every parameter and local of a call
// in the scope object that its inner functions hold on to. So the firmware's script is parsed once, and each
// function V8 reports (by the position V8 gives for it, [[FunctionLocation]]) is looked up here.
//
// Espruino 2v29 (src/jsparse.c), as measured with trace() on code loaded from Storage:
// - a function holds a name per parameter ("\xFF" + name), its code ("\xFFcod", a native string into flash), and
//   "\xFFsco": the scope it was made in, or an array of the scopes when more than one was active (the enclosing
//   function calls and the blocks with let/const, outermost first; the global scope is not one);
// - an arrow function made where `this` is defined links it ("\xFFths"); a named function expression keeps its
//   name ("\xFFnam");
// - a function with an empty body has neither code nor scope; a class without a constructor has no code, and a
//   derived one runs "<Super>.apply(this,arguments)" from a string in RAM;
// - a call's scope holds its parameters and its var, let, const, function and class declarations; a block that
//   declares let, const or class has a scope of its own while a closure made inside it lives.
import { parse, type AnyNode, type Class, type Function as FunctionNode, type Pattern, type Program,
  type Statement } from "acorn";
import { base, recursive, type RecursiveVisitors } from "acorn-walk";

export interface ScopeShape {
  id: number;
  /** "class": the binding V8 makes for a named class expression; Espruino has no scope there. */
  kind: "function" | "block" | "class";
  /** The names Espruino keeps in the scope (a class scope's name only lines V8's scope up with it). */
  names: string[];
  /** Function and class declarations, whose values can be costed from the source when V8 does not show them. */
  declared: Map<string, FunctionShape | ClassShape>;
  /** A scope made once per run of the script: the bundle's outermost function, called where it is defined. */
  once: boolean;
}

export type CodeShape = { kind: "flash" } | { kind: "none" } | { kind: "ram"; length: number };

export interface FunctionShape {
  params: string[];
  code: CodeShape;
  /** Whether it holds "\xFFsco" at all (a plain function with an empty body does not). */
  linked: boolean;
  arrowThis: boolean;
  /** The name of a named function expression. */
  selfName: string | null;
  /** The scopes active where the function is made, innermost first. */
  scopes: ScopeShape[];
  /** The scope of a call; none for the constructor Espruino makes for a class that declares none. */
  own: ScopeShape | null;
}

/** A method, static or not: a name holding a function (a getter or setter through a Getter/Setter variable). */
export interface ClassMember {
  name: string;
  fn: FunctionShape;
  accessor: boolean;
}

export interface ClassShape {
  ctor: FunctionShape;
  derived: boolean;
  members: ClassMember[];
}

interface State {
  /** Innermost first; empty at the top level of the script. */
  scopes: ScopeShape[];
  /** Where `var` declarations go; null at the top level (they are globals there). */
  fn: ScopeShape | null;
  thisDefined: boolean;
}

/** V8's line terminators, by which [[FunctionLocation]] counts lines. */
const LINE_END = /\r\n|[\n\r\u2028\u2029]/g;

/** A script's functions, parsed the first time one is looked up (most boots are never measured). */
export class CodeIndex {
  /** Functions by the offset V8 reports for them: the "(" of the parameters, an arrow's first character, the
   *  "class" of a class without a constructor. */
  private readonly byOffset = new Map<number, { shape: FunctionShape; start: number; end: number }>();
  private readonly lineStarts: number[] = [0];
  private nextScope = 0;
  private parsed = false;

  constructor(readonly code: string) {}

  private index(): void {
    this.parsed = true;
    let m: RegExpExecArray | null;
    LINE_END.lastIndex = 0;
    while ((m = LINE_END.exec(this.code)) !== null) this.lineStarts.push(m.index + m[0].length);
    let program: Program;
    try {
      program = parse(this.code, { ecmaVersion: "latest", sourceType: "script" });
    } catch {
      // What does not parse does not run either: there is nothing to look up.
      return;
    }
    this.walk(program);
  }

  /** The function V8 places at 0-based `line` and `column`, if its source text there is `text` (when known). */
  at(line: number, column: number, text: string | null): FunctionShape | null {
    if (!this.parsed) this.index();
    if (line >= this.lineStarts.length) return null;
    const found = this.byOffset.get(this.lineStarts[line] + column);
    if (!found || text !== null && this.code.slice(found.start, found.end) !== text) return null;
    return found.shape;
  }

  private scope(kind: ScopeShape["kind"], names: string[]): ScopeShape {
    return { id: this.nextScope++, kind, names, declared: new Map(), once: false };
  }

  private walk(program: Program): void {
    const self = this;
    const declare = function (scope: ScopeShape | undefined | null, name: string, value?: FunctionShape | ClassShape):
      void {
      if (!scope) return;
      if (scope.names.indexOf(name) < 0) scope.names.push(name);
      if (value) scope.declared.set(name, value);
    };
    const visitors: RecursiveVisitors<State> = {
      Function (node, st) {
        const shape = self.func(node, st, null, visitors);
        if (node.type === "FunctionDeclaration" && node.id) declare(st.scopes[0], node.id.name, shape);
      },
      Class (node, st, c) {
        const shape = self.cls(node, st, visitors, c);
        if (node.type === "ClassDeclaration" && node.id) declare(st.scopes[0], node.id.name, shape);
      },
      BlockStatement (node, st, c) {
        const inner = self.blockState(st, node.body);
        for (const statement of node.body) c(statement, inner);
      },
      ForStatement (node, st, c) {
        const inner = node.init && isLexical(node.init) ? self.blockState(st, [node.init]) : st;
        if (node.init) c(node.init, inner);
        if (node.test) c(node.test, inner);
        if (node.update) c(node.update, inner);
        c(node.body, inner);
      },
      ForInStatement (node, st, c) { self.forEach(node.left, node.right, node.body, st, c); },
      ForOfStatement (node, st, c) { self.forEach(node.left, node.right, node.body, st, c); },
      SwitchStatement (node, st, c) {
        c(node.discriminant, st);
        const statements: Statement[] = [];
        for (const k of node.cases) statements.push.apply(statements, k.consequent);
        const inner = self.blockState(st, statements);
        for (const k of node.cases) {
          if (k.test) c(k.test, inner);
          for (const statement of k.consequent) c(statement, inner);
        }
      },
      CatchClause (node, st, c) {
        const inner = node.param ? self.nested(st, self.scope("block", [paramName(node.param)])) : st;
        c(node.body, inner);
      },
      Property (node, st, c) {
        if (node.computed) c(node.key, st);
        if (node.value.type === "FunctionExpression" && (node.method || node.kind !== "init")) {
          self.func(node.value, st, node.start, visitors);
        } else {
          c(node.value, st);
        }
      },
      VariableDeclaration (node, st, c) {
        const target = node.kind === "var" ? st.fn : st.scopes[0];
        for (const d of node.declarations) {
          declare(target, paramName(d.id));
          if (d.init) c(d.init, st);
        }
      },
    };
    const top: State = { scopes: [], fn: null, thisDefined: false };
    for (const statement of program.body) {
      // The bundle's own function, run where it is written: its scope is made once.
      const call = statement.type === "ExpressionStatement" && statement.expression.type === "CallExpression" ?
        statement.expression : null;
      const callee = call ? call.callee : null;
      if (call && callee && (callee.type === "ArrowFunctionExpression" || callee.type === "FunctionExpression")) {
        const shape = this.func(callee, top, null, visitors);
        if (shape.own) shape.own.once = true;
        for (const arg of call.arguments) recursive(arg, top, visitors, base);
      } else {
        recursive(statement, top, visitors, base);
      }
    }
  }

  private nested(st: State, scope: ScopeShape): State {
    return { scopes: [scope].concat(st.scopes), fn: st.fn, thisDefined: st.thisDefined };
  }

  /** A block's state: a scope of its own when it declares let, const, class or function directly. */
  private blockState(st: State, statements: AnyNode[]): State {
    return statements.some(isLexical) ? this.nested(st, this.scope("block", [])) : st;
  }

  private forEach(left: AnyNode, right: AnyNode, body: Statement, st: State,
    c: (node: AnyNode, st: State) => void): void {
    const inner = isLexical(left) ? this.blockState(st, [left]) : st;
    c(left, inner);
    c(right, st);
    c(body, inner);
  }

  /** `method`: where the method's text starts (V8's toString() of a method begins at its name, or at "get" or
   *  "set"); null for a function that is not a method. */
  private func(node: FunctionNode, st: State, method: number | null, visitors: RecursiveVisitors<State>):
    FunctionShape {
    const arrow = node.type === "ArrowFunctionExpression";
    const params = node.params.map(paramName);
    const own = this.scope("function", params.slice());
    const empty = node.body.type === "BlockStatement" && node.body.body.length === 0;
    const shape: FunctionShape = {
      params,
      code: empty ? { kind: "none" } : { kind: "flash" },
      linked: !empty,
      arrowThis: arrow && st.thisDefined,
      selfName: node.type === "FunctionExpression" && method === null && node.id ? node.id.name : null,
      scopes: st.scopes,
      own,
    };
    const at = arrow ? node.start : this.code.indexOf("(", node.id ? node.id.end : node.start);
    this.byOffset.set(at, { shape, start: method === null ? node.start : method, end: node.end });
    const inner: State = { scopes: [own].concat(st.scopes), fn: own, thisDefined: arrow ? st.thisDefined : true };
    if (node.body.type === "BlockStatement") {
      for (const statement of node.body.body) recursive(statement, inner, visitors, base);
    } else {
      recursive(node.body, inner, visitors, base);
    }
    return shape;
  }

  private cls(node: Class, st: State, visitors: RecursiveVisitors<State>,
    c: (node: AnyNode, st: State) => void): ClassShape {
    if (node.superClass) c(node.superClass, st);
    const inner = node.type === "ClassExpression" && node.id ? this.nested(st, this.scope("class", [node.id.name])) : st;
    const members: ClassMember[] = [];
    let ctor: FunctionShape | null = null;
    for (const element of node.body.body) {
      if (element.type !== "MethodDefinition") continue;
      if (element.computed) c(element.key, st);
      const start = element.static ? this.code.indexOf("static", element.start) + "static".length : element.start;
      const fn = this.func(element.value, inner, start + /^\s*/.exec(this.code.slice(start, start + 20))![0].length,
        visitors);
      if (element.kind === "constructor") {
        ctor = fn;
        // V8 places a class at its constructor's parameters, and gives the class's whole text for it.
        this.byOffset.set(this.code.indexOf("(", element.value.start), { shape: fn, start: node.start, end: node.end });
        continue;
      }
      const key = element.key;
      const name = key.type === "Identifier" ? key.name : key.type === "Literal" ? String(key.value) : "";
      members.push({ name, fn, accessor: element.kind === "get" || element.kind === "set" });
    }
    if (ctor === null) {
      const superText = node.superClass ? this.code.slice(node.superClass.start, node.superClass.end) : "";
      ctor = { params: [], code: superText ? { kind: "ram", length: superText.length + ".apply(this,arguments)".length } :
        { kind: "none" }, linked: true, arrowThis: false, selfName: null, scopes: inner.scopes, own: null };
      this.byOffset.set(node.start, { shape: ctor, start: node.start, end: node.end });
    }
    return { ctor, derived: !!node.superClass, members };
  }
}

function isLexical(node: AnyNode): boolean {
  return node.type === "VariableDeclaration" && node.kind !== "var" || node.type === "ClassDeclaration" ||
    node.type === "FunctionDeclaration";
}

/** The firmware's code has plain identifiers only (no destructuring, defaults or rest: ../shared/docs/espruino.md);
 *  anything else counts as a one-letter name. */
function paramName(pattern: Pattern): string {
  return pattern.type === "Identifier" ? pattern.name : "?";
}
