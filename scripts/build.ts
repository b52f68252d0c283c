// `npm run build`: the firmware bundle the ESP32 boots from flash, dist/firmware.js. It must pass the Espruino
// bundle check and stay within the size budget (function bodies stay in flash, but every byte is uploaded and
// parsed on the device).
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { bundleForEspruino } from "./espruino/bundle";
import { checkBundle } from "./check-bundle";
import { privateNamesPattern, reservedNamesCache } from "./espruino/private-names";

export const BUDGET_BYTES = 40 * 1024;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const FIRMWARE_ENTRY = resolve(ROOT, "firmware/main.ts");
export const FIRMWARE_BUNDLE = resolve(ROOT, "dist/firmware.js");

export interface BuildResult { code: string; bytes: number; problems: string[] }

/** The bundle and what is wrong with it: Espruino-incompatible constructs, non-ASCII text, and a size over
 *  `budget` bytes. */
export function buildFirmware(budget: number = BUDGET_BYTES): BuildResult {
  const code = bundleForEspruino(FIRMWARE_ENTRY, { mangleProps: privateNamesPattern(), mangleCache: reservedNamesCache() });
  const bytes = Buffer.byteLength(code);
  const problems = checkBundle(code).map((v) => `${v.line}:${v.column} ${v.message}`);
  if (bytes > budget) problems.push(`bundle is ${bytes} bytes, over the budget of ${budget}`);
  if (/[^\x00-\x7f]/.test(code)) problems.push("bundle has non-ASCII characters (the ESP32 build has 8-bit strings)");
  return { code, bytes, problems };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const result = buildFirmware();
  mkdirSync(resolve(ROOT, "dist"), { recursive: true });
  writeFileSync(FIRMWARE_BUNDLE, result.code);
  console.log(`dist/firmware.js: ${result.bytes} bytes (${(result.bytes / 1024).toFixed(1)} KB of ${BUDGET_BYTES / 1024} KB)`);
  for (const p of result.problems) console.error(`build: ${p}`);
  process.exitCode = result.problems.length > 0 ? 1 : 0;
}
