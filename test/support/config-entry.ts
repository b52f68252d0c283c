// The configuration check, bundled for the real interpreter (globalThis.__config), so that a test can compare its
// answers there with Node's. Bundled for the device, so it keeps to the language rules of lib/.
import { validateConfig } from "../../lib/config/validate";

(globalThis as unknown as { __config: unknown }).__config = { validateConfig };
