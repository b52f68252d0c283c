// The one configuration schema: used by `npm run configure`, by `npm run flash`, and by the firmware when it
// boots. Fields are data (path, kind, default, limits), so that every error names the field and what it accepts.
import { isName, isBaseTopic, parseBrokerUrl, certificatesDer } from "./formats";

export type FieldKind = "string" | "integer" | "number" | "boolean" | "choice";

export interface FieldSpec {
  /** Dotted path, e.g. "mqtt.url". */
  path: string;
  kind: FieldKind;
  /** Used when the field is absent; undefined makes the field required unless `optional`. */
  def?: string | number | boolean;
  optional?: boolean;
  choices?: (string | number)[];
  min?: number;
  max?: number;
  /** For strings: the fewest characters accepted. */
  minLength?: number;
  /** For strings and integers: a test of a value of the field's kind (code, not a regular expression: formats.ts
   *  says why) and the words that describe what passes it. */
  check?: ((text: string) => boolean) | ((n: number) => boolean);
  checkText?: string;
  /** Never printed, logged or published. */
  secret?: boolean;
}

function field(path: string, kind: FieldKind, extra: Partial<FieldSpec>): FieldSpec {
  const f: FieldSpec = { path, kind };
  return Object.assign(f, extra);
}

const NAME = { check: isName, checkText: "letters, digits, _ and -" };

function isBrokerUrl(url: string): boolean {
  return parseBrokerUrl(url) !== null;
}

function isCertificates(pem: string): boolean {
  return certificatesDer(pem) !== null;
}

/** The fields, built on each call: the device needs them at boot and for a remote change only, and holding them
 *  would cost it some 350 variables for as long as it runs (the checks made here too: top-level functions would
 *  each hold a few for good). */
export function configSchema(): FieldSpec[] {
  // The ESP32's GPIOs the HAN UART may read: 1 and 3 are the USB console's UART, 6-11 drive the SPI flash (taking
  // one crashes the chip at its next flash access), and it has no 20, 24, 28-31 or anything past 39. 34-39 are
  // inputs only: not for the UART's TX or the LED. 12 is a strapping pin that must be low at reset (high selects
  // 1.8 V flash, and the chip does not boot), and a HAN line idles high: not for the UART's RX.
  const input = function (pin: number): boolean { return "1010110000001111111101110111000011111111".charAt(pin) === "1"; };
  const pins = "a GPIO the ESP32 can ";
  const free = ": 0, 2, 4, 5, 12-19, 21-23, 25-27, 32";
  const drive = { check (pin: number) { return pin < 34 && input(pin); }, checkText: pins + "drive" + free + ", 33" };
  const key = { optional: true, secret: true, check (t: string) { return t.length === 32 && /^[0-9a-fA-F]+$/.test(t); },
    checkText: "32 hex digits (16 bytes)" };
  return [
    field("deviceId", "string", Object.assign({ optional: true }, NAME)),
    field("led", "integer", Object.assign({ def: 2 }, drive)),
    field("wifi.ssid", "string", { minLength: 1 }),
    // WPA2 takes a passphrase of 8 to 63 characters.
    field("wifi.password", "string", { def: "", secret: true,
      check (text: string) { return text.length === 0 || text.length >= 8 && text.length <= 63; },
      checkText: "empty (an open network) or 8 to 63 characters (WPA2)" }),
    field("mqtt.url", "string", { check: isBrokerUrl,
      checkText: "mqtt://host[:port] or mqtts://host[:port], port 1 to 65535" }),
    field("mqtt.username", "string", { optional: true }),
    field("mqtt.password", "string", { optional: true, secret: true }),
    field("mqtt.baseTopic", "string", { optional: true,
      check: isBaseTopic, checkText: "a topic without wildcards, spaces or a trailing /" }),
    field("mqtt.keepAlive", "integer", { def: 60, min: 10, max: 3600 }),
    field("mqtt.ca", "string", { optional: true, check: isCertificates,
      checkText: "PEM certificates (one or more -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE----- blocks)" }),
    field("han.rx", "integer", { def: 16, check (pin: number) { return pin !== 12 && input(pin); },
      checkText: pins + "read" + free.replace("12-", "13-") + "-39" }),
    field("han.tx", "integer", Object.assign({ def: 17 }, drive)),
    field("han.baud", "choice", { def: "auto", choices: ["auto", 2400, 9600, 115200] }),
    field("han.parity", "choice", { def: "auto", choices: ["auto", "even", "none", "odd"] }),
    // With han.baud and han.parity set: 7 for the 9600 7E1 of DSMR 2.2 and 3 P1 ports.
    field("han.bits", "choice", { def: 8, choices: [7, 8] }),
    // How the meter frames its messages; auto finds it with the serial setting (lib/serial-autodetect.ts).
    field("han.framing", "choice", { def: "auto", choices: ["auto", "hdlc", "mbus", "p1"] }),
    field("han.maxFrameSize", "integer", { def: 1024, min: 64, max: 2048 }),
    // AES-128 keys of an encrypted meter (GUEK and GAK): 16 bytes in hex, as grid companies hand them out.
    field("han.key", "string", key),
    field("han.authKey", "string", key),
    field("meter.layout", "choice", { def: "auto",
      choices: ["auto", "aidon", "kaifa", "kamstrup", "burgenland", "push", "generic"] }),
    field("meter.country", "choice", { def: "NO",
      choices: ["NO", "SE", "DK", "FI", "AT"] }),
    field("meter.ct", "boolean", { def: false }),
    field("meter.ctRatio", "number", { def: 1, min: 1, max: 10000 }),
    field("meter.maxPower", "integer", { def: 50000, min: 1000, max: 10000000 }),
    field("output.perValueTopics", "boolean", { def: false }),
    field("output.rawTopic", "boolean", { def: false }),
    field("output.discovery", "boolean", { def: true }),
    field("output.discoveryPrefix", "string", Object.assign({ def: "homeassistant" }, NAME)),
    field("output.discoveryInterval", "integer", { def: 200, min: 0, max: 10000 }),
    field("output.diagInterval", "integer", { def: 60, min: 10, max: 3600 }),
    field("ntp", "string", { def: "pool.ntp.org" }),
    // At most what the console's password prompt holds of a line (MAX_LINE, lib/console-guard.ts): a longer
    // password could never be typed.
    field("console.password", "string", { def: "", secret: true, check: (p: string) => p.length <= 64,
      checkText: "text of at most 64 characters" }),
    field("remote.configChanges", "boolean", { def: false }),
    field("remote.secret", "string", { optional: true, secret: true, minLength: 16 }),
    // lib/insights: the capacity step, voltage quality, net power and the consistency check (docs/mqtt.md, Insights).
    field("insights.capacity", "boolean", { def: true }),
    field("insights.voltage", "boolean", { def: true }),
    field("insights.net", "boolean", { def: true }),
    field("insights.consistency", "boolean", { def: true }),
    field("insights.steps", "string", { def: "2,5,10,15,20,25", check (text: string) {
      const l = text.split(",");
      for (let i = 0; i < l.length; i++) if (!(+l[i] > (i ? +l[i - 1] : 0))) return false;
      return l.length <= 20;
    }, checkText: "up to 20 ascending kW limits, comma-separated (2,5,10,15,20,25)" }),
    field("insights.nominalVoltage", "number", { def: 230, min: 100, max: 500 }),
    field("insights.voltageBand", "number", { def: 10, min: 1, max: 20 }),
  ];
}

/** The fields, for the host tools. */
export const SCHEMA: FieldSpec[] = /* @__PURE__ */ configSchema();

