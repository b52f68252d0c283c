// The scaling profile: facts about the installation that the frames do not carry.

export interface ScalingProfile {
  /** ISO country of the meter's firmware: Kamstrup sends energy in 10 Wh in Norway but in Wh in Sweden and
   *  Denmark (han-spec.md 4.4). */
  country: string;
  /** Current-transformer connected meter: Kamstrup then reports current in mA instead of 0.01 A. Detected from
   *  a Kamstrup meter type starting with 685; this forces it. */
  ct: boolean;
  /** Transformer ratio for meters that report secondary-side values: multiplies currents, powers and energies.
   *  1 for meters that report primary values (all direct-connected meters). */
  ctRatio: number;
}
