// `npm run configure`: writes the device's configuration file (han.json), from questions, from flags, or from a
// JSON file, validated against the schema the firmware itself checks at boot (lib/config/schema.ts). With
// --push it also writes the file to a connected device's Storage and restarts it (./device-link.ts). The answers
// may come from a terminal (secrets are not shown while typed; Ctrl-C cancels) or be piped in, one line each.
import { Writable } from "node:stream";
import { parseCommandLine, runCli, UsageError } from "./cli";
import { closeSync, existsSync, fchmodSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { SCHEMA, type FieldSpec } from "../lib/config/schema";
import { maskUrl } from "../lib/config/formats";
import { validateConfig, accepted, redacted, getPath, setPath, Tree } from "../lib/config/validate";
import { FIELD_HELP } from "./config-help";
import { CONFIG_STORE } from "../lib/device";
import { FILE_FIELDS, parseValue, parseAssignment } from "./config-values";
import { hex, pushFile } from "./device-link";

const USAGE = `usage: npm run configure -- [options]
  (no options)            ask for each setting, showing the default
  --file FILE             start from this JSON configuration
  --set PATH=VALUE        set one field, e.g. --set mqtt.url=mqtt://192.168.1.10 (repeatable); mqtt.ca takes
                          the name of a PEM file
  --out FILE              where to write (default han.json)
  --yes                   ask nothing: use the file, the flags and the defaults
  --push --port DEV       also write it to the device on DEV (then restart the device)
  --fields                list every field with what it accepts`;

/** Questions that only matter for some answers to others (counted as asked while those are open). */
const ASKED_WHEN: { [path: string]: (tree: Tree) => boolean } = {
  "mqtt.ca": (tree) => getPath(tree, "mqtt.url") === undefined || /^mqtts:/.test(String(getPath(tree, "mqtt.url"))),
};

/** Ctrl-C at a question: nothing is written. */
class Cancelled extends Error {}

/** What the terminal shows of the typing: nothing while a secret is typed. */
class Echo extends Writable {
  muted = false;

  get columns(): number | undefined {
    return process.stdout.columns;
  }

  _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    if (!this.muted) process.stdout.write(chunk);
    done();
  }
}

/** The typed text as the field's value: for a file field the file's contents, checked. */
function typedValue(f: FieldSpec, text: string): { value: unknown } | { error: string } {
  const read = FILE_FIELDS[f.path];
  if (!read) return { value: parseValue(f, text) };
  try {
    return { value: read(text) };
  } catch (e) {
    return { error: `${f.path}: ${(e as Error).message}` };
  }
}

/** A validation error as configure says it: a broker URL refused for its user information (masked by the
 *  schema's message) also says where that belongs. */
function explained(error: string): string {
  return /^mqtt\.url: .*\*\*\*@/.test(error) ? error + " (the user name and password go in mqtt.username and mqtt.password)" : error;
}

/** The problems validation finds with `path` in `tree`: its own value, and how it sits with the others. */
function problemsWith(tree: Tree, path: string): string[] {
  return validateConfig(tree).errors.filter((e) => e.indexOf(path + ":") === 0).map(explained);
}

/** Writes `text` to `file` readable by its owner only (it holds passwords), set before any byte is written, also
 *  when the file was there before with a looser mode. */
