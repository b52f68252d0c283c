// A Kamstrup list without the meter type (the Danish list) does not say whether its currents come in 0.01 A or,
// from a current-transformer meter, in mA (han-spec.md 4.4); its own powers do. A phase's U x I is at least its
// apparent power, so their sum is at least the total apparent power and at least the phases' active powers added
// up; it exceeds the larger of these by more than a few times only where the phases cancel at a poor power factor.
// Read at 0.01 A, a current-transformer meter's currents give ten times it: a ratio of 5 to 20 tells. Under 1 kVA
// the values are too coarse to tell, and without reactive power the bound is too loose.
import type { Reading } from "../reading";
import type { ScalingProfile } from "../scaling";
import { obisMeaning } from "../obis";
import { scale } from "./reading-builder";

/** ScalingProfile.ctCheck: corrects a Kamstrup reading whose currents its powers show to be mA, and sets the
 *  profile's ct, which scales the lists that follow (those of light load too) from the start. */
export function ctFromPowers(r: Reading, profile: ScalingProfile): void {
  const v = r.values;
  if (r.layout !== "kamstrup" || r.meter.type !== null) return;
  const p = v.active_power_import - (v.active_power_export || 0);
  const q = v.reactive_power_import - (v.reactive_power_export || 0);
  let s = Math.sqrt(p * p + q * q);
  let phases = 0;
  let ui = 0;
  for (let n = 1; n <= 3; n++) {
    ui += (v["voltage_l" + n] || 0) * Math.abs(v["current_l" + n] || 0);
    phases += (v["active_power_import_l" + n] || 0) + (v["active_power_export_l" + n] || 0);
  }
  if (phases > s) s = phases;
  // NaN (no reactive power) fails too.
  if (!(s >= 1000 && ui >= 5 * s && ui <= 20 * s)) return;
  profile.ct = true;
  const codes = Object.keys(r.obis);
  for (let i = 0; i < codes.length; i++) {
    const o = r.obis[codes[i]];
    if (o.unit !== "A") continue;
    // Back to the raw count the 0.01 A scaling came from, then at mA.
    const raw = Math.round((o.value as number) * 100 / profile.ctRatio);
    o.value = scale(raw, -3) * profile.ctRatio;
    const meaning = obisMeaning(codes[i]);
    if (meaning) v[meaning.key] = o.value;
  }
}
