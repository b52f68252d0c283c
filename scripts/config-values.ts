// Configuration values typed at a prompt or given on a command line, read as the type their field expects.
import { SCHEMA, type FieldSpec } from "../lib/config/schema";

/** Text typed or given on the command line, as the field's type. */
export function parseValue(f: FieldSpec, text: string): unknown {
  if (f.kind === "boolean") return /^(true|yes|on|1)$/i.test(text) ? true : /^(false|no|off|0)$/i.test(text) ? false : text;
  if (f.kind === "integer" || f.kind === "number") return text.trim() === "" || isNaN(Number(text)) ? text : Number(text);
  if (f.kind === "choice") return f.choices!.find((c) => String(c) === text) ?? text;
  return text;
}

/** "PATH=VALUE" from a command line as the field's path and typed value; null when no field has that path. */
export function parseAssignment(text: string): { path: string; value: unknown } | null {
  const eq = text.indexOf("=");
  const field = eq > 0 ? SCHEMA.find((f) => f.path === text.slice(0, eq)) : undefined;
  return field ? { path: field.path, value: parseValue(field, text.slice(eq + 1)) } : null;
}
