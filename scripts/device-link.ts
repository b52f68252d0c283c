// The host's side of a device on a serial port, through the `espruino` command-line tool (EspruinoTools) at
// 115200 baud, offline (the board description it wants is a local file, never a download). Three conversations,
// one run of the tool each:
//   1. open: the tool as a terminal. Ctrl-C drops whatever a broken upload left half-typed, and Enter must bring
//      Espruino's ">" prompt; when the firmware has locked the console, the password is typed first
//      (lib/console-guard.ts, where Ctrl-C and Enter on an empty line cost no attempt). reset() then stops
//      whatever runs, so that nothing competes with the upload.
//   2. store: the tool writes each file to Storage (--storage NAME:FILE) and the device prints their CRC32, which
//      must be those of the bytes sent.
//   3. restart: load() boots the firmware; the password is typed again if the console locks; the device prints
//      the running firmware's version (the HAN_FIRMWARE global) and the CRC32 of the files; and when the console
//      was locked, one more load() locks it again.
// Nothing here prints or logs a password or a file's contents: the tool's own output is read, never passed on,
// except the device's lines that carry no upload data. Every failure is a DeviceLinkError whose message says what
// to do.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isatty } from "node:tty";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "./crc32";
import { ESPRUINO_BUILTIN_MODULES } from "./espruino/bundle";

export const BAUD = 115200;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "node_modules/.bin/espruino");
/** Makes the tool accept ports udev does not list (./espruino-cli-port.cjs). */
const PORT_SHIM = join(ROOT, "scripts/espruino-cli-port.cjs");
/** The tool writes a Storage file in lines of this many bytes, base64 encoded (EspruinoTools core/utils.js). */
const UPLOAD_CHUNK = 384;
/** ... and waits this long after each line, so that the device keeps up without flow control. */
const LINE_DELAY_MS = 250;
/** How long a restarted device may take to print its first line. */
const BOOT_MS = 15000;
/** How long Espruino may take to answer at its prompt. */
const ANSWER_MS = 3000;
/** Espruino's prompt at the end of what it sent: ">" after CR LF or CR. (The tool, as a terminal, prints its own
 *  "Press Ctrl-C again to exit" and a ">" after a bare LF.) */
const PROMPT = /\r\n?>$/;
/** The firmware's prompt when its console is locked (lib/console-guard.ts); Ctrl-C brings it back. */
const LOCKED_PROMPT = /Console locked\. Password: /;

export type FailureKind = "no-port" | "permission" | "no-espruino" | "locked" | "interrupted" | "not-started";

export class DeviceLinkError extends Error {
  /** The message is for the person at the keyboard as it is, without a stack. */
  readonly userFacing = true;

  constructor(readonly kind: FailureKind, message: string) {
    super(message);
  }
}

/** A file for Storage: its name there and its bytes. */
export interface StorageFile {
  name: string;
  data: Buffer;
}

export interface LinkOptions {
  /** console.password of the configuration: typed when the firmware has locked the console. */
  password?: string;
  /** Stop what runs first (reset()), restart the device afterwards (load()), and read back the running firmware
   *  and the files. Without it the files are written next to whatever runs. */
  restart?: boolean;
  /** Lines that say how it goes. */
  progress?: (line: string) => void;
}

export interface LinkReport {
  /** "ESP32 2v29": the board and Espruino version the device reported. */
  espruino: string | null;
  /** CRC32 of each file as the device stored it (the same as the bytes sent, or writeFiles throws). */
  stored: { [name: string]: number };
  /** After a restart: the firmware version the device runs (null when it has no HAN_FIRMWARE). */
  firmware: string | null;
}

// ---- what to do when it fails -----------------------------------------------------------------------------

function candidatePorts(): string[] {
  try {
    return readdirSync("/dev").filter((n) => /^tty(USB|ACM)\d+$/.test(n)).map((n) => "/dev/" + n);
  } catch (e) {
    return [];
  }
}

