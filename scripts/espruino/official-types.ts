// Holds firmware/espruino.d.ts, the narrow Espruino surface the device code is typed against (and the emulator
// implements), to @types/espruino, the typings generated from the interpreter's reference. Every function the
// narrow file declares names its counterpart there with a tag, and the compiler checks that the counterpart takes
// every argument the narrow form allows and returns what it promises:
//   @espruino Serial#setup     an instance method (Serial2.setup)
//   @espruino E.toUint8Array   a static function or one of a module's
//   @espruino getTime          a global function
//   @espruino-untyped <file>   absent from @types/espruino (it documents 1v95 in part): the 2v29 source file
//   @espruino-differs <name> <why>  the counterpart is wrong for 2v29 on the ESP32; the check must still fail,
//                              so a corrected @types/espruino shows the exception is no longer needed.
import ts from "typescript";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

export interface Member {
  /** Where it is declared, e.g. "EspruinoSerial.setup" or "getTime". */
  name: string;
  /** `(a: number) => void`, built from the declaration, so that parameters are compared strictly. */
  signature: string;
  tag: { kind: "espruino" | "untyped" | "differs"; value: string } | null;
}

export interface Verdict {
  member: Member;
  /** The compiler's complaint, or null when the counterpart takes every call the narrow form allows. */
  error: string | null;
}

/** @types/espruino's declarations inside one namespace, so that they check the narrow file without being in
 *  scope for device code: its modules become namespaces named Module_<name>. */
export function wrappedOfficialTypes(): string {
  const path = createRequire(import.meta.url).resolve("@types/espruino/index.d.ts");
  const text = readFileSync(path, "utf8")
    .replace(/^declare module "(\w+)" \{/gm, "namespace Module_$1 {")
    .replace(/^declare /gm, "");
  return "declare namespace EspruinoOfficial {\n" + text + "\n}\n";
}

function tagOf(node: ts.Node): Member["tag"] {
  for (const tag of ts.getJSDocTags(node)) {
    const name = tag.tagName.text;
    const value = typeof tag.comment === "string" ? tag.comment.trim() : "";
    if (name === "espruino") return { kind: "espruino", value };
    if (name === "espruino-untyped") return { kind: "untyped", value };
    if (name === "espruino-differs") return { kind: "differs", value };
  }
  return null;
}

function signatureOf(node: ts.SignatureDeclarationBase, source: ts.SourceFile): string {
  const params = node.parameters.map((p) => p.getText(source)).join(", ");
  return "(" + params + ") => " + (node.type ? node.type.getText(source) : "void");
}

/** Every function the narrow file declares: interface methods, methods of inline object types, global functions. */
export function narrowMembers(text: string): Member[] {
  const source = ts.createSourceFile("espruino.d.ts", text, ts.ScriptTarget.ES2015, true);
  const members: Member[] = [];
  const visit = (node: ts.Node, owner: string): void => {
    if (ts.isInterfaceDeclaration(node)) {
      node.members.forEach((m) => visit(m, node.name.text));
    } else if (ts.isMethodSignature(node)) {
      const name = (owner ? owner + "." : "") + node.name.getText(source);
      members.push({ name, signature: signatureOf(node, source), tag: tagOf(node) });
    } else if (ts.isFunctionDeclaration(node) && node.name) {
      members.push({ name: node.name.text, signature: signatureOf(node, source), tag: tagOf(node) });
    } else if (ts.isVariableStatement(node)) {
      for (const d of node.declarationList.declarations) {
        if (d.type && ts.isTypeLiteralNode(d.type)) d.type.members.forEach((m) => visit(m, d.name.getText(source)));
      }
    } else {
      ts.forEachChild(node, (child) => visit(child, owner));
    }
  };
  visit(source, "");
  return members;
}

/** The official type an @espruino tag names; `official` tells a module's functions from a namespace's. */
function officialType(ref: string, official: string): string {
  const hash = ref.indexOf("#");
  if (hash >= 0) return "EspruinoOfficial." + ref.slice(0, hash) + "[\"" + ref.slice(hash + 1) + "\"]";
  const parts = ref.split(".");
  if (official.indexOf("namespace Module_" + parts[0] + " {") >= 0) parts[0] = "Module_" + parts[0];
  return "typeof EspruinoOfficial." + parts.join(".");
}

/** Compiles one check per tagged member against @types/espruino; members tagged -untyped are not checked. */
export function checkNarrowTypes(narrowPath: string): Verdict[] {
  const narrow = readFileSync(narrowPath, "utf8");
  const members = narrowMembers(narrow);
  const official = wrappedOfficialTypes();
  const checks: string[] = ["declare function official<T>(): T;"];
  const lines: (Member | null)[] = [null];
  for (const m of members) {
    if (!m.tag || m.tag.kind === "untyped") continue;
    const ref = m.tag.kind === "differs" ? m.tag.value.split(/\s+/)[0] : m.tag.value;
    checks.push("export const c" + checks.length + " = official<" + officialType(ref, official) + ">() satisfies " +
      m.signature + ";");
    lines.push(m);
  }
  const files: Record<string, string> = {
    "/official.d.ts": official,
    "/narrow.d.ts": narrow,
    "/check.ts": checks.join("\n") + "\n",
  };
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2015, lib: ["lib.es5.d.ts"], types: [],
    strict: true, noEmit: true };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile;
  host.getSourceFile = (name, version) => name in files ?
    ts.createSourceFile(name, files[name], version) : read.call(host, name, version);
  host.fileExists = ((exists) => (name: string) => name in files || exists(name))(host.fileExists);
  const program = ts.createProgram(Object.keys(files), options, host);
  const verdicts = new Map<Member, string>();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    const line = d.file && d.start !== undefined && d.file.fileName === "/check.ts" ?
      d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const member = lines[line];
    if (!member) throw new Error("@types/espruino check: " + (d.file ? d.file.fileName + ": " : "") + text);
    verdicts.set(member, text);
  }
  return members.map((member) => ({ member, error: verdicts.get(member) || null }));
}
