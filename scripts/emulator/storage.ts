// require("Storage"): the ESP32's flash file system (src/jswrap_storage.c), backed by a JSON file the test chooses
// (name -> contents, binary strings), or kept in memory. It outlives load() and resets, like flash. Writes follow
// src/jsflash.c jsfWriteFile: flash bits can only be cleared, so a file is written into only where it is still
// erased, and rewriting it at offset 0 makes it anew elsewhere; the space that frees is reclaimed by compaction.
// A power cut can be set to fall during a chosen write (cutPowerAt).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Host } from "./host";

/** Storage names are at most 28 characters. */
const MAX_NAME = 28;
/** The 4 MB layout's Storage partition (A1). */
const CAPACITY = 896 * 1024;
/** A file's header in flash (JsfFileHeader): its size and flags, and its name. */
const HEADER = 32;
const ERASED = "\xff";

function erased(text: string, from: number, length: number): boolean {
  for (let i = from; i < from + length; i++) if (text.charCodeAt(i) !== 0xff) return false;
  return true;
}

/** A number as Espruino's int arguments take it: NaN, undefined and text that is not a number are 0. */
function int(v: unknown): number {
  const n = Number(v);
  return isFinite(n) ? Math.trunc(n) : 0;
}

/** Storage.read(name, offset, length) of a file, clipped as src/jsflash.c jsfReadFile clips it: a length of 0 or
 *  less (or none) reads to the end of the file. */
export function fileRange(text: string, offset: unknown, length: unknown): string {
  const from = Math.min(Math.max(int(offset), 0), text.length);
  const n = int(length);
  return text.substr(from, n <= 0 ? text.length - from : n);
}

export class Flash {
  private files: { [name: string]: string };
  /** Storage writes that programmed flash. */
  writes = 0;
  /** Bytes programmed: data, and the header of each file made. */
  bytesWritten = 0;
  /** Compactions Espruino would have run: each erases the pages from the first erased file to the end once. */
  compactions = 0;
  /** Bytes of Storage used from its start, by files and by erased files until a compaction. */
  private fill = 0;
  private cut: { writes: number; bytes: number; prefix: string; then: () => void } | null = null;

  constructor(private readonly path: string | null, initial?: { [name: string]: string }) {
    this.files = path && existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
    if (initial) for (const name of Object.keys(initial)) this.files[name] = initial[name];
    if (initial) this.save();
    this.fill = this.used();
  }

  read(name: string): string | undefined {
    return Object.prototype.hasOwnProperty.call(this.files, name) ? this.files[name] : undefined;
  }

  write(name: string, data: string): void {
    this.files[name] = data;
    this.writes++;
    this.fill += data.length + HEADER;
    this.save();
  }

  /** Storage.write as jsfWriteFile does it: at offset 0 the file is made anew, `size` long (default: the data's)
   *  and erased past the data, unless it is that long and still all erased; at any other offset the data goes
   *  into bytes of the file still erased. Returns what Espruino throws, or null. */
  writeFile(name: string, data: string, offset: number, size: number): string | null {
    const total = size || data.length;
    if (total === 0) return "Can't create zero length file";
    let current = this.read(name);
    if (offset === 0 && (current === undefined || current.length !== total || !erased(current, 0, total))) {
      if (current === data) return null;
      if (current !== undefined) delete this.files[name];
      if (this.used() + total + HEADER > CAPACITY) {
        this.save();
        return "Unable to find or create file";
      }
      if (this.fill + total + HEADER > CAPACITY) {
        this.compactions++;
        this.fill = this.used();
      }
      this.fill += total + HEADER;
      current = ERASED.repeat(total);
      this.files[name] = current;
      this.bytesWritten += HEADER;
    }
    if (current === undefined) return "Unable to find or create file";
    if (offset + data.length > current.length) return "Too much data for file size";
    if (!erased(current, offset, data.length)) return "File already written with different data";
    const cut = this.cut !== null && name.indexOf(this.cut.prefix) === 0 && --this.cut.writes === 0 ? this.cut : null;
    // Cut short: the bytes before the cut are programmed, the one it falls in only partly (its upper half).
    const written = cut && cut.bytes < data.length ?
      data.substr(0, cut.bytes) + String.fromCharCode(data.charCodeAt(cut.bytes) | 0x0f) : data;
    this.files[name] = current.substr(0, offset) + written + current.substr(offset + written.length);
    this.writes++;
    this.bytesWritten += written.length;
    this.save();
    if (cut) {
      this.cut = null;
      cut.then();
    }
    return null;
  }

