// require("Storage"): the ESP32's flash file system (src/jswrap_storage.c), backed by a JSON file the test chooses
// (name -> contents, binary strings), or kept in memory. It outlives load() and resets, like flash.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Host } from "./host";

/** Storage names are at most 28 characters. */
const MAX_NAME = 28;
/** The 4 MB layout's Storage partition (A1). */
const CAPACITY = 896 * 1024;

export class Flash {
  private files: { [name: string]: string };
  writes = 0;

  constructor(private readonly path: string | null, initial?: { [name: string]: string }) {
    this.files = path && existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
    if (initial) for (const name of Object.keys(initial)) this.files[name] = initial[name];
    if (initial) this.save();
  }

  read(name: string): string | undefined {
    return Object.prototype.hasOwnProperty.call(this.files, name) ? this.files[name] : undefined;
  }

  write(name: string, data: string): void {
    this.files[name] = data;
    this.writes++;
    this.save();
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
    if (this.path) writeFileSync(this.path, JSON.stringify(this.files, null, 1));
  }

  /** The module for one boot. */
  module(host: Host): object {
    const flash = this;
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
      read: function (name: unknown, offset?: number, length?: number) {
        const text = flash.read(checkName(name));
        if (text === undefined) return undefined;
        const from = offset || 0;
        return length === undefined ? text.substr(from) : text.substr(from, length);
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
      /** Espruino: with an offset, writes into the file (creating it `size` long, 0xFF-filled, when it is new). */
      write: function (name: unknown, data: unknown, offset?: number, size?: number) {
        const n = checkName(name);
        const text = asText(data);
        if (offset === undefined) {
          if (flash.used() + text.length > CAPACITY) throw host.error("Storage: not enough free space");
          flash.write(n, text);
          return true;
        }
        let current = flash.read(n);
        if (current === undefined || offset === 0 && size !== undefined) current = "\xff".repeat(size || text.length);
        flash.write(n, current.substr(0, offset) + text + current.substr(offset + text.length));
        return true;
      },
      writeJSON: function (name: unknown, value: unknown) {
        flash.write(checkName(name), JSON.stringify(value));
        return true;
      },
      erase: function (name: unknown) { flash.erase(checkName(name)); },
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
