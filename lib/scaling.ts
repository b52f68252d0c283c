// The scaling profile: facts about the installation that the frames do not carry.
import type { Reading } from "./reading";

export interface ScalingProfile {
  /** ISO country of the meter's firmware: Kamstrup sends energy in 10 Wh in Norway but in Wh in Sweden and
   *  Denmark (han-spec.md 4.4). */
  country: string;
  /** Current-transformer connected meter: Kamstrup then reports current in mA instead of 0.01 A. Detected from
   *  a Kamstrup meter type starting with 685; this forces it. */
  ct: boolean;
  /** Where ct is left to the frames, what tells it from a list without the meter type: ctFromPowers
   *  (lib/meters/ct-from-powers.ts), which corrects the reading and sets ct for the lists that follow. Kept out
   *  of the device's bundle until the configuration can leave ct to the frames. */
  ctCheck?: (reading: Reading, profile: ScalingProfile) => void;
  /** Transformer ratio for meters that report secondary-side values: multiplies currents, powers and energies.
   *  1 for meters that report primary values (all direct-connected meters). */
  ctRatio: number;
}
