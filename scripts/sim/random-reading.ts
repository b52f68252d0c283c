// Random list inputs for property tests: every object of a spec's list gets a value somewhere in its plausible
// range, or now and then at the very edge of its wire type, a little off the layout's resolution so that the
// rounding is exercised too. Pair with expectedReading() for what a decoder must report.
import { Rng, randomInt } from "./random";
import { ListInput, ListSpec, listObjects, valueFormat, makerClock, quantize, fromRaw, defaultMeterType } from "./layouts";
import { utcMs } from "./wallclock";
import { T_INT16, T_UINT16, T_UINT32, T_UINT64 } from "../../lib/dlms/axdr";
import type { Unit } from "../../lib/reading";

/** Raw range of each wire type. */
const RANGES: { [tag: number]: [number, number] } = {};
RANGES[T_UINT32] = [0, 4294967295];
RANGES[T_UINT16] = [0, 65535];
RANGES[T_INT16] = [-32768, 32767];
RANGES[T_UINT64] = [0, 9007199254740991];

/** Plausible values in base units; a signed type also gets the negative side (Aidon's exporting currents). */
function plausible(rng: Rng, unit: Unit, signed: boolean): number {
  if (unit === "W" || unit === "var") return rng() * 20000;
  if (unit === "A") return (signed && rng() < 0.3 ? -1 : 1) * rng() * 63;
  if (unit === "V") return 207 + rng() * 46;
  if (unit === "Wh" || unit === "varh") return rng() * 2e8;
  return rng();
}

function digits(rng: Rng, n: number): string {
  let s = "" + randomInt(rng, 1, 9);
  while (s.length < n) s += randomInt(rng, 0, 9);
  return s;
}

function meterIdFor(rng: Rng, spec: ListSpec): string {
  if (spec.maker === "embriq") return digits(rng, 8);
  if (spec.list === "dk") return digits(rng, 9);
  return digits(rng, spec.maker === "generic" ? 12 : 16);
}

const FIRST_MS = utcMs(2000, 1, 1, 0, 0, 0);
const LAST_MS = utcMs(2099, 12, 31, 0, 0, 0);

export function randomReading(rng: Rng, spec: ListSpec): ListInput {
  const values: { [key: string]: number } = {};
  const objects = listObjects(spec);
  for (let i = 0; i < objects.length; i++) {
    const v = valueFormat(spec, objects[i]);
    const range = RANGES[v.format.tag];
    const roll = rng();
    let raw: number;
    if (roll < 0.05) raw = range[0];
    else if (roll < 0.1) raw = range[1];
    else raw = Math.min(range[1], Math.max(range[0], quantize(plausible(rng, v.unit, range[0] < 0), v.format.scaler)));
    // Up to 0.4 of a step off the grid; beyond 2^40 a fraction would not survive the float.
    const offGrid = Math.abs(raw) < 1099511627776 ? (rng() - 0.5) * 0.8 : 0;
    values[v.key] = fromRaw(raw, v.format.scaler) + offGrid * fromRaw(1, v.format.scaler);
  }
  return {
    maker: spec.maker, phases: spec.phases, wires: spec.wires, list: spec.list, country: spec.country,
    meterType: spec.meterType !== undefined ? spec.meterType : defaultMeterType(spec),
    meterId: meterIdFor(rng, spec),
    clock: makerClock(spec, FIRST_MS + Math.floor(rng() * (LAST_MS - FIRST_MS) / 1000) * 1000),
    values,
    invokeId: spec.maker === "generic" ? randomInt(rng, 0, 0xffffffff) : undefined,
  };
}
