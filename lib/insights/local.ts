// Local time in Norway (Central European time with the EU summer-time rule of lib/publish/hour-label.ts): the
// capacity charge counts local hours and days, and the voltage regulation local days.
import { euSummerTime } from "../publish/hour-label";

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum L {
  HOUR = 3600000,
  DAY = 86400000,
}

/** A UTC instant moved to local wall time, still counted in ms: its UTC fields read as the local ones. */
export function localMs(utc: number): number {
  return utc + (euSummerTime(utc) ? 2 : 1) * L.HOUR;
}

/** Days since 1970-01-01 of the local date: a day rolls over at local midnight, so it has 23 or 25 hours across a
 *  change of time. */
export function localDay(utc: number): number {
  return Math.floor(localMs(utc) / L.DAY);
}

/** Local wall time "YYYY-MM-DDThh:mm", or as much of it as `length` keeps ("YYYY-MM" at 7). */
export function localText(utc: number, length: number): string {
  return new Date(localMs(utc)).toISOString().substr(0, length);
}

/** The storage a feature keeps its state in across restarts: Storage files on the device (lib/device.ts Platform). */
export interface InsightStore {
  readStore(name: string): string | undefined;
  writeStore(name: string, text: string): void;
}

/** A message for the publisher: published at `<base>/insights/<suffix>`. */
export interface InsightMessage {
  suffix: string;
  payload: string;
  retain: boolean;
}

/** Reads a JSON file the feature wrote; null when absent or damaged (the feature starts afresh, as at first boot). */
export function readJson(store: InsightStore, name: string): { [key: string]: unknown } | null {
  try {
    const v = JSON.parse(store.readStore(name) || "null");
    return typeof v === "object" && v !== null ? v : null;
  } catch (e) {
    return null;
  }
}