function noSuchPort(port: string): DeviceLinkError {
  const others = candidatePorts();
  return new DeviceLinkError("no-port", `no such port ${port}: plug the ESP32 in with a USB data cable and check ` +
    `the name (${others.length > 0 ? "ports here: " + others.join(", ") : "no /dev/ttyUSB* or /dev/ttyACM* here now"})`);
}

function noPermission(port: string): DeviceLinkError {
  return new DeviceLinkError("permission", `permission denied on ${port}: add yourself to the dialout group ` +
    "(sudo usermod -aG dialout $USER), then log out and in again, and run this again");
}

export function noEspruino(port: string): DeviceLinkError {
  return new DeviceLinkError("no-espruino", `no Espruino answering on ${port} at ${BAUD} baud. Install Espruino on ` +
    "the ESP32 first (README.md, section 3: espruino_2v29_esp32.tgz from espruino.com/binaries, with " +
    "pip install esptool):\n" +
    `  esptool.py --chip esp32 --port ${port} erase_flash\n` +
    `  esptool.py --chip esp32 --port ${port} --baud 921600 write_flash -z --flash_mode dio --flash_freq 40m ` +
    "--flash_size detect 0x1000 bootloader.bin 0x8000 partitions_espruino.bin 0x10000 espruino_esp32.bin\n" +
    "Then run this again.");
}

function lockedWithoutPassword(port: string): DeviceLinkError {
  return new DeviceLinkError("locked", `the console on ${port} is locked with a password, and the configuration ` +
    "has no console.password: set it to the device's password (npm run configure -- --set console.password=...) " +
    "and run this again");
}

function notSerial(port: string): DeviceLinkError {
  return new DeviceLinkError("no-port", `${port} is not a serial port: give the ESP32's USB serial port, e.g. ` +
    "/dev/ttyUSB0");
}

function interrupted(port: string, what: string): DeviceLinkError {
  return new DeviceLinkError("interrupted", `the upload to ${port} was interrupted (${what}). It is safe to run it ` +
    "again: nothing is used before the device restarts, and a device whose upload broke still answers. If it " +
    "keeps failing, unplug the ESP32, plug it in again and retry.");
}

/** The failure an error from opening `port` stands for, or null when it is none of the known ones. */
export function portProblem(port: string, error: { code?: string }): DeviceLinkError | null {
  if (error.code === "ENOENT" || error.code === "ENOTDIR") return noSuchPort(port);
  if (error.code === "EACCES" || error.code === "EPERM") return noPermission(port);
  if (error.code === "EBUSY") return inUse(port, "busy");
  if (error.code === "ENXIO" || error.code === "ENODEV" || error.code === "EIO") {
    return new DeviceLinkError("no-port", `${port} is there, but no device answers behind it (${error.code}): plug ` +
      "the ESP32 in again and run this again");
  }
  return null;
}

function inUse(port: string, why: string): DeviceLinkError {
  return new DeviceLinkError("no-port", `cannot open ${port} as a serial port (${why}): is it the ESP32's USB ` +
    "serial port, and not in use by another program (a terminal, npm run monitor)?");
}

/** The failure the tool's output stands for, when it could not use the port. */
export function toolProblem(port: string, output: string): DeviceLinkError | null {
  if (/No such file or directory|ENOENT|Port "[^"]*" not found/.test(output)) return noSuchPort(port);
  if (/Permission denied|EACCES/.test(output)) return noPermission(port);
  if (/Inappropriate ioctl|ENOTTY/.test(output)) return notSerial(port);
  const open = /(cannot open|Unable to connect|Unable to open device)[^\r\n]*/.exec(output);
  if (open) return inUse(port, open[0].trim());
  return null;
}

/** The line of the tool's error output that says what went wrong: its last error, not Node's closing lines. */
export function toolError(errors: string): string {
  const lines = errors.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const said = lines.filter((l) => /Error\b/.test(l));
  return said.length > 0 ? said[said.length - 1].replace(/^(Error: )+/, "") :
    lines.filter((l) => !/^Node\.js v/.test(l)).pop() || "";
}