function writePrivate(file: string, text: string): void {
  const fd = openSync(file, "w", 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

async function ask(tree: Tree): Promise<void> {
  const terminal = !!process.stdin.isTTY;
  const echo = new Echo();
  const rl = createInterface({ input: process.stdin, output: echo, terminal: terminal });
  let cancelled = false;
  const cancel = () => {
    cancelled = true;
    rl.close();
  };
  // A terminal's Ctrl-C reaches readline as a key; piped input gets the signal.
  rl.on("SIGINT", cancel);
  process.once("SIGINT", cancel);
  // Lines are read as they come and kept until asked for: piped answers all arrive at once.
  const lines = rl[Symbol.asyncIterator]();
  const question = async (text: string, secret: boolean): Promise<string> => {
    rl.setPrompt(text);
    rl.prompt();
    echo.muted = secret && terminal;
    const line = await lines.next();
    if (echo.muted) {
      echo.muted = false;
      process.stdout.write("\r\n");
    }
    if (cancelled) throw new Cancelled();
    if (line.done) throw new UsageError("the input ended before every question had its answer");
    return line.value;
  };
  try {
    for (const f of SCHEMA) {
      const asked = SCHEMA.filter((g) => !ASKED_WHEN[g.path] || ASKED_WHEN[g.path](tree));
      if (asked.indexOf(f) < 0) continue;
      const current = getPath(tree, f.path) ?? f.def;
      for (;;) {
        const hidden = (f.secret || FILE_FIELDS[f.path]) && current;
        const shown = current === undefined ? "" : hidden ? " [keep]" : ` [${maskUrl(String(current))}]`;
        const what = FILE_FIELDS[f.path] ? "the name of the file" : accepted(f);
        const answer = (await question(`[question ${asked.indexOf(f) + 1} of ${asked.length}] ` +
          `${f.path}: ${FIELD_HELP[f.path]}; ${what}${shown}: `, !!f.secret)).trim();
        if (answer === "" && current === undefined && !f.optional) {
          console.log("  required");
          continue;
        }
        const typed = answer === "" ? null : typedValue(f, answer);
        if (typed && "error" in typed) {
          console.log("  " + typed.error);
          continue;
        }
        // Kept or typed, the value must also sit with the answers before it (han.tx differs from han.rx).
        const trial = JSON.parse(JSON.stringify(tree)) as Tree;
        if (typed) setPath(trial, f.path, typed.value);
        const problems = problemsWith(trial, f.path);
        if (problems.length === 0) {
          if (typed) setPath(tree, f.path, typed.value);
          break;
        }
        for (const p of problems) console.log("  " + p);
      }
    }
  } finally {
    process.removeListener("SIGINT", cancel);
    rl.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine({ args: argv, options: { file: { type: "string" }, set: { type: "string", multiple: true },
    out: { type: "string" }, yes: { type: "boolean" }, push: { type: "boolean" }, port: { type: "string" },
    fields: { type: "boolean" } } }, USAGE);
  if (!parsed) return 0;
  const o = parsed.values;
  if (o.fields) {
    for (const f of SCHEMA) console.log(`${f.path.padEnd(26)} ${FILE_FIELDS[f.path] ? "the name of a PEM file" : accepted(f)}${f.def !== undefined ? ` (default ${JSON.stringify(f.def)})` : f.optional ? " (optional)" : " (required)"}\n${" ".repeat(27)}${FIELD_HELP[f.path]}`);
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
  const errors: string[] = [];
  for (const assignment of o.set || []) {
    if (assignment.indexOf("=") <= 0) {
      throw new UsageError(`--set ${assignment}: expected PATH=VALUE, e.g. --set wifi.ssid=MyNetwork ` +
        "(npm run configure -- --fields lists the paths)");
    }
    const parsed = parseAssignment(assignment);
    if (!parsed) {
      throw new UsageError(`--set ${assignment}: no field "${assignment.slice(0, assignment.indexOf("="))}" ` +
        "(npm run configure -- --fields lists them)");
    }
    const f = SCHEMA.filter((g) => g.path === parsed.path)[0];
    const typed = typedValue(f, assignment.slice(assignment.indexOf("=") + 1));
    if ("error" in typed) errors.push(typed.error);
    else setPath(tree, parsed.path, typed.value);
  }
  if (errors.length === 0 && !o.yes) {
    try {
      await ask(tree);
    } catch (e) {
      if (!(e instanceof Cancelled)) throw e;
      // At a terminal the cursor still stands after the question.
      console.error((process.stdin.isTTY ? "\n" : "") + "configure: cancelled, nothing written");
      return 130;
    }
  }
  const result = validateConfig(tree);
  const config = result.config;
  for (const e of errors.concat(result.errors)) console.error(`configure: ${explained(e)}`);
  if (!config || errors.length > 0) return 1;
  writePrivate(out, JSON.stringify(tree, null, 2) + "\n");
  console.log(`configure: wrote ${out}, readable by its owner only (mode 0600): it holds the passwords in plain ` +
    "text; keep it out of version control");
  const shown = redacted(config);
  // A certificate is many lines of base64: its size says enough here.
  if (config.mqtt.ca) setPath(shown, "mqtt.ca", `(certificate, ${config.mqtt.ca.length} characters)`);
  console.log(JSON.stringify(shown));
  if (o.push) {
    const report = await pushFile(o.port!, CONFIG_STORE, JSON.stringify(tree), { restart: true,
      password: config.console.password || undefined, progress: (line) => console.log("configure: " + line) });
    console.log(`configure: ${CONFIG_STORE} is on the device (CRC32 ${hex(report.stored[CONFIG_STORE])}), which ` +
      `restarted with it` + (report.firmware ? ` running han-reader ${report.firmware}` : ""));
  } else {
    console.log(`configure: next, put the firmware and this configuration on the ESP32: npm run flash -- --port ` +
      `/dev/ttyUSB0${out === "han.json" ? "" : " --config " + out} (README.md, section 5)`);
  }
  return 0;
}

runCli("configure", () => main(process.argv.slice(2)));
