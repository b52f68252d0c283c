// `npm run flash -- --port /dev/ttyUSB0 [--config han.json]`: checks the configuration against the schema the
// firmware checks at boot (lib/config/schema.ts), builds the firmware, writes it to the ESP32's Storage in the
// layout remote updates need (the update loader as .bootcde, the firmware in slot 0, the boot record: build.ts
// slotLayout) together with the configuration file, restarts the device and reads back the firmware version and
// the configuration's CRC32 to confirm (./device-link.ts). Every failure says what to do, and running it again
// after one is safe.
import { parseCommandLine, runCli, UsageError } from "./cli";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { FIRMWARE_BUNDLE, buildFirmware, buildLoader, refusesBuild, firmwareSize, slotLayout } from "./build";
import { validateConfig } from "../lib/config/validate";
import { CONFIG_STORE, FIRMWARE_VERSION } from "../lib/device";
import { checkPort, hex, writeFiles } from "./device-link";

const USAGE = `usage: npm run flash -- --port DEV [--config FILE]
  --port DEV       the ESP32's USB serial port, e.g. /dev/ttyUSB0 (Espruino must be installed: README.md, section 3)
  --config FILE    the configuration to write (default han.json; npm run configure makes it)`;

function say(line: string): void {
  console.log("flash: " + line);
}

function readConfig(file: string): { text: string; password: string | undefined } | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    console.error((e as NodeJS.ErrnoException).code === "ENOENT" ?
      `flash: no ${file}: make it with npm run configure (or name another with --config FILE)` :
      `flash: ${file} is not valid JSON: fix it, or make it again with npm run configure`);
    return null;
  }
  const result = validateConfig(raw);
  if (!result.config) {
    for (const error of result.errors) console.error(`flash: ${file}: ${error}`);
    console.error(`flash: nothing was written to the device; fix ${file} (npm run configure -- --file ${file}) ` +
      "and run this again");
    return null;
  }
  // Written as it is, without the defaults filled in: the firmware fills them at boot.
  return { text: JSON.stringify(raw), password: result.config.console.password || undefined };
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine({ args: argv, options: { port: { type: "string" }, config: { type: "string" } } }, USAGE);
  if (!parsed) return 0;
  const o = parsed.values;
  if (!o.port) throw new UsageError("--port is needed, e.g. --port /dev/ttyUSB0");
  const file = o.config || "han.json";
  const config = readConfig(file);
  if (!config) return 1;
  // A wrong port is found before the build, which takes a few seconds.
  checkPort(o.port);

  const build = buildFirmware();
  const loader = buildLoader();
  if (refusesBuild("flash", build, "nothing was written to the device") ||
    refusesBuild("flash", loader, "nothing was written to the device")) return 1;
  mkdirSync(dirname(FIRMWARE_BUNDLE), { recursive: true });
  writeFileSync(FIRMWARE_BUNDLE, build.code);
  say(`firmware han-reader ${FIRMWARE_VERSION}: ${firmwareSize(build)}`);

  // The update number of what is installed: the clock's seconds, as npm run update numbers its images.
  const files = slotLayout(loader.code, build.code, Math.floor(Date.now() / 1000))
    .map((f) => ({ name: f.name, data: Buffer.from(f.data, "latin1") }));
  const report = await writeFiles(o.port, files.concat([{ name: CONFIG_STORE, data: Buffer.from(config.text, "utf8") }]),
    { password: config.password, restart: true, progress: say });
  if (report.firmware !== FIRMWARE_VERSION) {
    console.error(`flash: the device runs firmware ${report.firmware || "without a version"} after the restart, ` +
      `not ${FIRMWARE_VERSION}: run this again; if that does not help, unplug the ESP32 and plug it in again first`);
    return 1;
  }
  say(`done: han-reader ${report.firmware} runs on ${o.port}` + (report.espruino ? ` (Espruino ${report.espruino})` : "") +
    `, with ${file} as ${CONFIG_STORE} (CRC32 ${hex(report.stored[CONFIG_STORE])}, the same as this computer's)`);
  return 0;
}

runCli("flash", () => main(process.argv.slice(2)), USAGE);
