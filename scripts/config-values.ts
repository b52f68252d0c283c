// Configuration values typed at a prompt or given on a command line, read as the type their field expects.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { SCHEMA, type FieldSpec } from "../lib/config/schema";

/** Text typed or given on the command line, as the field's type. Choices are matched in any case (no -> NO). */
export function parseValue(f: FieldSpec, text: string): unknown {
  if (f.kind === "boolean") return /^(true|yes|on|1)$/i.test(text) ? true : /^(false|no|off|0)$/i.test(text) ? false : text;
  if (f.kind === "integer" || f.kind === "number") return text.trim() === "" || isNaN(Number(text)) ? text : Number(text);
  if (f.kind === "choice") return f.choices!.find((c) => String(c).toLowerCase() === text.toLowerCase()) ?? text;
  return text;
}

/** "PATH=VALUE" from a command line as the field's path and typed value; null when no field has that path. */
export function parseAssignment(text: string): { path: string; value: unknown } | null {
  const eq = text.indexOf("=");
  const field = eq > 0 ? SCHEMA.find((f) => f.path === text.slice(0, eq)) : undefined;
  return field ? { path: field.path, value: parseValue(field, text.slice(eq + 1)) } : null;
}

/** The PEM text of a certificate file, checked to be one; an Error saying what is wrong otherwise. */
export function readCertificate(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${file} (${(e as NodeJS.ErrnoException).code || (e as Error).message})`);
  }
  try {
    new X509Certificate(text);
  } catch (e) {
    throw new Error(`${file} is not a certificate in PEM form (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)`);
  }
  return text.trim() + "\n";
}

/** Fields given as the name of a file that holds the value: a certificate does not fit on one line. */
export const FILE_FIELDS: { [path: string]: (file: string) => string } = { "mqtt.ca": readCertificate };
