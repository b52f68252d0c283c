// The real captures of ../shared/han-vectors (read in place, never copied into this repository).
import { readFileSync } from "node:fs";

export interface Vector {
  id: string;
  manufacturer: string;
  model: string | null;
  country: string;
  list: string;
  framing: string;
  encrypted: boolean;
  negative?: boolean;
  hex: string;
  frames?: string[];
  expected: { [code: string]: string };
  raw_values?: { [code: string]: { raw: number; scaler: number; unit: string } };
  decrypted_apdu?: string;
  verification: {
    dst?: string;
    src?: string;
    control?: number;
    apdu_invoke_id?: string;
    apdu_datetime?: string | null;
    apdu_datetime_encoding?: string;
    [k: string]: unknown;
  };
  notes?: string;
}

export const VECTORS_PATH = new URL("../../../shared/han-vectors/vectors.json", import.meta.url);

let cache: Vector[] | null = null;

export function loadVectors(): Vector[] {
  if (!cache) cache = JSON.parse(readFileSync(VECTORS_PATH, "utf8")) as Vector[];
  return cache;
}

export function vector(id: string): Vector {
  const v = loadVectors().find((x) => x.id === id);
  if (!v) throw new Error("no vector " + id);
  return v;
}

/** General Block Transfer pushes (several HDLC frames carrying one APDU in blocks): a later stage. */
export function isBlockTransfer(v: Vector): boolean {
  return v.verification.style === "push-object-list";
}

/** Captures this decoder reads: unencrypted HDLC, multi-frame HDLC and bare LLC. */
export function isReadable(v: Vector): boolean {
  return (v.framing === "hdlc" || v.framing === "hdlc-multi" || v.framing === "llc") && !v.encrypted &&
    !v.negative && !isBlockTransfer(v);
}

/** The frames of a capture as hex strings, in order. */
export function framesOf(v: Vector): string[] {
  return v.frames && v.frames.length > 0 ? v.frames : [v.hex];
}

/** The installation facts a user would configure for the meter of a capture (the frames do not carry them). */
export function profileFor(v: Vector): { country: string; ct: boolean } {
  // This capture's published decode assumes Norwegian energy scaling on a current-transformer meter; the
  // capture's own power and voltage confirm the 1 mA current resolution (see the vector's notes).
  if (v.id === "kamstrup-dk-ct-65items-gh216") return { country: "NO", ct: true };
  return { country: ["NO", "SE", "DK"].includes(v.country) ? v.country : "NO", ct: false };
}