/** Refuses a port that cannot be opened, or is no terminal device (/dev/null), before the tool gets to try. */
export function checkPort(port: string): void {
  let fd: number;
  try {
    if (!statSync(port).isCharacterDevice()) throw notSerial(port);
    // Opened as the tool opens it, without making it this process's terminal or waiting for a modem.
    fd = openSync(port, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  } catch (e) {
    throw portProblem(port, e as { code?: string }) || e;
  }
  const serial = isatty(fd);
  closeSync(fd);
  if (!serial) throw notSerial(port);
}

// ---- the tool ---------------------------------------------------------------------------------------------

/** One run of the tool on `port`; its output kept for reading. */
class Tool {
  output = "";
  errors = "";
  exitCode: number | null | undefined = undefined;
  /** Where the next look at the output starts. */
  private from = 0;
  private readonly child: ChildProcess;
  private readonly watchers: (() => void)[] = [];
  private readonly exited: Promise<void>;

  constructor(readonly port: string, args: string[]) {
    this.child = spawn(process.execPath, ["--require", PORT_SHIM, realpathSync(CLI), "--no-ble", "-b", String(BAUD)]
      .concat(args, ["-p", port]), { env: Object.assign({}, process.env, { HAN_SERIAL_PORT: port }),
      stdio: ["pipe", "pipe", "pipe"] });
    const grow = (data: Buffer, err: boolean): void => {
      if (err) this.errors = (this.errors + data.toString("utf8")).slice(-20000);
      else this.append(data.toString("utf8"));
      for (const watch of this.watchers.slice()) watch();
    };
    (this.child.stdout as NodeJS.ReadableStream).on("data", (d: Buffer) => grow(d, false));
    (this.child.stderr as NodeJS.ReadableStream).on("data", (d: Buffer) => grow(d, true));
    (this.child.stdin as NodeJS.WritableStream).on("error", () => { /* the tool is gone; exitCode says so */ });
    this.exited = new Promise<void>((resolve) => {
      this.child.on("exit", (code) => {
        this.exitCode = code;
        for (const watch of this.watchers.slice()) watch();
        resolve();
      });
    });
  }

  private append(text: string): void {
    this.output += text;
    // A long conversation must not grow without end; what was already looked at can go.
    if (this.output.length > 200000) {
      const drop = Math.min(this.from, this.output.length - 100000);
      this.output = this.output.slice(drop);
      this.from -= drop;
    }
  }

  /** Types `text` into the tool's terminal. The tool reads its input as UTF-8 and sends each character as one
   *  byte, so text is passed as its UTF-8 bytes, one character each: what a UTF-8 terminal would send. */
  type(text: string): void {
    const bytes = Buffer.from(text, "utf8").toString("latin1");
    (this.child.stdin as NodeJS.WritableStream).write(Buffer.from(bytes, "utf8"));
  }

  /** Forgets the output so far: what a port holds from before the conversation is not an answer to it. */
  async settle(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.from = this.output.length;
  }

  /** The first match of `pattern` in the output not yet looked at, waiting up to `ms`; null when the time runs
   *  out or the tool ends first. A match moves the start of the next look past it. */
  expect(pattern: RegExp, ms: number): Promise<RegExpExecArray | null> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const finish = (result: RegExpExecArray | null): void => {
        if (timer) clearTimeout(timer);
        const i = this.watchers.indexOf(check);
        if (i >= 0) this.watchers.splice(i, 1);
        resolve(result);
      };
      const check = (): void => {
        const match = pattern.exec(this.output.slice(this.from));
        if (match) {
          this.from += match.index + match[0].length;
          finish(match);
        } else if (this.exitCode !== undefined) {
          finish(null);
        }
      };
      this.watchers.push(check);
      timer = setTimeout(() => finish(null), ms);
      check();
    });
  }

  /** Resolves when the tool has ended, ending it after `ms`. */
  async end(ms: number): Promise<void> {
    (this.child.stdin as NodeJS.WritableStream).end();
    const timer = setTimeout(() => this.child.kill("SIGTERM"), ms);
    await this.exited;
    clearTimeout(timer);
  }

  /** Why the tool could not talk to the port, when that is why it ended. */
  problem(): DeviceLinkError | null {
    return toolProblem(this.port, this.errors + this.output);
  }
}

