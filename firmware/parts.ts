// Parts: rarely used device code kept in flash beside the firmware and evaluated only when it is called. The build
// (scripts/espruino/parts.ts) writes a slot file as a header, the firmware's script and the parts after it, and
// puts in the firmware, for each function a part exports, a stand-in that calls part() with where that part lies.
// A part is one function expression that returns its exports; evaluated from its range of the Storage file, its
// functions keep their code in flash, as the firmware's do.

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Slot {
  /** The header, "/*" then the end of the firmware's script in 8 decimal digits (scripts/espruino/parts.ts). */
  END_AT = 2,
  END_DIGITS = 8,
  /** Where Espruino boots from when no update loader names a slot (a device or emulator given the bundle alone). */
  BOOT_FILE = ".bootcde",
  /** How long a part is kept after it was evaluated, in ms: calls in a burst (the discovery messages, one every
   *  few hundred ms) evaluate it once. */
  KEEP_MS = 2000,
}

/** The exports of the parts evaluated in the last KEEP_MS, by their offset. */
const loaded: { [at: number]: unknown } = {};

/** The exports of the part `length` bytes long at `at` bytes after the firmware's script. They are dropped KEEP_MS
 *  after, so that the part's functions are freed unless something kept them (an update under way keeps the
 *  receiver it made); a call after that evaluates the part again. */
export function part(at: number, length: number): unknown {
  if (!loaded[at]) {
    const storage = require("Storage");
    // Set by the update loader (firmware/loader.ts): the slot file it booted.
    const name = (globalThis as unknown as { HAN_BOOT?: unknown }).HAN_BOOT;
    const file = typeof name === "string" ? name : Slot.BOOT_FILE;
    const end = parseInt(storage.read(file, Slot.END_AT, Slot.END_DIGITS) as string, 10);
    // Indirect: the part needs no scope of this function, and its functions then hold none.
    loaded[at] = (0, eval)(storage.read(file, end + at, length) as string)();
    setTimeout(() => { delete loaded[at]; }, Slot.KEEP_MS);
  }
  return loaded[at];
}
