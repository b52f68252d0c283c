// Names the device bundle may shorten: members declared `private` in lib/ and firmware/ whose name is used for
// nothing else anywhere in those sources. esbuild renames a mangled property everywhere it appears, so a name
// that is also a public member, an object key (JSON payloads, configuration), a string, or an Espruino API stays.
// Function bodies stay in flash on the device, but every byte counts against the bundle's size budget.
import ts from "typescript";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { MISSING_METHODS } from "./missing";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function isPrivateMember(decl: ts.Declaration): boolean {
  const modifiers = ts.canHaveModifiers(decl) ? ts.getModifiers(decl) : undefined;
  return !!modifiers && modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword);
}

export function privateMemberNames(): string[] {
  const tsconfig = resolve(ROOT, "tsconfig.json");
  const parsed = ts.parseJsonConfigFileContent(JSON.parse(readFileSync(tsconfig, "utf8")), ts.sys, ROOT);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const checker = program.getTypeChecker();
  const privateNames = new Set<string>();
  const otherUses = new Set<string>();
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(ROOT) || sf.fileName.includes("node_modules")) continue;
    const visit = (node: ts.Node): void => {
      if ((ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node) || ts.isParameter(node)) &&
        isPrivateMember(node) && ts.isIdentifier(node.name)) {
        privateNames.add(node.name.text);
      } else if (ts.isPropertyAccessExpression(node)) {
        const symbol = checker.getSymbolAtLocation(node.name);
        const decls = symbol?.declarations ?? [];
        if (decls.length === 0 || !decls.every(isPrivateMember)) otherUses.add(node.name.text);
      } else if (ts.isStringLiteralLike(node)) {
        otherUses.add(node.text);
      } else if ((ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node) ||
        ts.isMethodDeclaration(node) || ts.isPropertyDeclaration(node) || ts.isPropertySignature(node) ||
        ts.isMethodSignature(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node)) &&
        node.name && ts.isIdentifier(node.name) && !isPrivateMember(node)) {
        otherUses.add(node.name.text);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return [...privateNames].filter((n) => !otherUses.has(n)).sort();
}

/** An esbuild mangle cache that takes the names of Espruino's missing methods out of the mangler's hands: the
 *  bundle check reads any call to `.at()` as the missing method, whoever owns it. */
export function reservedNamesCache(): Record<string, string> {
  const cache: Record<string, string> = {};
  for (const owner of Object.keys(MISSING_METHODS)) {
    for (const name of MISSING_METHODS[owner]) cache["reserved_" + name] = name;
  }
  return cache;
}

/** The esbuild mangleProps pattern for those names, or undefined when there are none. */
export function privateNamesPattern(): RegExp | undefined {
  const names = privateMemberNames();
  return names.length > 0 ? new RegExp("^(" + names.join("|") + ")$") : undefined;
}
