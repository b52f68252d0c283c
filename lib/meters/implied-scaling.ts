// Scalers that a maker's lists leave out because "meter configurations have to be known" (han-spec.md 4.3-4.4).
// They depend on the installation (country, current transformer), which is why they read the scaling profile.
import { obisBytes } from "../obis";
import type { ImpliedScaling } from "./reading-builder";
import type { ScalingProfile } from "../scaling";
import type { Unit } from "../reading";

function isPowerFactor(code: string): boolean {
  const c = obisBytes(code)[2];
  return c === 13 || c === 33 || c === 53 || c === 73;
}

/** Kaifa: current in mA, voltage in 0.1 V, everything else in base units. */
export function kaifaScaling(): ImpliedScaling {
  return function (_code: string, unit: Unit): number {
    if (unit === "A") return -3;
    if (unit === "V") return -1;
    return 0;
  };
}

/** Kamstrup: current 0.01 A (1 mA on current-transformer meters), voltage 1 V, power factor 0.01, energy 10 Wh
 *  in Norway and 1 Wh in Sweden and Denmark. */
export function kamstrupScaling(profile: ScalingProfile, ct: boolean): ImpliedScaling {
  const energy = profile.country === "NO" ? 1 : 0;
  return function (code: string, unit: Unit): number {
    if (unit === "A") return ct ? -3 : -2;
    if (unit === "Wh" || unit === "varh") return energy;
    if (isPowerFactor(code)) return -2;
    return 0;
  };
}

/** Anything else without scaler_unit: values are taken as sent. */
export function noScaling(): ImpliedScaling {
  return function (): number { return 0; };
}
