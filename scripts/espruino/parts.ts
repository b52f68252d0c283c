// Parts of the firmware: modules the device needs rarely (validating a configuration, receiving an update), kept
// in flash beside the firmware's script and evaluated only when one of their functions is called
// (firmware/parts.ts). The firmware's script, the one Espruino evaluates whole, stays small, and so do the variables
// its code takes. A slot file (scripts/build.ts) is:
//
//   /*EEEEEEEE*/<the firmware's script>;<part 0>;<part 1>...
//
// where EEEEEEEE is the end of the firmware's script in the file, in 8 decimal digits; the header is a comment, so
// the file still runs whole as .bootcde where no update loader reads it (the emulator, the benches). A part is one
// function expression, `(()=>{...;return({name:fn,...})})`, that returns the functions its module exports; the
// firmware gets, in place of the module, one stand-in per exported function that evaluates the part and calls it.
// The host (Node) imports the modules themselves: nothing changes there.
import ts from "typescript";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MessageChannel, Worker, receiveMessageOnPort } from "node:worker_threads";
import type { BuildOptions } from "esbuild";
import { ESPRUINO_BUILD_OPTIONS, bundleWithNames } from "./bundle";

export interface PartSpec {
  /** What the build reports it as. */
  name: string;
  /** The module, from the repository's root: every function it exports becomes the part's. */
  module: string;
}

/** The parts, in the order they follow the firmware's script. Adding a part is adding a line here; what imports its
 *  module (in lib/ or firmware/) then calls it through the part. */
export const PARTS: PartSpec[] = [
  { name: "stored configuration", module: "firmware/stored-config.ts" },
  { name: "config validation", module: "lib/config/validate.ts" },
  { name: "config formats", module: "lib/config/formats.ts" },
  { name: "update receiver", module: "lib/update/transfer.ts" },
  { name: "remote commands", module: "lib/remote/commands.ts" },
  { name: "home assistant discovery", module: "lib/publish/discovery.ts" },
  { name: "dlms decryption and block transfer", module: "lib/dlms/unwrap.ts" },
  { name: "m-bus reader", module: "lib/mbus/frame-reader.ts" },
  { name: "p1 decoder", module: "lib/p1/decoder.ts" },
  { name: "insights", module: "lib/insights/index.ts" },
];

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RUNTIME = resolve(ROOT, "firmware/parts.ts");
/** What the part's entry calls with its exports; the build makes it the part's `return`. */
const MARK = "HAN_PART";
const END_DIGITS = 8;

/** The header's length: "/*", the digits, "*\/" (firmware/parts.ts reads the digits at offset 2). */
export const HEADER_BYTES = END_DIGITS + 4;

/** What the update loader evaluates of a slot file: its firmware's script, header included. A file without the
 *  header reads NaN here, which Storage.read takes as 0: the whole file. */
export const MAIN_RANGE = 'require("Storage").read(HAN_BOOT,0,parseInt(require("Storage").read(HAN_BOOT,2,' +
  END_DIGITS + '),10))';

export interface BuiltPart { name: string; code: string; bytes: number; problems: string[] }

/** The functions `file` exports, with how many parameters each takes. Any other export (a constant, a class) cannot
 *  be called through a part: an import of it in the firmware fails the build with esbuild's "No matching export". */
export function exportedFunctions(file: string): { name: string; params: number }[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2015, false);
  const out: { name: string; params: number }[] = [];
  for (const statement of source.statements) {
    if (!ts.isFunctionDeclaration(statement) || !statement.name || !statement.body) continue;
    const modifiers = ts.getModifiers(statement) || [];
    if (modifiers.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      out.push({ name: statement.name.text, params: statement.parameters.length });
    }
  }
  if (out.length === 0) throw new Error(`${file} exports no function: it cannot be a part`);
  return out;
}

