// The firmware on the real Espruino interpreter, driven from the host as a board on a bench would be: its console
// on the interpreter's standard input and output, its Storage in the flash file of its own folder, the HAN UART on
// a FIFO the host writes meter bytes into, and the network through the host's real sockets. What the ESP32 has and
// a Linux build lacks (the Wifi module, UART pins) is stood in for by `.boot0`, which Espruino runs before
// `.bootcde` at every boot; what it costs in variables is measured and reported apart from the firmware.
//
// The Linux port hands console and FIFO bytes from an input thread to the interpreter through an event queue it
// does not lock, and loses or garbles bytes when several events wait in it. Hence: Storage is written into the
// flash file before the interpreter starts rather than typed at its console (a 48 KB upload in base64 lines now
// and then ended in "OUT OF MEMORY" and a spinning interpreter; starting from a written flash is also how the
// device powers up, and takes a second where the upload took 10-25 s under qemu); console lines are kept short;
// and meter bytes come at a meter's pace (16 bytes every 20 ms lost a quarter of them, every 65 ms none).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "../crc32";
import { ESP32_JSVARS, locateInterpreter, type Interpreter } from "./locate";
import { LOADER_RUN } from "../build";
import { scriptEnd } from "../espruino/parts";
import { slotName } from "../../lib/update/record";

/** The interpreter runs under an emulated CPU: on a loaded machine an answer seen in milliseconds here has been
 *  seen to take over 20 s. */
const PROMPT_MS = 60000;
/** From power-on to the boot line: qemu lexing the bundle from flash, on a loaded machine. */
const BOOT_MS = 30000;
/** Espruino does not echo a console line that starts with DLE (0x10). */
const NO_ECHO = "\x10";
/** Where the Linux build keeps its flash, in the folder it runs in. */
const FLASH_FILE = "espruino.flash";
/** A Storage file's header: its size (flags in the top byte), then its name, zero-padded to 28 bytes. */
const HEADER_BYTES = 32;
const NAME_BYTES = 28;
/** Meter bytes go into the FIFO this many at a time, this far apart: 246 bytes/s, a meter's 2400 baud, in small
 *  pieces (see the top of this file). */
const SERIAL_CHUNK = 16;
const SERIAL_GAP_MS = 65;
/** The longest native string of 14-byte JsVars: code run from Storage longer than this is cut short. */
const MAX_STRING = 65535;

export interface BoardOptions {
  /** The RSSI the stand-in Wi-Fi reports while associated, as the ESP32 port does in Wifi.getStatus(). */
  rssi?: number;
  /** ms from Wifi.connect() to "connected". */
  associateMs?: number;
}

/** The stand-in for the ESP32's hardware, as Espruino code for `.boot0`. It mirrors the ESP32 port's API shapes:
 *  Wifi.getStatus() carries the RSSI, getDetails() does not; Serial2 reads the FIFO whatever pins it is given.
 *  `__W.joins` counts the associations, for the tests. */
export function boardShim(fifo: string, options: BoardOptions): string {
  const rssi = options.rssi === undefined ? -61 : options.rssi;
  const associate = options.associateMs === undefined ? 200 : options.associateMs;
  return [
    "var __W={up:false,joins:0};",
    "__W.connect=function(ssid,o,cb){setTimeout(function(){__W.up=true;__W.joins++;if(cb)cb(null);" +
      "__W.emit('connected',{ip:'127.0.0.1'});}," + associate + ");};",
    "__W.disconnect=function(cb){__W.up=false;__W.emit('disconnected',{});if(cb)cb();};",
    "__W.getStatus=function(){return __W.up?{station:'connected',ssid:'bench',rssi:" + rssi + "}:{station:'off'};};",
    "__W.getDetails=function(){return {status:__W.up?'connected':'off',ssid:'bench'};};",
    "__W.getIP=function(){return {ip:__W.up?'127.0.0.1':'0.0.0.0'};};",
    "__W.setSNTP=function(){};__W.setHostname=function(){};",
    "Modules.addCached('Wifi',function(){module.exports=__W;});",
    "(function(){var s=Serial2.setup;Serial2.setup=function(b,o){o=o||{};o.path=" + JSON.stringify(fifo) +
      ";s.call(Serial2,b,o);};})();",
    "global.__shimVars=process.memory().usage;",
  ].join("\n");
}

