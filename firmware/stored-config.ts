// The configuration file in Storage, written by `npm run configure` / `npm run flash`. Read raw first (the
// console password must lock the door before anything else happens), validated second.
import { validateConfig, isObject, Config, ValidationResult } from "../lib/config/validate";
import { CONFIG_STORE } from "../lib/device";

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Door {
  /** The console password of a file that is there but cannot say what its password is: a typed line ends at a
   *  line break, so none ever matches it. */
  NO_WAY_IN = "\n",
}

export interface StoredConfig {
  /** What locks the USB console (lib/console-guard.ts); "" leaves it open. */
  password: string;
  config: Config | null;
  errors: string[];
}

/** console.password as the console takes it. Only a file that sets none ("", or left out, or null as to the
 *  validation) opens the console; one that is broken where the password should be keeps it shut with no way in
 *  through the console. A number is taken as the digits it reads as, which is what its owner types. */
function consolePassword(raw: unknown): string {
  const group = isObject(raw) ? raw.console : Door.NO_WAY_IN;
  const password = group === undefined || group === null ? "" : isObject(group) ? group.password : Door.NO_WAY_IN;
  if (password === undefined || password === null) return "";
  if (typeof password === "number") return String(password);
  return typeof password === "string" ? password : Door.NO_WAY_IN;
}

function parsed(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch (e) {
    return undefined;
  }
}

export function readStoredConfig(): StoredConfig {
  const storage = require("Storage");
  const text = storage.read(CONFIG_STORE);
  let raw = parsed(text);
  // A remote change writes the copy first: a power cut while the file itself was rewritten leaves it missing or
  // cut short, and the copy whole (lib/device.ts).
  if (raw === undefined) raw = parsed(storage.read(CONFIG_STORE + "~"));
  if (text === undefined && raw === undefined) {
    return { password: "", config: null,
      errors: ["no configuration: Storage file " + CONFIG_STORE + " is missing (run npm run configure)"] };
  }
  const result: ValidationResult = raw === undefined ? { config: null, errors: [CONFIG_STORE + ": not valid JSON"] } :
    validateConfig(raw);
  const password = consolePassword(raw);
  // The owner has the board in hand: installing Espruino with esptool erases the flash, and this file with it.
  if (password === Door.NO_WAY_IN) {
    result.errors.push("console.password unreadable: no password opens the console; install Espruino again " +
      "(README, section 3)");
  }
  return { password, config: result.config, errors: result.errors };
}
