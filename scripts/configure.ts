// `npm run configure`: writes the device's configuration file (han.json), from questions, from flags, or from a
// JSON file, validated against the schema the firmware itself checks at boot (lib/config/schema.ts). With
// --push it also writes the file to a connected device's Storage and restarts it (./device-link.ts). The answers
// may come from a terminal or be piped in, one line each.
import { parseArgs } from "node:util";
import { runCli, UsageError } from "./cli";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { SCHEMA } from "../lib/config/schema";
import { validateConfig, accepted, checkField, redacted, getPath, setPath, Tree } from "../lib/config/validate";
import { FIELD_HELP } from "./config-help";
import { CONFIG_STORE } from "../lib/device";
import { parseValue, parseAssignment } from "./config-values";
import { hex, pushFile } from "./device-link";

const USAGE = `usage: npm run configure -- [options]
  (no options)            ask for each setting, showing the default
  --file FILE             start from this JSON configuration
  --set PATH=VALUE        set one field, e.g. --set mqtt.url=mqtt://192.168.1.10 (repeatable)
  --out FILE              where to write (default han.json)
  --yes                   ask nothing: use the file, the flags and the defaults
  --push --port DEV       also write it to the device on DEV (then restart the device)
  --fields                list every field with what it accepts`;

async function ask(tree: Tree): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: !!process.stdin.isTTY });
  // Lines are read as they come and kept until asked for: piped answers all arrive at once.
  const lines = rl[Symbol.asyncIterator]();
  const question = async (text: string): Promise<string> => {
    process.stdout.write(text);
    const line = await lines.next();
    if (line.done) throw new UsageError("the input ended before every question had its answer");
    return line.value;
  };
  try {
    for (const f of SCHEMA) {
      const current = getPath(tree, f.path) ?? f.def;
      for (;;) {
        const shown = current === undefined ? "" : f.secret && current ? " [keep]" : ` [${current}]`;
        const answer = (await question(`${f.path}: ${FIELD_HELP[f.path]}; ${accepted(f)}${shown}: `)).trim();
        if (answer === "") {
          if (current !== undefined || f.optional) break;
          console.log("  required");
          continue;
        }
        const value = parseValue(f, answer);
        const error = checkField(f, value);
        if (error) { console.log("  " + error); continue; }
        setPath(tree, f.path, value);
        break;
      }
    }
  } finally {
    rl.close();
  }
}

async function main(argv: string[]): Promise<number> {
  let o;
  try {
    o = parseArgs({ args: argv, options: { file: { type: "string" }, set: { type: "string", multiple: true },
      out: { type: "string" }, yes: { type: "boolean" }, push: { type: "boolean" }, port: { type: "string" },
      fields: { type: "boolean" }, help: { type: "boolean", short: "h" } } }).values;
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
  if (o.help) { console.log(USAGE); return 0; }
  if (o.fields) {
    for (const f of SCHEMA) console.log(`${f.path.padEnd(26)} ${accepted(f)}${f.def !== undefined ? ` (default ${JSON.stringify(f.def)})` : f.optional ? " (optional)" : " (required)"}\n${" ".repeat(27)}${FIELD_HELP[f.path]}`);
    return 0;
  }
  if (o.push && !o.port) throw new UsageError("--push needs --port, e.g. --port /dev/ttyUSB0");
  const out = o.out || "han.json";
  let tree: Tree = {};
  const source = o.file || (existsSync(out) ? out : undefined);
  if (source) {
    try {
      tree = JSON.parse(readFileSync(source, "utf8"));
    } catch (e) {
      throw new UsageError(`${source}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "not valid JSON"}`);
    }
  }
  for (const assignment of o.set || []) {
    const parsed = parseAssignment(assignment);
    if (!parsed) {
      const path = assignment.indexOf("=") > 0 ? assignment.slice(0, assignment.indexOf("=")) : "";
      throw new UsageError(`--set ${assignment}: no field "${path}" (npm run configure -- --fields lists them)`);
    }
    setPath(tree, parsed.path, parsed.value);
  }
  if (!o.yes) await ask(tree);
  const { config, errors } = validateConfig(tree);
  if (!config) {
    for (const e of errors) console.error(`configure: ${e}`);
    return 1;
  }
  writeFileSync(out, JSON.stringify(tree, null, 2) + "\n", { mode: 0o600 });
  // It holds passwords: its owner's only, also when it was there before.
  chmodSync(out, 0o600);
  console.log(`configure: wrote ${out}`);
  console.log(JSON.stringify(redacted(config)));
  if (o.push) {
    const report = await pushFile(o.port!, CONFIG_STORE, JSON.stringify(tree), { restart: true,
      password: config.console.password || undefined, progress: (line) => console.log("configure: " + line) });
    console.log(`configure: ${CONFIG_STORE} is on the device (CRC32 ${hex(report.stored[CONFIG_STORE])}), which ` +
      `restarted with it` + (report.firmware ? ` running han-reader ${report.firmware}` : ""));
  }
  return 0;
}

runCli("configure", () => main(process.argv.slice(2)));
