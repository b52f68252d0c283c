// The real captures of ../shared/han-vectors (read in place, never copied into this repository). They sit next to
// the repository, not in it, so a clone of the repository alone has none: the tests that need them skip there.
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";

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
  /** AES-128 keys in hex, where the meter's owner published them. */
  key?: string | null;
  auth_key?: string | null;
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

/** Why the captures cannot be read here, or null when they can. */
const CAPTURES_MISSING: string | null = existsSync(VECTORS_PATH) ? null :
  "the real meter captures are not next to this repository (" + fileURLToPath(VECTORS_PATH) + " does not exist)";

const announced = new Set<string>();

/** The `skip` option of a test or suite that needs the captures: false where they exist; else the reason, which
 *  the first call of a test file (`testFile` = its import.meta.url) also prints, as one line. */
export function capturesSkip(testFile: string): string | false {
  if (CAPTURES_MISSING === null) return false;
  if (!announced.has(testFile)) {
    console.error("*** SKIPPING the tests of " + basename(fileURLToPath(testFile)) + " that need " +
      basename(fileURLToPath(VECTORS_PATH)) + ": " + CAPTURES_MISSING + " ***");
    announced.add(testFile);
  }
  return "SKIPPED: " + CAPTURES_MISSING;
}

let cache: Vector[] | null = null;

export function loadVectors(): Vector[] {
  if (CAPTURES_MISSING !== null) {
    throw new Error(CAPTURES_MISSING + "; a test that reads them must take `skip: capturesSkip(import.meta.url)`");
  }
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

/** The installation facts a user would configure for the meter of a capture: its country, which decides
 *  Kamstrup's energy resolution and which no Kamstrup list tells (the Norwegian, Swedish and Danish captures carry
 *  the same list identifier, Kamstrup_V0001, in the same structure). A current-transformer meter is not
 *  configured: its frames tell (lib/meters/ct-from-powers.ts). */
export function profileFor(v: Vector): { country: string } {
  // This capture's published decode assumes Norway's 10 Wh energy resolution (see the vector's notes).
  if (v.id === "kamstrup-dk-ct-65items-gh216") return { country: "NO" };
  return { country: ["NO", "SE", "DK"].includes(v.country) ? v.country : "NO" };
}