/** The tool as a terminal: what is typed goes to the device, what it prints comes back. */
async function openTerminal(port: string): Promise<Tool> {
  const tool = new Tool(port, ["--config", "ENV_ON_CONNECT=false"]);
  const connected = await tool.expect(/^Connected\r?$/m, 15000);
  if (!connected) {
    await tool.end(1000);
    throw tool.problem() || new DeviceLinkError("no-port", `the espruino tool could not open ${port}` +
      (toolError(tool.errors) ? ": " + toolError(tool.errors) : ""));
  }
  await tool.settle(300);
  return tool;
}

/** Types the console password at the firmware's prompt. */
async function unlock(tool: Tool, password: string | undefined): Promise<void> {
  const port = tool.port;
  if (!password) throw lockedWithoutPassword(port);
  tool.type(password + "\r");
  const answer = await tool.expect(/Unlocked\.|Wrong password\.|Wait (\d+) s/, ANSWER_MS);
  if (!answer) throw tool.problem() || interrupted(port, "no answer to console.password");
  if (answer[0] === "Unlocked.") return;
  if (answer[1]) {
    throw new DeviceLinkError("locked", `the console on ${port} waits ${answer[1]} s after wrong passwords: run ` +
      "this again after that");
  }
  throw new DeviceLinkError("locked", `the console on ${port} did not take console.password from the ` +
    "configuration. If you changed it, the device still has the earlier one: open the console with that first " +
    `(npx espruino --no-ble -b ${BAUD} --config ENV_ON_CONNECT=false -p ${port}, type it and Enter, then Ctrl-C ` +
    "twice); it stays open for 30 minutes, in which this can run again. Each further wrong password makes the " +
    "console wait longer.");
}

/** Conversation 1: Espruino's prompt, unlocked if need be; with `stop`, nothing running any more. */
async function openConsole(port: string, password: string | undefined, stop: boolean,
  progress: (line: string) => void): Promise<void> {
  const tool = await openTerminal(port);
  try {
    tool.type("\x03\n");
    const answer = await tool.expect(new RegExp(PROMPT.source + "|" + LOCKED_PROMPT.source), ANSWER_MS);
    if (!answer) {
      if (tool.exitCode !== undefined) throw tool.problem() || interrupted(port, "the port closed");
      throw noEspruino(port);
    }
    if (LOCKED_PROMPT.test(answer[0])) {
      if (!password) throw lockedWithoutPassword(port);
      progress("the console is locked: typing console.password");
      await unlock(tool, password);
      tool.type("\n");
      if (!await tool.expect(PROMPT, ANSWER_MS)) throw interrupted(port, "no prompt after the console unlocked");
    }
    if (stop) {
      progress("stopping what runs (reset())");
      tool.type("\x10reset()\n");
      if (!await tool.expect(PROMPT, BOOT_MS)) throw interrupted(port, "no prompt after reset()");
    }
  } finally {
    await tool.end(3000);
  }
}

/** `print("LABEL", CRC32 of each file)` for the device. */
function crcExpression(label: string, names: string[]): string {
  return "print(" + [JSON.stringify(label)].concat(names.map((n) =>
    "E.CRC32(require(\"Storage\").read(" + JSON.stringify(n) + "))>>>0")).join(",") + ")";
}

/** The numbers after `label` in a line the device printed. */
function numbersAfter(label: string, text: string): number[] | null {
  const match = new RegExp(label + "((?: \\d+)+)").exec(text);
  return match ? match[1].trim().split(" ").map(Number) : null;
}

