// An energy total never goes down, and never jumps further than the installation could draw in the time since
// the last accepted value. Home Assistant reads a lower total as a meter reset and books a huge false
// consumption; a single corrupt register would do the same to a capacity-tariff peak.

export interface EnergyGuardOptions {
  /** The most power the installation can carry, in W (or var for reactive registers). */
  maxPower: number;
  /** A lower value seen this many times in a row is a real reset (meter replaced), accepted as the new start. */
  resetConfirmations: number;
}

export interface Rejection {
  key: string;
  value: number;
  last: number;
  why: "lower" | "jump";
}

interface Register {
  value: number;
  time: number;
  /** Consecutive lower values seen since the last accepted one. */
  lower: number;
}

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Guard {
  /** Register resolution that a jump check must tolerate (Aidon and Kamstrup count in 10 Wh). */
  RESOLUTION = 10,
}

export class EnergyGuard {
  rejected: number;
  private registers: { [key: string]: Register };
  private options: EnergyGuardOptions;

  constructor(options: EnergyGuardOptions) {
    this.options = options;
    this.registers = {};
    this.rejected = 0;
  }

  /** Judges one register at time `at` (ms); null when accepted, else why not. */
  check(key: string, value: number, at: number): Rejection | null {
    const r = this.registers[key];
    if (!r) {
      this.registers[key] = { value, time: at, lower: 0 };
      return null;
    }
    if (value < r.value) {
      r.lower++;
      if (r.lower >= this.options.resetConfirmations) {
        this.registers[key] = { value, time: at, lower: 0 };
        return null;
      }
      this.rejected++;
      return { key, value, last: r.value, why: "lower" };
    }
    const hours = Math.max(at - r.time, 0) / 3600000;
    if (value - r.value > this.options.maxPower * hours + Guard.RESOLUTION) {
      this.rejected++;
      return { key, value, last: r.value, why: "jump" };
    }
    r.value = value;
    r.time = at;
    r.lower = 0;
    return null;
  }
}
