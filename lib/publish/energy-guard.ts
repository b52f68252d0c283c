// An energy total never goes down, and never jumps further than the installation could draw in the time since
// the last accepted value. Home Assistant reads a lower total as a meter reset and books a huge false
// consumption; a single corrupt register would do the same to a capacity-tariff peak. What the guard remembers
// survives a reboot (one small Storage file), so that the first reading after a restart is judged too; the same
// file holds the last energy message, written before the message is kept (lib/publish/publisher.ts).
import { publishable, numberText } from "./payloads";

/** Storage as the guard uses it: the Platform's (lib/device.ts). */
export interface EnergyStore {
  readStore(name: string): string | undefined;
  writeStore(name: string, text: string): void;
}

export interface EnergyGuardOptions {
  /** The most power the installation can carry, in W (or var for reactive registers). */
  maxPower: number;
  store: EnergyStore;
}

export interface Rejection {
  key: string;
  value: number;
  /** The last accepted value; null before the first. */
  last: number | null;
  /** "implausible": not finite, negative, or 2^53 and beyond, which no meter's total reaches. */
  why: "lower" | "jump" | "implausible";
}

/** One register. Names of one or two letters: each fits the interpreter variable holding it. */
interface Register {
  /** The last accepted value, and its time (device ms). */
  v: number;
  t: number;
  /** Rejected readings in a row that rise plausibly among themselves, as a replaced meter's do, and the last of
   *  them; absent until a reading is rejected. */
  n?: number;
  c?: Register;
}

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Guard {
  /** Register resolution that a jump check must tolerate (Aidon and Kamstrup count in 10 Wh). */
  RESOLUTION = 10,
  /** Consistent rejected readings in a row that re-anchor a register (docs/mqtt.md, Energy that never goes down). */
  REANCHOR = 3,
  /** Storage file of the registers: written with each energy message (once an hour: hour-label.ts), read at
   *  boot. */
  STORE = "han.energy",
}

export class EnergyGuard {
  rejected: number;
  /** The last energy message saved: its hour_end (UTC ms; 0 without one) and payload; undefined before any. */
  kept: [number, string] | undefined;
  private registers: { [key: string]: Register };
  private options: EnergyGuardOptions;

  constructor(options: EnergyGuardOptions) {
    this.options = options;
    this.registers = {};
    this.rejected = 0;
    try {
      const saved = JSON.parse(options.store.readStore(Guard.STORE) || "{}");
      const keys = Object.keys(saved);
      for (let i = 0; i < keys.length; i++) {
        const e = saved[keys[i]];
        if (!keys[i]) this.kept = e;
        else if (e && publishable(e[0]) && e[0] >= 0 && isFinite(e[1])) this.registers[keys[i]] = { v: e[0], t: e[1] };
      }
    } catch (e) {
      // A damaged file: the next readings anchor afresh, as at the first boot.
    }
  }

  /** Judges one register at time `at` (ms); null when accepted, else why not. */
  check(key: string, value: number, at: number): Rejection | null {
    const r = this.registers[key];
    let why: Rejection["why"] | null = null;
    if (!publishable(value) || value < 0) {
      why = "implausible";
    } else if (r && !(value >= r.v && this.plausibleRise(value - r.v, r.t, at))) {
      // Re-anchored by a series that is not merely lower: REANCHOR readings in a row, each rising from the one
      // before as a meter's register can.
      const c = r.c;
      r.n = r.n && c && value >= c.v && this.plausibleRise(value - c.v, c.t, at) ? r.n + 1 : 1;
      r.c = { v: value, t: at };
      if (r.n < Guard.REANCHOR) why = value < r.v ? "lower" : "jump";
    }
    if (why) {
      this.rejected++;
      return { key, value, last: r ? r.v : null, why };
    }
    this.registers[key] = { v: value, t: at };
    return null;
  }

  /** Writes the accepted registers to Storage with the energy message about to go out (`hourEnd`, `payload`). */
  save(hourEnd: number, payload: string): void {
    const keys = Object.keys(this.registers);
    let out = "";
    for (let i = 0; i < keys.length; i++) {
      const r = this.registers[keys[i]];
      // numberText, not JSON.stringify: Espruino would print 12 significant digits, and a total read back
      // higher than it was would hold back the next equal one.
      out += (out ? "," : "") + JSON.stringify(keys[i]) + ":[" + numberText(r.v) + "," + numberText(r.t) + "]";
    }
    try {
      this.options.store.writeStore(Guard.STORE, "{" + out + ",\"\":[" + numberText(hourEnd) + "," +
        JSON.stringify(payload) + "]}");
    } catch (e) {
      // Storage refused (full): the message still goes to the ring of kept messages.
    }
  }

  private plausibleRise(rise: number, from: number, at: number): boolean {
    return rise <= this.options.maxPower * Math.max(at - from, 0) / 3600000 + Guard.RESOLUTION;
  }
}