export interface Memory { free: number; usage: number; total: number }

/** A Storage file: its name and its bytes (a string is taken one byte per character). */
export interface StorageFile { name: string; data: string | Uint8Array }

function bytesOf(data: string | Uint8Array): Buffer {
  return typeof data === "string" ? Buffer.from(data, "latin1") : Buffer.from(data);
}

/** Where this build keeps Storage in its flash file: learnt from the interpreter itself, once per process. */
interface StorageLayout {
  /** The flash file with Storage empty. */
  blank: Buffer;
  /** Offset of the first file header. */
  start: number;
  /** Headers start at multiples of this. */
  align: number;
}

let layout: Promise<StorageLayout> | null = null;

function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/** The flash file holding `files` in Storage, written as Espruino writes them: one after another from the start,
 *  each header at the next multiple of the alignment, everything else erased (0xFF). */
function flashImage(l: StorageLayout, files: StorageFile[]): Buffer {
  const image = Buffer.from(l.blank);
  let at = l.start;
  for (const file of files) {
    const name = Buffer.from(file.name, "latin1");
    const data = bytesOf(file.data);
    if (name.length === 0 || name.length > NAME_BYTES) {
      throw new Error(`Storage file name ${file.name}: 1 to ${NAME_BYTES} characters`);
    }
    if (at + HEADER_BYTES + data.length > image.length) throw new Error(`Storage files do not fit in ${FLASH_FILE}`);
    image.writeUInt32LE(data.length, at);
    image.fill(0, at + 4, at + HEADER_BYTES);
    name.copy(image, at + 4);
    data.copy(image, at + HEADER_BYTES);
    at = alignUp(at + HEADER_BYTES + data.length, l.align);
  }
  return image;
}

/** Has the interpreter write two one-byte files, reads where they landed, and checks that an image made from that
 *  reads back through Storage byte for byte. */
async function learnLayout(): Promise<StorageLayout> {
  const probe = await RealBoard.start();
  try {
    await probe.evaluate('require("Storage").write("~1","a")&&require("Storage").write("~2","b")');
    const flash = readFileSync(join(probe.dir, FLASH_FILE));
    const first = flash.indexOf(Buffer.from("~1\0", "latin1")) - 4;
    const second = flash.indexOf(Buffer.from("~2\0", "latin1")) - 4;
    if (first < 0 || second < first || flash.readUInt32LE(first) !== 1) {
      throw new Error(`cannot find the Storage files the interpreter wrote in ${FLASH_FILE}`);
    }
    // The second header follows the first's 33 bytes at the next multiple of the alignment.
    let align = 1;
    while (alignUp(HEADER_BYTES + 1, align) < second - first) align *= 2;
    if (alignUp(HEADER_BYTES + 1, align) !== second - first) {
      throw new Error(`Storage headers ${second - first} bytes apart`);
    }
    const learnt: StorageLayout = { blank: flash.fill(0xff, first), start: first, align: align };
    const sample = Buffer.alloc(301);
    for (let i = 0; i < sample.length; i++) sample[i] = (i * 37 + 11) & 0xff;
    const files: StorageFile[] = [{ name: "~sample", data: sample }, { name: "~after", data: "z" }];
    await probe.restart(flashImage(learnt, files));
    const read = await probe.evaluate('[E.CRC32(require("Storage").read("~sample")),' +
      'require("Storage").read("~after")]');
    if (JSON.stringify(read) !== JSON.stringify([crc32(sample), "z"])) {
      throw new Error(`Storage written into ${FLASH_FILE} reads back as ${JSON.stringify(read)}`);
    }
    return learnt;
  } finally {
    await probe.stop();
  }
}

function storageLayout(): Promise<StorageLayout> {
  if (!layout) layout = learnLayout();
  return layout;
}

