// Scalers that a maker's lists leave out because "meter configurations have to be known" (han-spec.md 4.3-4.4).
// They depend on the installation (country, current transformer), which is why they read the scaling profile.
import type { ScalingProfile } from "../scaling";
import type { Unit } from "../reading";

/** The scaler for a value of value group C and base unit `unit` that a list sends without scaler_unit, by the
 *  convention of the maker whose layout reads it. `ct`: a Kamstrup current-transformer meter. */
export function impliedScaler(layout: string, ct: boolean, c: number, unit: Unit, profile: ScalingProfile): number {
  // Kaifa: current in mA, voltage in 0.1 V, everything else in base units.
  if (layout === "kaifa") return unit === "A" ? -3 : unit === "V" ? -1 : 0;
  // Landis+Gyr E450 (Netz Burgenland's list, and the push object lists of those in Switzerland, which carry no
  // scaler_unit): current in 0.01 A, everything else in base units. A push object list names no maker: another's
  // that leaves its scaler_units out is read by the same convention, the only one known.
  if (layout === "burgenland" || layout === "push") return unit === "A" ? -2 : 0;
  // Other makers' values are taken as sent.
  if (layout !== "kamstrup") return 0;
  // Kamstrup: current 0.01 A (1 mA on current-transformer meters), voltage 1 V, power factor 0.01, energy 10 Wh
  // in Norway and 1 Wh in Sweden and Denmark.
  if (unit === "A") return ct ? -3 : -2;
  if (unit === "Wh" || unit === "varh") return profile.country === "NO" ? 1 : 0;
  // Power factor, in total and per phase.
  return c === 13 || c === 33 || c === 53 || c === 73 ? -2 : 0;
}