  /** The power goes during the `nth` Storage write from now (1: the next) to a file whose name starts with
   *  `prefix`, once `bytes` of its data are in flash; a write of no more than `bytes` completes, and the power goes
   *  right after it. `then` cuts it. */
  cutPowerAt(nth: number, bytes: number, prefix: string, then: () => void): void {
    if (!(nth >= 1) || !(bytes >= 0)) throw new Error("cutPowerAt: nth must be 1 or more, bytes 0 or more");
    this.cut = { writes: nth, bytes: bytes, prefix: prefix, then: then };
  }

  erase(name: string): void {
    delete this.files[name];
    this.save();
  }

  list(): string[] {
    return Object.keys(this.files).sort();
  }

  used(): number {
    let n = 0;
    for (const name of Object.keys(this.files)) n += this.files[name].length + 32;
    return n;
  }

  private save(): void {
    // It may hold han.json, with every secret in it: its owner's only, as npm run configure writes han.json.
    if (this.path) writeFileSync(this.path, JSON.stringify(this.files, null, 1), { mode: 0o600 });
  }

  /** The module for one boot. */
  module(host: Host): object {
    const flash = this;
    // After a power cut, what the rest of the dying boot's callback writes never reaches the flash.
    const boot = host.boot;
    const checkName = function (name: unknown): string {
      const n = String(name);
      if (n.length === 0 || n.length > MAX_NAME) {
        throw host.error("Storage: name \"" + n + "\" must be 1 to " + MAX_NAME + " characters");
      }
      return n;
    };
    const asText = function (data: unknown): string {
      if (typeof data === "string") return data;
      if (typeof data === "object" && data !== null && typeof (data as ArrayLike<number>).length === "number") {
        return String.fromCharCode.apply(null, Array.prototype.slice.call(data as ArrayLike<number>));
      }
      return String(data);
    };
    return host.loud("Storage", {
      read: function (name: unknown, offset?: unknown, length?: unknown) {
        const text = flash.read(checkName(name));
        return text === undefined ? undefined : fileRange(text, offset, length);
      },
      readJSON: function (name: unknown, noExceptions?: boolean) {
        const text = flash.read(checkName(name));
        if (text === undefined) return undefined;
        try {
          return host.data(JSON.parse(text));
        } catch (e) {
          if (noExceptions) return undefined;
          throw host.error("Storage.readJSON: " + (e as Error).message);
        }
      },
      write: function (name: unknown, data: unknown, offset?: unknown, size?: unknown) {
        const n = checkName(name);
        if (host.boot !== boot) return true;
        const error = flash.writeFile(n, asText(data), Number(offset) || 0, Number(size) || 0);
        if (error) throw host.error(error);
        return true;
      },
      writeJSON: function (name: unknown, value: unknown) {
        const n = checkName(name);
        if (host.boot !== boot) return true;
        const error = flash.writeFile(n, JSON.stringify(value), 0, 0);
        if (error) throw host.error(error);
        return true;
      },
      erase: function (name: unknown) {
        const n = checkName(name);
        if (host.boot === boot) flash.erase(n);
      },
      list: function (pattern?: unknown) {
        const names = flash.list().filter(function (n) {
          return !(typeof pattern === "object" && pattern !== null && typeof (pattern as RegExp).test === "function") ||
            (pattern as RegExp).test(n);
        });
        return host.data(names);
      },
      getFree: function () { return CAPACITY - flash.used(); },
    });
  }
}