/** The device's own lines in the tool's output, without any that carry upload data. */
function deviceLines(output: string): string[] {
  return output.split(/\r?\n/).filter((l) => l.indexOf("--] ") === 0).map((l) => l.slice(4).replace(/^>+/, ""))
    .filter((l) => l.trim() !== "" && !/atob\(|[A-Za-z0-9+/=]{40}/.test(l));
}

/** Conversation 2: the files into Storage; their CRC32 as the device read them back. */
async function storeFiles(port: string, files: StorageFile[], progress: (line: string) => void):
  Promise<{ espruino: string | null; stored: { [name: string]: number } }> {
  const dir = mkdtempSync(join(tmpdir(), "han-link-"));
  try {
    writeFileSync(join(dir, "ESP32.json"), JSON.stringify({ info: { builtin_modules: ESPRUINO_BUILTIN_MODULES } }));
    const storage: string[] = [];
    files.forEach((f, i) => {
      const path = join(dir, "file" + i);
      writeFileSync(path, f.data, { mode: 0o600 });
      storage.push("--storage", f.name + ":" + path);
    });
    const names = files.map((f) => f.name);
    const lines = files.reduce((n, f) => n + Math.ceil(f.data.length / UPLOAD_CHUNK), 0);
    // What the tool sends: base64 of every byte, and a Storage.write call around each line.
    const total = files.reduce((n, f) => n + Math.ceil(f.data.length / 3) * 4, 0) + lines * 60;
    const tool = new Tool(port, ["-v", "--config", "BOARD_JSON_URL=" + dir].concat(storage,
      ["-e", crcExpression("HAN-STORED", names)]));
    let sent = 0;
    let shown = 0;
    let espruino: string | null = null;
    let seen = 0;
    const follow = (): void => {
      const text = tool.output;
      const end = text.lastIndexOf("\n");
      if (end < seen) return;
      for (const line of text.slice(seen, end).split("\n")) {
        const found = /^Found (\S+), (\S+)/.exec(line);
        if (found) {
          espruino = found[1] + " " + found[2];
          progress("Espruino " + found[2] + " on " + found[1] + " answering");
          if (found[1] !== "ESP32") progress("warning: this firmware is built for Espruino's ESP32 build, not " + found[1]);
        }
        if (espruino !== null && line.indexOf("serial: Sending ") === 0) {
          try {
            sent += (JSON.parse(line.slice(16)) as string).length;
          } catch (e) {
            // A line cut short: the count is an estimate anyway.
          }
          const percent = Math.min(99, Math.floor(sent * 100 / total / 10) * 10);
          if (percent > shown) {
            shown = percent;
            progress("uploading: " + percent + "%");
          }
        }
      }
      seen = end + 1;
    };
    const timer = setInterval(follow, 200);
    progress("writing " + files.map((f) => f.name + " (" + f.data.length + " bytes)").join(" and ") +
      " to Storage; about " + Math.ceil(lines * LINE_DELAY_MS / 1000 + 3) + " s");
    const done = await tool.expect(/HAN-STORED((?: \d+)+)/, lines * LINE_DELAY_MS * 4 + 60000);
    clearInterval(timer);
    follow();
    await tool.end(5000);
    if (!done) {
      const problem = tool.problem();
      if (problem) throw problem;
      if (/Unable to retrieve board information/.test(tool.errors)) throw noEspruino(port);
      const said = deviceLines(tool.output).filter((l) => /Uncaught|Error|error/.test(l));
      throw interrupted(port, /Disconnected/.test(tool.output) ? "the port closed" :
        said.length > 0 ? "the device said: " + said.slice(-3).join(" / ") : "the device did not confirm it");
    }
    const crcs = numbersAfter("HAN-STORED", done[0]) as number[];
    const stored: { [name: string]: number } = {};
    files.forEach((f, i) => {
      if (crcs[i] !== crc32(f.data)) {
        throw interrupted(port, f.name + " on the device is not what was sent (CRC32 " + hex(crcs[i]) + ", sent " +
          hex(crc32(f.data)) + ")");
      }
      stored[f.name] = crcs[i];
    });
    progress("uploading: 100%; stored " + names.map((n) => n + " CRC32 " + hex(stored[n])).join(", "));
    return { espruino: espruino, stored: stored };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A CRC32 as eight hex digits. */
export function hex(n: number | undefined): string {
  return n === undefined || isNaN(n) ? "none" : ("0000000" + n.toString(16)).slice(-8);
}

/** Conversation 3: load(), and what the restarted device runs and holds. */
async function restartAndRead(port: string, names: string[], password: string | undefined,
  progress: (line: string) => void): Promise<{ firmware: string | null; crcs: number[] }> {
  const tool = await openTerminal(port);
  try {
    progress("restarting the device (load())");
    tool.type("\x10load()\n");
    // The firmware says which version runs, and whether it locks the console, before the lock prompt comes.
    const booted = await tool.expect(new RegExp("han-reader [^\\s,]+(, console locked)?|" + LOCKED_PROMPT.source), BOOT_MS);
    if (!booted) {
      throw tool.problem() || new DeviceLinkError("not-started", `the device on ${port} restarted, but no firmware ` +
        `answered: flash it (npm run flash -- --port ${port})`);
    }
    const locked = LOCKED_PROMPT.test(booted[0]) || /console locked/.test(booted[0]);
    if (locked && !LOCKED_PROMPT.test(booted[0]) && !await tool.expect(LOCKED_PROMPT, BOOT_MS)) {
      throw tool.problem() || interrupted(port, "the restarted device locked its console but showed no prompt");
    }
    if (locked) {
      progress("the console locked itself: typing console.password");
      await unlock(tool, password);
    }
    tool.type("\x10print(\"HAN-FIRMWARE\",globalThis.HAN_FIRMWARE)\n\x10" + crcExpression("HAN-CHECK", names) + "\n");
    const firmware = await tool.expect(/HAN-FIRMWARE (\S+)/, ANSWER_MS);
    const check = await tool.expect(/HAN-CHECK((?: \d+)+)/, ANSWER_MS);
    if (!firmware || !check) throw tool.problem() || interrupted(port, "the restarted device did not answer");
    if (locked) {
      tool.type("\x10load()\n");
      if (await tool.expect(LOCKED_PROMPT, BOOT_MS)) progress("the console is locked again");
      else progress("warning: the console did not lock again; it does by itself within 30 minutes");
    }
    return { firmware: firmware[1] === "undefined" ? null : firmware[1],
      crcs: numbersAfter("HAN-CHECK", check[0]) as number[] };
  } finally {
    await tool.end(3000);
  }
}

/** Writes `files` to the device's Storage on `port`, checking each against its CRC32; with `restart`, restarts
 *  the device and checks what it then runs and holds. */
export async function writeFiles(port: string, files: StorageFile[], options?: LinkOptions): Promise<LinkReport> {
  const o = options || {};
  const progress = o.progress || function () { /* quiet */ };
  progress("checking " + port);
  checkPort(port);
  await openConsole(port, o.password, !!o.restart, progress);
  const stored = await storeFiles(port, files, progress);
  const report: LinkReport = { espruino: stored.espruino, stored: stored.stored, firmware: null };
  if (!o.restart) return report;
  const names = files.map((f) => f.name);
  const after = await restartAndRead(port, names, o.password, progress);
  names.forEach((name, i) => {
    if (after.crcs[i] !== stored.stored[name]) {
      throw interrupted(port, "after the restart, " + name + " on the device has CRC32 " + hex(after.crcs[i]) +
        ", not " + hex(stored.stored[name]));
    }
  });
  report.firmware = after.firmware;
  return report;
}

/** Writes one file (e.g. han.json) to the device's Storage; used by npm run configure -- --push. */
export function pushFile(port: string, name: string, content: string, options?: LinkOptions): Promise<LinkReport> {
  return writeFiles(port, [{ name: name, data: Buffer.from(content, "utf8") }], options);
}
