// Loads the real captures (../shared/han-vectors/vectors.json) for the simulator and CRC tests.
import { readFileSync } from "node:fs";

export interface Vector {
  id: string;
  manufacturer: string;
  country: string;
  list: string;
  framing: string;
  hex: string;
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
  };
}

const VECTORS: Vector[] = JSON.parse(
  readFileSync(new URL("../../shared/han-vectors/vectors.json", import.meta.url), "utf8"));

export function vector(id: string): Vector {
  const v = VECTORS.find(function (x) { return x.id === id; });
  if (!v) throw new Error("no vector " + id);
  return v;
}

export function hexBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, "hex"));
}

export function bytesHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}
