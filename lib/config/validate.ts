// Validation against lib/config/schema.ts: every field checked, defaults filled, unknown fields refused (a typo
// must not silently fall back to a default), each error naming the field and what it accepts.
import { configSchema, FieldSpec } from "./schema";
import { maskUrl } from "./formats";

export interface Config {
  deviceId?: string;
  led: number;
  wifi: { ssid: string; password: string };
  mqtt: { url: string; username?: string; password?: string; baseTopic?: string; keepAlive: number; ca?: string };
  han: { rx: number; tx: number; baud: "auto" | number; parity: "auto" | "even" | "none" | "odd"; maxFrameSize: number;
    key?: string; authKey?: string; bits: number; framing: "auto" | "hdlc" | "mbus" | "p1" };
  meter: { layout: string; country: string; ct: boolean; ctRatio: number; maxPower: number };
  output: { perValueTopics: boolean; rawTopic: boolean; discovery: boolean; discoveryPrefix: string;
    discoveryInterval: number; diagInterval: number };
  ntp: string;
  console: { password: string };
  remote: { configChanges: boolean; secret?: string };
  insights: { capacity: boolean; voltage: boolean; net: boolean; consistency: boolean; steps: string;
    nominalVoltage: number; voltageBand: number };
}

export interface ValidationResult {
  config: Config | null;
  errors: string[];
}

/** A configuration as parsed JSON, before or after validation. */
export type Tree = { [key: string]: unknown };

export function isObject(v: unknown): v is Tree {
  return typeof v === "object" && v !== null && !(v instanceof Array);
}

/** The value at a dotted path ("mqtt.url"), or undefined. */
export function getPath(tree: Tree, path: string): unknown {
  const parts = path.split(".");
  let node: unknown = tree;
  for (let i = 0; i < parts.length; i++) {
    if (!isObject(node)) return undefined;
    node = node[parts[i]];
  }
  return node;
}

/** Sets the value at a dotted path, making the groups on the way. */
export function setPath(tree: Tree, path: string, value: unknown): void {
  const parts = path.split(".");
  let node = tree;
  for (let i = 0; i < parts.length - 1; i++) {
    if (!isObject(node[parts[i]])) node[parts[i]] = {};
    node = node[parts[i]] as Tree;
  }
  node[parts[parts.length - 1]] = value;
}

/** A refused value as an error shows it: masked wherever an "@" may end a URL's user name and password, whatever
 *  the field (a URL pasted into the wrong one) and however deep in the value. */
function show(v: unknown): string {
  return typeof v === "string" ? "\"" + maskUrl(v) + "\"" : maskUrl(JSON.stringify(v));
}

/** What a field accepts, in words, for error messages and `npm run configure`. */
export function accepted(f: FieldSpec): string {
  if (f.kind === "choice") return "one of " + (f.choices as (string | number)[]).join(", ");
  if (f.kind === "boolean") return "true or false";
  if (f.checkText) return f.checkText;
  const range = f.min !== undefined ? " from " + f.min + " to " + f.max : "";
  if (f.kind === "integer") return "a whole number" + range;
  if (f.kind === "number") return "a number" + range;
  return f.minLength ? "text of at least " + f.minLength + " characters" : "text";
}

/** The error for one value, or null when it is acceptable. */
export function checkField(f: FieldSpec, v: unknown): string | null {
  let ok: boolean;
  if (f.kind === "choice") ok = (f.choices as unknown[]).indexOf(v) >= 0;
  else if (f.kind === "boolean") ok = typeof v === "boolean";
  else if (f.kind === "integer" || f.kind === "number") {
    ok = typeof v === "number" && isFinite(v) && (f.kind === "number" || Math.floor(v) === v) &&
      (f.min === undefined || v >= f.min) && (f.max === undefined || v <= f.max);
  } else {
    ok = typeof v === "string" && (!f.minLength || v.length >= f.minLength);
  }
  if (ok && f.check) ok = (f.check as (value: unknown) => boolean)(v);
  if (ok) return null;
  const shown = f.secret ? "a value that is not accepted" : show(v);
  return f.path + ": must be " + accepted(f) + "; got " + shown;
}

function isField(schema: FieldSpec[], path: string): boolean {
  return schema.some((f) => { return f.path === path; });
}

function isGroup(schema: FieldSpec[], path: string): boolean {
  return schema.some((f) => { return f.path.indexOf(path + ".") === 0; });
}

function unknownFields(schema: FieldSpec[], tree: Tree, prefix: string, errors: string[]): void {
  const keys = Object.keys(tree);
  for (let i = 0; i < keys.length; i++) {
    const path = prefix + keys[i];
    const v = tree[keys[i]];
    const group = isGroup(schema, path);
    if (isField(schema, path)) continue;
    if (group && isObject(v)) unknownFields(schema, v, path + ".", errors);
    else errors.push(path + ": unknown field" + (group ? " (expected a group of settings)" : ""));
  }
}

export function validateConfig(input: unknown): ValidationResult {
  if (!isObject(input)) return { config: null, errors: ["the configuration must be a JSON object"] };
  const errors: string[] = [];
  const out: Tree = {};
  const schema = configSchema();
  for (let i = 0; i < schema.length; i++) {
    const f = schema[i];
    const v = getPath(input, f.path);
    if (v === undefined || v === null) {
      if (f.def !== undefined) setPath(out, f.path, f.def);
      else if (!f.optional) errors.push(f.path + ": required (" + accepted(f) + ")");
      continue;
    }
    const error = checkField(f, v);
    if (error) errors.push(error);
    else setPath(out, f.path, v);
  }
  unknownFields(schema, input, "", errors);
  const config = out as unknown as Config;
  // Judged whenever both pins are valid, so that it comes with every other error at once.
  const han = config.han;
  if (han.rx !== undefined && han.rx === han.tx) errors.push("han.tx: must differ from han.rx");
  // Named by the pin asked after the LED, so that `npm run configure` says it at that question.
  if (config.led !== undefined) {
    if (han.rx === config.led) errors.push("han.rx: must differ from led");
    if (han.tx === config.led) errors.push("han.tx: must differ from led");
  }
  return { config: errors.length === 0 ? config : null, errors };
}

/** A stored configuration with dotted-path changes applied, validated whole: the new raw object and its result. */
export function applyChanges(raw: Tree, changes: { [path: string]: unknown }): { raw: Tree; result: ValidationResult } {
  const copy = JSON.parse(JSON.stringify(raw)) as Tree;
  const paths = Object.keys(changes);
  for (let i = 0; i < paths.length; i++) {
    // No field has these names. Through them a change would land on every object's prototype, where the
    // unknown-field check, which sees own keys only, could not find it.
    if (/__proto__|prototype|constructor/.test(paths[i])) {
      return { raw: copy, result: { config: null, errors: [paths[i] + ": unknown field"] } };
    }
    setPath(copy, paths[i], changes[paths[i]]);
  }
  return { raw: copy, result: validateConfig(copy) };
}

/** The configuration with every secret replaced, fit for a console banner or a log. */
export function redacted(config: Config): Tree {
  const copy = JSON.parse(JSON.stringify(config)) as Tree;
  const schema = configSchema();
  for (let i = 0; i < schema.length; i++) {
    const f = schema[i];
    if (f.secret && getPath(copy, f.path)) setPath(copy, f.path, "***");
  }
  return copy;
}
