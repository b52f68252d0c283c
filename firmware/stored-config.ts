// The configuration file in Storage, written by `npm run configure` / `npm run flash`. Read raw first (the
// console password must lock the door before anything else happens), validated second.
import { validateConfig, Config } from "../lib/config/validate";
import { CONFIG_STORE } from "../lib/device";

export interface StoredConfig {
  /** The parsed JSON, whatever it holds; null when missing or not JSON. */
  raw: { [key: string]: unknown } | null;
  config: Config | null;
  errors: string[];
}

export function readStoredConfig(): StoredConfig {
  const text = require("Storage").read(CONFIG_STORE);
  if (text === undefined) {
    return { raw: null, config: null, errors: ["no configuration: Storage file " + CONFIG_STORE + " is missing (run npm run configure)"] };
  }
  let raw: { [key: string]: unknown };
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { raw: null, config: null, errors: [CONFIG_STORE + ": not valid JSON"] };
  }
  const result = validateConfig(raw);
  return { raw, config: result.config, errors: result.errors };
}
