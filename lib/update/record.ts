// The boot record: which of the two Storage slots holds the firmware that works, which one is on trial, and what
// the last failed update was. The loader (firmware/loader.ts) reads it at every boot, the firmware writes it when
// it switches to a new image and when that image proves itself (./receiver.ts).
//
// Espruino rewrites a Storage file by erasing the old one first and then writing the new one (src/jsflash.c
// jsfWriteFile): a power cut in between leaves no file, one inside the write a file with its end still erased. So
// the record is kept in two files written in turn, each ending in a CRC of its text: the valid copy with the higher
// sequence number is the record, and a write torn at any byte leaves the other copy, the one before, in charge.
import { crc16x25 } from "../crc16";
import { toBytes } from "../bytes";

/** Storage as the record needs it: require("Storage") in the loader, the Platform in the firmware. */
export interface RecordStore {
  readStore(name: string): string | undefined;
  writeStore(name: string, text: string): void;
}

export interface BootRecord {
  /** Sequence number: of two valid copies, the higher one is the record. */
  q: number;
  /** The slot whose firmware works, and its update number. */
  g: number;
  v: number;
  /** The slot on trial (-1: none), its update number, how often the loader has started it (0 or 1), and whether
   *  it must read the meter to prove itself (1 when the firmware before it did). */
  t: number;
  w: number;
  n: number;
  m: number;
  /** The highest update number ever accepted: a new image must be above it. */
  h: number;
  /** The last failed update, in words ("" when none), and 1 while that is still to be logged. */
  f: string;
  l: number;
}

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Names {
  SLOT = "han.fw",
  COPY = "han.boot.",
}

/** The Storage file of slot 0 or 1. */
export function slotName(slot: number): string {
  return Names.SLOT + slot;
}

/** The file a record with sequence number `q` goes to: "a" for even, "b" for odd. */
export function copyName(q: number): string {
  return Names.COPY + (q & 1 ? "b" : "a");
}

function check(json: string): string {
  return "" + crc16x25(toBytes(json), 0, json.length);
}

/** A record as stored: its JSON, a space, the CRC of the JSON. */
export function recordText(r: BootRecord): string {
  const json = JSON.stringify(r);
  return json + " " + check(json);
}

function parse(text: string | undefined): BootRecord | null {
  if (!text) return null;
  const at = text.lastIndexOf(" ");
  const json = text.substr(0, at);
  if (at < 0 || text.substr(at + 1) !== check(json)) return null;
  try {
    const r = JSON.parse(json);
    return typeof r === "object" && r !== null && typeof r.q === "number" ? r as BootRecord : null;
  } catch (e) {
    return null;
  }
}

/** The record, or null when neither copy is whole (a device installed without the loader). */
export function readRecord(store: RecordStore): BootRecord | null {
  const a = parse(store.readStore(copyName(0)));
  const b = parse(store.readStore(copyName(1)));
  return a && (!b || a.q >= b.q) ? a : b;
}

/** Stores `r` as the next record, into the copy that does not hold the current one. */
export function writeRecord(store: RecordStore, r: BootRecord): void {
  r.q++;
  store.writeStore(copyName(r.q), recordText(r));
}
