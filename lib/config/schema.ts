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
  /** For strings: a test (code, not a regular expression: formats.ts says why) and the words that describe what
   *  passes it. */
  check?: (text: string) => boolean;
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
 *  would cost it some 350 variables for as long as it runs. GPIOs 6-11 drive the flash chip; 34-39 are inputs
 *  only (fine for RX, not for TX). */
export function configSchema(): FieldSpec[] {
  return [
    field("deviceId", "string", Object.assign({ optional: true }, NAME)),
    field("led", "integer", { def: 2, min: 0, max: 33 }),
    field("wifi.ssid", "string", { minLength: 1 }),
    field("wifi.password", "string", { def: "", secret: true }),
    field("mqtt.url", "string", { check: isBrokerUrl,
      checkText: "mqtt://host, mqtt://host:1883 or mqtts://host:8883" }),
    field("mqtt.username", "string", { optional: true }),
    field("mqtt.password", "string", { optional: true, secret: true }),
    field("mqtt.baseTopic", "string", { optional: true,
      check: isBaseTopic, checkText: "a topic without wildcards, spaces or a trailing /" }),
    field("mqtt.keepAlive", "integer", { def: 60, min: 10, max: 3600 }),
    field("mqtt.ca", "string", { optional: true, check: isCertificates,
      checkText: "PEM certificates (one or more -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE----- blocks)" }),
    field("han.rx", "integer", { def: 16, min: 0, max: 39 }),
    field("han.tx", "integer", { def: 17, min: 0, max: 33 }),
    field("han.baud", "choice", { def: "auto", choices: ["auto", 2400, 9600, 115200] }),
    field("han.parity", "choice", { def: "auto", choices: ["auto", "even", "none", "odd"] }),
    field("han.maxFrameSize", "integer", { def: 1024, min: 64, max: 2048 }),
    field("meter.layout", "choice", { def: "auto",
      choices: ["auto", "aidon", "kaifa", "kamstrup", "generic"] }),
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
    field("console.password", "string", { def: "", secret: true }),
    field("remote.configChanges", "boolean", { def: false }),
    field("remote.secret", "string", { optional: true, secret: true, minLength: 16 }),
  ];
}

/** The fields, for the host tools. */
export const SCHEMA: FieldSpec[] = /* @__PURE__ */ configSchema();