/** The part of `spec` as its function expression; `options` are the firmware's mangling settings. */
function buildPart(spec: PartSpec, options: BuildOptions): { code: string; mangleCache: Record<string, string | false> } {
  const file = resolve(ROOT, spec.module);
  const names = exportedFunctions(file).map((f) => f.name);
  const entry = `import { ${names.join(", ")} } from ${JSON.stringify(file)};\n` +
    `${MARK}({ ${names.map((n) => n + ": " + n).join(", ")} });\n`;
  const built = bundleWithNames(Object.assign({}, options, {
    stdin: { contents: entry, resolveDir: ROOT, sourcefile: "part: " + spec.name, loader: "js" },
  }));
  const text = built.code;
  const head = "(()=>{";
  const tail = "})();\n";
  if (!text.startsWith(head) || !text.endsWith(tail) || text.split(MARK + "(").length !== 2) {
    throw new Error(`part ${spec.name}: esbuild's output is not one function calling ${MARK}`);
  }
  return { code: text.slice(0, -tail.length).replace(MARK + "(", "return(") + "})", mangleCache: built.mangleCache };
}

/** The stand-ins for the functions of `spec`'s module, for a part `length` bytes long `at` bytes after the end of
 *  the firmware's script. */
export function partStub(spec: PartSpec, at: number, length: number): string {
  const lines = [`import { part } from ${JSON.stringify(RUNTIME)};`];
  for (const f of exportedFunctions(resolve(ROOT, spec.module))) {
    const params = [];
    for (let i = 0; i < f.params; i++) params.push("a" + i);
    lines.push(`export function ${f.name}(${params.join(", ")}) { return part(${at}, ${length}).${f.name}(${params.join(", ")}); }`);
  }
  return lines.join("\n") + "\n";
}

/** Esbuild's build with `stubs` (module path -> source) in place of the modules, waited for: the worker runs the
 *  asynchronous build that plugins need. */
function buildWithStubs(options: BuildOptions, stubs: { [path: string]: string }): { code: string; mangleCache: Record<string, string | false> } {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const channel = new MessageChannel();
  const worker = new Worker(new URL("./stub-build-worker.mjs", import.meta.url), {
    workerData: { options: Object.assign({}, ESPRUINO_BUILD_OPTIONS, options), stubs, port: channel.port2, signal }, transferList: [channel.port2],
  });
  Atomics.wait(signal, 0, 0);
  const message = receiveMessageOnPort(channel.port1);
  void worker.terminate();
  channel.port1.close();
  const reply = message ? message.message as { code?: string; mangleCache?: Record<string, string | false>; error?: string } : null;
  if (!reply || reply.error !== undefined || reply.code === undefined) throw new Error(reply ? String(reply.error) : "esbuild gave no answer");
  return { code: reply.code, mangleCache: reply.mangleCache || {} };
}

/** The firmware as a slot file: its script built from `entry` with `options`, and `specs` as parts after it. */
export function buildSlot(entry: string, options: BuildOptions, specs: PartSpec[] = PARTS):
  { image: string; main: string; parts: { name: string; code: string }[] } {
  let cache = (options.mangleCache || {}) as Record<string, string | false>;
  const parts: { name: string; code: string }[] = [];
  const stubs: { [path: string]: string } = {};
  // Each part starts one byte (the ";") after the one before it.
  let at = 1;
  for (const spec of specs) {
    const built = buildPart(spec, Object.assign({}, options, { mangleCache: cache }));
    cache = built.mangleCache;
    parts.push({ name: spec.name, code: built.code });
    stubs[resolve(ROOT, spec.module)] = partStub(spec, at, built.code.length);
    at += built.code.length + 1;
  }
  const main = buildWithStubs(Object.assign({}, options, { entryPoints: [entry], mangleCache: cache }), stubs).code;
  const end = String(HEADER_BYTES + main.length);
  const image = "/*" + "0".repeat(END_DIGITS - end.length) + end + "*/" + main + parts.map((p) => ";" + p.code).join("");
  return { image, main, parts };
}

/** Where the firmware's script ends in a slot file: all of it when it has no header. */
export function scriptEnd(image: string): number {
  const end = parseInt(image.substr(2, END_DIGITS), 10);
  return image.startsWith("/*") && end > 0 ? end : image.length;
}