/** A console line without the prompt, the carriage return and the erase-line code the REPL puts around output. */
function plainLine(line: string): string {
  return line.replace(/\r|\n|\x1b\[J/g, "").replace(/^>/, "");
}

/** One interpreter process running one board's flash. */
export class RealBoard {
  readonly dir: string;
  readonly fifo: string;
  private child: ChildProcess | null = null;
  private output = "";
  private waiters: (() => void)[] = [];
  private fifoFd: number;
  private running = false;
  /** Everything the console printed, across restarts, for the tests to read. */
  get consoleText(): string { return this.output; }

  private constructor(dir: string, fifo: string) {
    this.dir = dir;
    this.fifo = fifo;
    // Opened read-write so that neither side blocks waiting for the other; it outlives restarts.
    this.fifoFd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  }

  /** A fresh board with empty flash, Espruino at its prompt. */
  static async start(): Promise<RealBoard> {
    const board = RealBoard.create();
    board.spawn();
    await board.waitForText(/>$/, PROMPT_MS, "the Espruino prompt");
    return board;
  }

  /** A board that powers up with the stand-in hardware as `.boot0` and `files` in Storage. */
  static async withStorage(files: StorageFile[], shim: BoardOptions): Promise<RealBoard> {
    const l = await storageLayout();
    const board = RealBoard.create();
    const boot0: StorageFile = { name: ".boot0", data: boardShim(board.fifo, shim) };
    writeFileSync(join(board.dir, FLASH_FILE), flashImage(l, [boot0].concat(files)));
    board.spawn();
    return board;
  }

  private static create(): RealBoard {
    if (!locateInterpreter().found) throw new Error(locateInterpreter().why);
    const dir = mkdtempSync(join(tmpdir(), "han-real-"));
    const fifo = join(dir, "han-uart");
    execFileSync("mkfifo", [fifo]);
    return new RealBoard(dir, fifo);
  }

  private spawn(): void {
    const found = locateInterpreter().found as Interpreter;
    const child = spawn(found.command, found.prefix, {
      cwd: this.dir,
      env: Object.assign({}, process.env, { ESPRUINO_JSVARS: String(ESP32_JSVARS) }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child = child;
    this.running = true;
    const wake = (): void => { for (const w of this.waiters.slice()) w(); };
    child.stdout!.on("data", (d: Buffer) => {
      this.output += d.toString("latin1");
      wake();
    });
    child.stderr!.on("data", (d: Buffer) => { if (process.env.HAN_REAL_DEBUG) process.stderr.write(d); });
    // Writes to an interpreter that has just been killed fail; the test learns of it from what it waits for.
    child.stdin!.on("error", () => undefined);
    child.on("exit", (code, signal) => {
      if (process.env.HAN_REAL_DEBUG) console.error("interpreter exit", code, signal);
      if (this.child === child) {
        this.running = false;
        wake();
      }
    });
  }

  /** Resolves when the console's output (from `from` on) matches; rejects after `ms`, or when the interpreter
   *  ends first. */
  waitForText(pattern: RegExp, ms: number, what: string, from?: number): Promise<RegExpMatchArray> {
    const start = from === undefined ? 0 : from;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = this.output.substring(start).match(pattern);
        if (m) {
          finish();
          resolve(m);
        } else if (!this.running) {
          finish();
          reject(new Error(`the interpreter ended while waiting for ${what}; console:\n${this.output.slice(-2000)}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${what} within ${ms} ms; console:\n${this.output.slice(-2000)}`));
      }, ms);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
      check();
    });
  }

  /** The first whole console line after `from` that matches, without prompt and terminal codes. */
  async waitForLine(pattern: RegExp, ms: number, from?: number): Promise<string> {
    const whole = new RegExp("(?:^|\\n)([^\\n]*(?:" + pattern.source + ")[^\\n]*)\\n", pattern.flags);
    return plainLine((await this.waitForText(whole, ms, "a console line matching " + pattern, from))[1]);
  }

  /** The console lines printed after `from`, without prompts and terminal codes. */
  linesSince(from: number): string[] {
    return this.output.substring(from).split("\n").map(plainLine).filter((l) => l !== "");
  }

  /** Types characters at the console, as a person at a terminal would. */
  type(text: string): void {
    this.child!.stdin!.write(text);
  }

  /** Evaluates an expression at the console and returns its JSON. Needs an open (unlocked) console. */
  async evaluate(expression: string, ms?: number): Promise<unknown> {
    const tag = "@" + Math.random().toString(36).slice(2, 8);
    const from = this.output.length;
    this.type(NO_ECHO + `print("${tag}<"+JSON.stringify(${expression})+">${tag}")\n`);
    const m = await this.waitForText(new RegExp(`${tag}<(.*)>${tag}`), ms || PROMPT_MS, `the answer to ${expression}`,
      from);
    return m[1] === "undefined" || m[1] === "" ? undefined : JSON.parse(m[1]);
  }

  /** evaluate() of an expression without side effects, typed again when no answer comes: in full test runs the
   *  console has been seen to answer nothing to a line typed just after the firmware came online. The Linux
   *  build reads the console in a thread of its own, which shares the event buffer with the interpreter without a
   *  lock, so a typed line may be lost. Rejects after `tries` silences, each said on stderr. */
  async inspect(expression: string, tries = 3): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.evaluate(expression, PROMPT_MS / tries);
      } catch (e) {
        if (attempt >= tries || !this.running) throw e;
        console.error(`real interpreter: no answer to ${expression} within ${PROMPT_MS / tries} ms; typed again`);
      }
    }
  }

  /** Evaluates `expression` every quarter second until its value passes `done`; rejects after `ms`. */
  async poll(expression: string, done: (value: unknown) => boolean, ms: number): Promise<unknown> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await this.evaluate(expression);
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${expression} is still ${JSON.stringify(value)} after ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Meter bytes on the HAN UART, paced as a UART would deliver them. */
  async sendSerial(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length; at += SERIAL_CHUNK) {
      const part = bytes.subarray(at, at + SERIAL_CHUNK);
      let done = 0;
      while (done < part.length) done += writeSync(this.fifoFd, part, done, part.length - done);
      await new Promise((resolve) => setTimeout(resolve, SERIAL_GAP_MS));
    }
  }

  async memory(): Promise<Memory> {
    return await this.inspect("process.memory()") as Memory;
  }

  /** Power gone at once (SIGKILL): the sockets close without a word, as when the dongle is unplugged. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const ended = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await ended;
  }

  /** Power off, `flash` (a whole flash file) in place of the board's, power on. */
  async restart(flash: Buffer): Promise<void> {
    await this.kill();
    writeFileSync(join(this.dir, FLASH_FILE), flash);
    this.spawn();
  }

  async stop(): Promise<void> {
    await this.kill();
    if (this.fifoFd >= 0) closeSync(this.fifoFd);
    this.fifoFd = -1;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface FirmwareBoot {
  board: RealBoard;
  /** The "han-reader <version>" line (", console locked" follows the version when it locks; the password prompt
   *  then comes after it); null when no such line came before the prompt. */
  bootLine: string | null;
}

/** The firmware bundle powering up on a board with the stand-in hardware and `config` as han.json (a string is
 *  stored as it is, so that broken JSON can be tried; null stores none). Resolves at the boot line, or at the
 *  password prompt of a locked console. `installed`: Storage as npm run flash leaves it (the update loader as
 *  .bootcde, the bundle in a slot; scripts/build.ts slotLayout) rather than the bundle in slot 0 and, as .bootcde, the
 *  line of the loader that runs it. */
export async function bootFirmware(options: { bundle: string; config: object | string | null; shim?: BoardOptions;
  installed?: StorageFile[] }): Promise<FirmwareBoot> {
  const script = scriptEnd(options.bundle);
  if (script > MAX_STRING) {
    throw new Error(`the firmware's script is ${script} bytes: Espruino reads at most ${MAX_STRING} of a Storage ` +
      "file as code, so it would boot cut short");
  }
  // Without the update loader, the slot file is run as the loader runs it, and its parts found there.
  const files: StorageFile[] = options.installed ? options.installed.slice() :
    [{ name: ".bootcde", data: "HAN_BOOT=" + JSON.stringify(slotName(0)) + ";" + LOADER_RUN },
      { name: slotName(0), data: options.bundle }];
  if (options.config !== null) {
    files.push({ name: "han.json",
      data: typeof options.config === "string" ? options.config : JSON.stringify(options.config) });
  }
  const board = await RealBoard.withStorage(files, options.shim || {});
  try {
    const first = await board.waitForText(/han-reader \S+[^\n]*\n|Console locked\. Password: /, BOOT_MS,
      "the boot line or the password prompt");
    return { board, bootLine: first[0].indexOf("han-reader") === 0 ? plainLine(first[0]) : null };
  } catch (e) {
    await board.stop();
    throw e;
  }
}
