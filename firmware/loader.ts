// The update loader: what `npm run flash` puts in .bootcde, and what Espruino runs at every boot. It reads the
// boot record (lib/update/record.ts) and names the Storage slot to run in the global HAN_BOOT; the line the build
// adds after this script (scripts/build.ts, LOADER_RUN) evaluates that file at the top level of the script, where
// the firmware's functions keep their code in flash as they do when run from .bootcde itself. A slot on trial is
// started once: the loader counts the start in the record first, so that after any reset before the firmware has
// proved itself (the watchdog, a crash, the power) the next boot goes back to the slot that works. It also goes
// back when the new firmware throws while it boots, or has not proved itself within TRIAL_MS, and records why; the
// firmware it goes back to logs that (lib/update/receiver.ts). Kept small and rarely changed: an update replaces
// the firmware, never this.
import { BootRecord, RecordStore, readRecord, slotName, writeRecord } from "../lib/update/record";

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Trial {
  /** Time for a new firmware to reach the broker and read a meter frame: Wi-Fi, the broker's backoff and the
   *  slowest list period, many times over. */
  TRIAL_MS = 300000,
  WATCHDOG_SECONDS = 20,
}

const storage = require("Storage");
const store: RecordStore = {
  readStore (name) { return storage.read(name); },
  writeStore (name, text) { storage.write(name, text); },
};
const boot = globalThis as unknown as { HAN_SLOT: number; HAN_BOOT: unknown };

/** Ends the trial in `r` with `why`: the slot that works is the one to run. */
function fail(r: BootRecord, why: string): void {
  r.f = "update " + r.w + " " + why + "; back to update " + r.v;
  r.t = -1;
  r.n = 0;
  r.l = 1;
  writeRecord(store, r);
  print(r.f);
}

/** Ends the trial under way, if it still is, and restarts into the slot that works. */
function goBack(why: string): void {
  const r = readRecord(store);
  if (r && r.t >= 0) {
    fail(r, why);
    load();
  }
}

function start(r: BootRecord | null): void {
  if (r && r.t >= 0 && r.n > 0) fail(r, "restarted before it proved itself (the watchdog, a crash or a power cut)");
  let slot = r ? r.g : 0;
  let trial = false;
  if (r && r.t >= 0) {
    r.n = 1;
    writeRecord(store, r);
    slot = r.t;
    trial = true;
  }
  // A device flashed with one slot only, or whose record is lost, runs the slot it has.
  if (storage.read(slotName(slot)) === undefined) slot = 1 - slot;
  boot.HAN_SLOT = slot;
  boot.HAN_BOOT = slotName(slot);
  if (!trial) return;
  // A firmware that hangs while it boots never lets the idle loop kick the watchdog.
  E.enableWatchdog(Trial.WATCHDOG_SECONDS, true);
  // Runs once the slot's boot code is through: the line after this script leaves what it threw in HAN_BOOT.
  setTimeout(() => {
    if (typeof boot.HAN_BOOT !== "string") goBack("crashed while it booted: " + boot.HAN_BOOT);
  }, 0);
  setTimeout(() => { goBack("did not prove itself within " + Trial.TRIAL_MS / 1000 + " s"); }, Trial.TRIAL_MS);
}

start(readRecord(store));
