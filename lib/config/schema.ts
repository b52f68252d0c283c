// The one configuration schema: used by `npm run configure`, by `npm run flash`, and by the firmware when it
// boots. Fields are data (path, kind, default, limits), so that every error names the field and what it accepts.

export type FieldKind = "string" | "integer" | "number" | "boolean" | "choice";

export interface FieldSpec {
  /** Dotted path, e.g. "mqtt.url". */
  path: string;
  kind: FieldKind;
  description: string;
  /** Used when the field is absent; undefined makes the field required unless `optional`. */
  def?: string | number | boolean;
  optional?: boolean;
  choices?: (string | number)[];
  min?: number;
  max?: number;
  /** For strings: the fewest characters accepted. */
  minLength?: number;
  /** For strings: a test and the words that describe what passes it. */
  pattern?: RegExp;
  patternText?: string;
  /** Never printed, logged or published. */
  secret?: boolean;
}

function field(path: string, kind: FieldKind, description: string, extra: Partial<FieldSpec>): FieldSpec {
  const f: FieldSpec = { path: path, kind: kind, description: description };
  return Object.assign(f, extra);
}

/** GPIOs 6-11 drive the flash chip; 34-39 are inputs only (fine for RX, not for TX). */
const PINS = { min: 0, max: 39 };

export const SCHEMA: FieldSpec[] = [
  field("deviceId", "string", "name of this dongle in topics and discovery; default: derived from the chip's serial",
    { optional: true, pattern: /^[A-Za-z0-9_-]+$/, patternText: "letters, digits, _ and -" }),
  field("wifi.ssid", "string", "Wi-Fi network name", { minLength: 1 }),
  field("wifi.password", "string", "Wi-Fi password (WPA2)", { def: "", secret: true }),
  field("mqtt.url", "string", "broker URL", { pattern: /^mqtts?:\/\/[^\s/:]+(:[0-9]+)?\/?$/,
    patternText: "mqtt://host, mqtt://host:1883 or mqtts://host:8883" }),
  field("mqtt.username", "string", "broker user name", { optional: true }),
  field("mqtt.password", "string", "broker password", { optional: true, secret: true }),
  field("mqtt.baseTopic", "string", "base topic; default han/<deviceId>", { optional: true,
    pattern: /^[^#+\s]+[^/#+\s]$/, patternText: "a topic without wildcards, spaces or a trailing /" }),
  field("mqtt.keepAlive", "integer", "keep-alive in seconds", { def: 60, min: 10, max: 3600 }),
  field("mqtt.ca", "string", "CA certificate (PEM) for mqtts://", { optional: true }),
  field("han.rx", "integer", "GPIO of the UART RX pin (from the M-Bus board's data output)",
    { def: 16, min: PINS.min, max: PINS.max }),
  field("han.tx", "integer", "GPIO of the UART TX pin (left idle)", { def: 17, min: PINS.min, max: 33 }),
  field("han.baud", "choice", "serial speed, or auto to detect", { def: "auto", choices: ["auto", 2400, 9600, 115200] }),
  field("han.parity", "choice", "parity, or auto to detect (Aidon/Kaifa: even, Kamstrup: none)",
    { def: "auto", choices: ["auto", "even", "none", "odd"] }),
  field("han.maxFrameSize", "integer", "largest HDLC frame accepted, bytes", { def: 1024, min: 64, max: 2048 }),
  field("meter.layout", "choice", "list layout, or auto to detect", { def: "auto",
    choices: ["auto", "aidon", "kaifa", "kamstrup", "generic"] }),
  field("meter.country", "choice", "country of the meter's firmware (scaling)", { def: "NO",
    choices: ["NO", "SE", "DK", "FI", "AT"] }),
  field("meter.ct", "boolean", "current-transformer connected meter", { def: false }),
  field("meter.ctRatio", "number", "transformer ratio for meters reporting secondary values", { def: 1, min: 1, max: 10000 }),
  field("meter.maxPower", "integer", "most power the installation can draw, W (energy plausibility)",
    { def: 50000, min: 1000, max: 10000000 }),
  field("output.perValueTopics", "boolean", "publish <base>/<key> with a bare number per value", { def: false }),
  field("output.rawTopic", "boolean", "publish each valid frame in hex on <base>/raw", { def: false }),
  field("output.discovery", "boolean", "Home Assistant discovery", { def: true }),
  field("output.discoveryPrefix", "string", "Home Assistant discovery prefix", { def: "homeassistant",
    pattern: /^[A-Za-z0-9_-]+$/, patternText: "letters, digits, _ and -" }),
  field("output.discoveryInterval", "integer", "ms between discovery messages", { def: 200, min: 0, max: 10000 }),
  field("output.diagInterval", "integer", "seconds between diag messages", { def: 60, min: 10, max: 3600 }),
  field("ntp", "string", "SNTP server", { def: "pool.ntp.org" }),
  field("console.password", "string", "password for the USB console; empty leaves it open", { def: "", secret: true }),
  field("remote.configChanges", "boolean", "allow configuration changes over <base>/cmd", { def: false }),
  field("remote.secret", "string", "shared secret for signed commands (at least 16 characters)",
    { optional: true, secret: true, minLength: 16 }),
];

export function fieldByPath(path: string): FieldSpec | null {
  return SCHEMA.find(function (f) { return f.path === path; }) || null;
}
