// Bundles TypeScript the way the firmware is built for Espruino, and runs the result in an Espruino-shaped
// context. The esbuild settings are the ones ../shared/docs/espruino.md found to produce runnable code.
import vm from "node:vm";
import { buildSync, type BuildOptions } from "esbuild";

/** Modules the device has built in; they stay `require` calls in the bundle. */
export const ESPRUINO_BUILTIN_MODULES = ["Wifi", "net", "tls", "Storage", "crypto", "TelnetServer"];

export const ESPRUINO_BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  format: "iife",
  // The only target that works: es2016+ keep `**`, `?.` or class fields; es5 cannot lower const.
  target: "es2015",
  minifyWhitespace: true,
  minifySyntax: true,
  // Short names fit inline in a JsVar, which saves RAM on the device.
  minifyIdentifiers: true,
  legalComments: "none",
  external: ESPRUINO_BUILTIN_MODULES,
};

/** The bundle of `entryFile` as one script. `overrides` replace individual settings (e.g. `define`). */
export function bundleForEspruino(entryFile: string, overrides?: BuildOptions): string {
  return bundleWithNames(Object.assign({}, overrides, { entryPoints: [entryFile] })).code;
}

/** A bundle built with `options` over the Espruino settings, and the mangle cache after it: the next bundle that
 *  shares objects with this one must shorten the same property names the same way. */
export function bundleWithNames(options: BuildOptions): { code: string; mangleCache: Record<string, string | false> } {
  const result = buildSync(Object.assign({}, ESPRUINO_BUILD_OPTIONS, options, { write: false }));
  if (!result.outputFiles || result.outputFiles.length !== 1) throw new Error("esbuild wrote no bundle");
  return { code: result.outputFiles[0].text, mangleCache: result.mangleCache || {} };
}

/** Evaluates a bundle in a context from createEspruinoContext; returns the script's completion value. */
export function runInEspruinoContext(code: string, context: vm.Context): unknown {
  return vm.runInContext(code, context, { filename: "espruino-bundle.js" });
}
