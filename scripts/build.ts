// `npm run build`: the firmware bundle the ESP32 boots from flash, dist/firmware.js. It must pass the Espruino
// bundle check and stay under a hard cap on its size: Espruino holds code run from Storage as a native string,
// whose length is 16 bits with the ESP32's 14-byte JsVars, so a longer .bootcde is cut short and cannot boot. The
// cap is not the memory budget: what the device can afford is counted in JsVars on the real interpreter (code and
// steady state, `npm run bench` and test/real-espruino-memory.test.ts).
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { bundleForEspruino } from "./espruino/bundle";
import { checkBundle } from "./check-bundle";
import { parseCommandLine, runCli } from "./cli";
import { privateNamesPattern, reservedNamesCache } from "./espruino/private-names";
import { recordText, slotName, copyName, type BootRecord } from "../lib/update/record";

export const BUNDLE_CAP_BYTES = 65535;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const FIRMWARE_ENTRY = resolve(ROOT, "firmware/main.ts");
export const FIRMWARE_BUNDLE = resolve(ROOT, "dist/firmware.js");
export const LOADER_ENTRY = resolve(ROOT, "firmware/loader.ts");
export const LOADER_BUNDLE = resolve(ROOT, "dist/loader.js");
/** The line after the loader's script that runs the slot it chose (HAN_BOOT), leaving in HAN_BOOT what the slot
 *  threw while it booted. It must stand at the top level of the script: evaluated inside a function, every
 *  function of the firmware would hold that function's scope beside its own (measured on the real interpreter:
 *  +814 variables for today's bundle, against +6 here). */
export const LOADER_RUN = 'try{eval(require("Storage").read(HAN_BOOT))}catch(e){HAN_BOOT=e;print("Uncaught "+e)}';

export interface BuildResult { code: string; bytes: number; problems: string[] }

const kb = (bytes: number) => Number((bytes / 1024).toFixed(1)) + " KB";

/** The bundle's size, as every command that builds it says it. */
export function sizeText(bytes: number, cap: number = BUNDLE_CAP_BYTES): string {
  return `${bytes} bytes (${kb(bytes)} of the ${kb(cap)} cap)`;
}

/** The bundle and what is wrong with it: Espruino-incompatible constructs, non-ASCII text, and a size over
 *  `cap` bytes. Any problem keeps the bundle off a device. */
export function buildFirmware(cap: number = BUNDLE_CAP_BYTES): BuildResult {
  const code = bundleForEspruino(FIRMWARE_ENTRY, { mangleProps: privateNamesPattern(), mangleCache: reservedNamesCache() });
  const bytes = Buffer.byteLength(code);
  const problems = checkBundle(code).map((v) => `${v.line}:${v.column} ${v.message}`);
  if (bytes > cap) problems.push(`the bundle is ${bytes} bytes (${kb(bytes)}), over the ${kb(cap)} cap`);
  if (/[^\x00-\x7f]/.test(code)) problems.push("bundle has non-ASCII characters (the ESP32 build has 8-bit strings)");
  return { code, bytes, problems };
}

/** The update loader for .bootcde (firmware/loader.ts and LOADER_RUN), checked as the firmware is. */
export function buildLoader(): BuildResult {
  const code = bundleForEspruino(LOADER_ENTRY, { footer: { js: LOADER_RUN } });
  const bytes = Buffer.byteLength(code);
  return { code, bytes, problems: checkBundle(code).map((v) => `${v.line}:${v.column} ${v.message}`) };
}

/** A file for the device's Storage. */
export interface SlotFile { name: string; data: string }

/** What a USB install puts in Storage: the loader as .bootcde, `firmware` in slot 0, and both copies of a boot
 *  record that names slot 0 as the slot that works, as update number `update`, and nothing older as acceptable
 *  (scripts/update.ts numbers updates by the clock too, so an image signed before this install is refused). */
export function slotLayout(loader: string, firmware: string, update: number): SlotFile[] {
  const record: BootRecord = { q: 0, g: 0, v: update, t: -1, w: 0, n: 0, m: 0, h: update, f: "", l: 0 };
  const text = recordText(record);
  return [{ name: ".bootcde", data: loader }, { name: slotName(0), data: firmware },
    { name: copyName(0), data: text }, { name: copyName(1), data: text }];
}

/** Whether `tool` (build, start, flash) must stop on the build's problems; when it must, says so, `refusal`
 *  telling what was not done. One wording and one behaviour for all three. */
export function refusesBuild(tool: string, build: BuildResult, refusal: string): boolean {
  if (build.problems.length === 0) return false;
  for (const p of build.problems) console.error(`${tool}: build: ${p}`);
  console.error(`${tool}: the firmware does not build: ${refusal}`);
  return true;
}

const USAGE = `usage: npm run build
  Bundles firmware/main.ts into dist/firmware.js, the script the ESP32 boots, and checks it for what Espruino
  cannot run and for its size. npm start and npm run flash build it by themselves.`;

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runCli("build", () => {
    if (!parseCommandLine({ args: process.argv.slice(2), options: {} }, USAGE)) return 0;
    const result = buildFirmware();
    const loader = buildLoader();
    mkdirSync(resolve(ROOT, "dist"), { recursive: true });
    writeFileSync(FIRMWARE_BUNDLE, result.code);
    writeFileSync(LOADER_BUNDLE, loader.code);
    console.log(`dist/firmware.js: ${sizeText(result.bytes)}`);
    console.log(`dist/loader.js: ${loader.bytes} bytes (the update loader, .bootcde)`);
    const refusal = "npm start, npm run flash and npm run update refuse it until this is fixed";
    return refusesBuild("build", result, refusal) || refusesBuild("build", loader, refusal) ? 1 : 0;
  }, USAGE);
}
