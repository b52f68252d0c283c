// `npm run build`: the firmware bundle the ESP32 boots from flash, dist/firmware.js: its script and its parts
// (./espruino/parts.ts). Each must pass the Espruino bundle check and stay under a hard cap on its size: Espruino
// holds code run from Storage as a native string, whose length is 16 bits with the ESP32's 14-byte JsVars, so a
// longer script is cut short and cannot boot. The cap is not the memory budget: what the device can afford is counted in JsVars on the real interpreter (code and
// steady state, `npm run bench` and test/real-espruino-memory.test.ts).
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { bundleForEspruino } from "./espruino/bundle";
import { buildSlot, HEADER_BYTES, MAIN_RANGE, PARTS, type PartSpec } from "./espruino/parts";
import { checkBundle } from "./check-bundle";
import { parseCommandLine, runCli } from "./cli";
import { privateNamesPattern, reservedNamesCache } from "./espruino/private-names";
import { recordText, slotName, copyName, type BootRecord } from "../lib/update/record";

export const BUNDLE_CAP_BYTES = 65535;
/** The largest slot file an update carries (lib/update/transfer.ts MAX_LENGTH). */
export const IMAGE_CAP_BYTES = 262144;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const FIRMWARE_ENTRY = resolve(ROOT, "firmware/main.ts");
export const FIRMWARE_BUNDLE = resolve(ROOT, "dist/firmware.js");
export const LOADER_ENTRY = resolve(ROOT, "firmware/loader.ts");
export const LOADER_BUNDLE = resolve(ROOT, "dist/loader.js");
/** The line after the loader's script that runs the slot it chose (HAN_BOOT), leaving in HAN_BOOT what the slot
 *  threw while it booted. It must stand at the top level of the script: evaluated inside a function, every
 *  function of the firmware would hold that function's scope beside its own (measured on the real interpreter:
 *  +814 variables for today's bundle, against +6 here). Of the slot file it evaluates the firmware's script only,
 *  not the parts after it (./espruino/parts.ts). */
export const LOADER_RUN = "try{eval(" + MAIN_RANGE + ")}catch(e){HAN_BOOT=e;print(\"Uncaught \"+e)}";

export interface BuildResult {
  /** What goes into a Storage slot: the firmware's script and its parts (./espruino/parts.ts). */
  code: string;
  bytes: number;
  problems: string[];
  /** The firmware's script, the part Espruino evaluates at boot, and each part, in bytes. */
  main?: number;
  parts?: { name: string; bytes: number }[];
}

const kb = (bytes: number) => Number((bytes / 1024).toFixed(1)) + " KB";

/** The bundle's size, as every command that builds it says it. */
export function sizeText(bytes: number, cap: number = BUNDLE_CAP_BYTES): string {
  return `${bytes} bytes (${kb(bytes)} of the ${kb(cap)} cap)`;
}

/** The size of a built firmware, as the tools that build it say it: the script against the cap, and the slot
 *  file with the parts. */
export function firmwareSize(build: BuildResult): string {
  const parts = build.parts || [];
  return `${sizeText(build.main === undefined ? build.bytes : build.main)}` +
    (parts.length > 0 ? `, with ${parts.length} parts ${build.bytes} bytes` : "");
}

/** What Espruino cannot run in `code`, one line each, `what` naming the script. */
function codeProblems(what: string, code: string, cap: number): string[] {
  const problems = checkBundle(code).map((v) => `${what}${v.line}:${v.column} ${v.message}`);
  const bytes = Buffer.byteLength(code);
  if (bytes > cap) problems.push(`${what || "the firmware's script: "}${bytes} bytes (${kb(bytes)}), over the ${kb(cap)} cap`);
  return problems;
}

/** The slot file (the firmware's script and its parts) and what is wrong with it: Espruino-incompatible
 *  constructs, non-ASCII text, the script or a part over `cap` bytes, a slot file larger than an update can carry.
 *  Any problem keeps it off a device. */
export function buildFirmware(cap: number = BUNDLE_CAP_BYTES, parts: PartSpec[] = PARTS): BuildResult {
  const slot = buildSlot(FIRMWARE_ENTRY, { mangleProps: privateNamesPattern(), mangleCache: reservedNamesCache() }, parts);
  const code = slot.image;
  const bytes = Buffer.byteLength(code);
  let problems = codeProblems("", slot.main, cap);
  for (const p of slot.parts) problems = problems.concat(codeProblems(`part ${p.name}: `, p.code, cap));
  if (bytes > IMAGE_CAP_BYTES) {
    problems.push(`the slot file is ${bytes} bytes (${kb(bytes)}), over the ${kb(IMAGE_CAP_BYTES)} an update can carry`);
  }
  if (/[^\x00-\x7f]/.test(code)) problems.push("bundle has non-ASCII characters (the ESP32 build has 8-bit strings)");
  return { code, bytes, problems, main: Buffer.byteLength(slot.main),
    parts: slot.parts.map((p) => ({ name: p.name, bytes: Buffer.byteLength(p.code) })) };
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
    console.log(`dist/firmware.js: ${sizeText(result.main || 0)}, the firmware's script`);
    for (const p of result.parts || []) console.log(`  part ${p.name}: ${sizeText(p.bytes)}`);
    console.log(`  slot file: ${result.bytes} bytes (the script, its parts and a ${HEADER_BYTES}-byte header)`);
    console.log(`dist/loader.js: ${loader.bytes} bytes (the update loader, .bootcde)`);
    const refusal = "npm start, npm run flash and npm run update refuse it until this is fixed";
    return refusesBuild("build", result, refusal) || refusesBuild("build", loader, refusal) ? 1 : 0;
  }, USAGE);
}
