// The configuration schema: defaults filled, every bad value refused with the field and what it accepts,
// unknown fields refused, secrets never echoed (a URL's user information included), and no value that would break
// the hardware (a pin the ESP32 cannot spare, a Wi-Fi password WPA2 cannot take) accepted; the same answers on the
// real interpreter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateConfig, redacted } from "../lib/config/validate";
import { certificatesDer, maskUrl, parseBrokerUrl } from "../lib/config/formats";
import { SCHEMA } from "../lib/config/schema";
import { fileURLToPath } from "node:url";
import { bundleForEspruino } from "../scripts/espruino/bundle";
import { END, RESULT, espruinoMissing, resultOf, runOnEspruino } from "./support/espruino-run";

const MINIMAL = { wifi: { ssid: "home", password: "wifi-secret-1" }, mqtt: { url: "mqtt://192.0.2.10:1883" } };

test("a minimal configuration is valid and gets every default", () => {
  const { config, errors } = validateConfig(MINIMAL);
  assert.deepEqual(errors, []);
  assert.ok(config);
  assert.equal(config.han.baud, "auto");
  assert.equal(config.han.parity, "auto");
  assert.equal(config.han.framing, "auto");
  assert.equal(config.han.bits, 8);
  assert.equal(config.han.rx, 16);
  assert.equal(config.output.discoveryInterval, 200);
  assert.equal(config.output.perValueTopics, false);
  assert.equal(config.remote.configChanges, false);
  assert.equal(config.meter.country, "NO");
});

test("each bad value is refused with its field and the accepted values", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ han: { baud: 4800 } }, /^han\.baud: must be one of auto, 2400, 9600, 115200; got 4800$/],
    [{ han: { parity: "mark" } }, /^han\.parity: must be one of auto, even, none, odd/],
    [{ han: { framing: "modbus" } }, /^han\.framing: must be one of auto, hdlc, mbus, p1; got "modbus"$/],
    [{ han: { bits: 9 } }, /^han\.bits: must be one of 7, 8; got 9$/],
    [{ han: { rx: 40 } }, /^han\.rx: must be a GPIO the ESP32 can read: 0, 2, /],
    [{ mqtt: { url: "http://broker" } }, /^mqtt\.url: must be mqtt:\/\/host\[:port\] or mqtts:\/\/host\[:port\], port 1 to 65535/],
    [{ meter: { ct: "yes" } }, /^meter\.ct: must be true or false/],
    [{ output: { diagInterval: 1.5 } }, /^output\.diagInterval: must be a whole number from 10 to 3600/],
    [{ mqtt: { baseTopic: "han/#" } }, /^mqtt\.baseTopic: must be a topic without wildcards/],
    [{ wifi: { ssid: "" } }, /^wifi\.ssid: must be text of at least 1 characters/],
  ];
  for (const [patch, message] of cases) {
    const input = structuredClone(MINIMAL) as Record<string, Record<string, unknown>>;
    for (const group of Object.keys(patch)) input[group] = { ...(input[group] || {}), ...(patch[group] as object) };
    const { config, errors } = validateConfig(input);
    assert.equal(config, null);
    assert.equal(errors.length, 1, errors.join("; "));
    assert.match(errors[0], message);
  }
});

test("missing required fields, unknown fields and a non-object are refused", () => {
  assert.deepEqual(validateConfig({}).errors.map((e) => e.split(":")[0]), ["wifi.ssid", "mqtt.url"]);
  assert.deepEqual(validateConfig({ ...MINIMAL, mqtt: { url: "mqtt://b", pasword: "x" } }).errors,
    ["mqtt.pasword: unknown field"]);
  assert.deepEqual(validateConfig({ ...MINIMAL, color: "red" }).errors, ["color: unknown field"]);
  assert.deepEqual(validateConfig("{}").errors, ["the configuration must be a JSON object"]);
  assert.deepEqual(validateConfig({ ...MINIMAL, han: { rx: 17 } }).errors, ["han.tx: must differ from han.rx"]);
});

test("a bad secret is refused without repeating it, and redaction hides every secret", () => {
  const { errors } = validateConfig({ ...MINIMAL, remote: { secret: "short-secret" } });
  assert.equal(errors.length, 1);
  assert.ok(!errors[0].includes("short-secret"));
  const { config } = validateConfig({ ...MINIMAL, mqtt: { url: "mqtt://b", password: "broker-pw-123" },
    console: { password: "console-pw-456" }, remote: { secret: "0123456789abcdef0123" } });
  const text = JSON.stringify(redacted(config!));
  for (const secret of ["wifi-secret-1", "broker-pw-123", "console-pw-456", "0123456789abcdef0123"]) {
    assert.ok(!text.includes(secret), secret);
  }
  assert.ok(SCHEMA.filter((f) => f.secret).length >= 4);
});

// The formats are code, not regular expressions (lib/config/formats.ts): the same answers on the device and in
// the host tools, with the same field-named messages.
test("broker URLs: the forms accepted, their parts, and the rest refused with mqtt.url named", () => {
  const good: [string, { tls: boolean; host: string; port: number }][] = [
    ["mqtt://broker", { tls: false, host: "broker", port: 1883 }],
    ["mqtt://broker/", { tls: false, host: "broker", port: 1883 }],
    ["mqtts://10.0.0.2:8884", { tls: true, host: "10.0.0.2", port: 8884 }],
    ["mqtt://host.lan:1883/", { tls: false, host: "host.lan", port: 1883 }],
  ];
  for (const [url, parts] of good) {
    assert.deepEqual(parseBrokerUrl(url), parts, url);
    assert.deepEqual(validateConfig({ ...MINIMAL, mqtt: { url } }).errors, [], url);
  }
  for (const url of ["http://broker", "mqtt://", "mqtt://a b", "mqtt://host:", "mqtt://host:x1", "mqtt://host:0",
    "mqtt://host:65536", "mqtt://host:99999", "mqtt://host/path", "mqtt://host//", "mqtts:/host", " mqtt://host"]) {
    assert.equal(parseBrokerUrl(url), null, url);
    assert.deepEqual(validateConfig({ ...MINIMAL, mqtt: { url } }).errors,
      [`mqtt.url: must be mqtt://host[:port] or mqtts://host[:port], port 1 to 65535; got "${url}"`], url);
  }
});

test("names and the base topic: accepted and refused as their words say", () => {
  for (const id of ["a", "esp32-7c_9E"]) assert.deepEqual(validateConfig({ ...MINIMAL, deviceId: id }).errors, [], id);
  for (const id of ["", "a b", "a/b", "ø"]) {
    assert.deepEqual(validateConfig({ ...MINIMAL, deviceId: id }).errors,
      [`deviceId: must be letters, digits, _ and -; got "${id}"`], id);
  }
  for (const topic of ["han/d1", "x", "a/b/c"]) {
    assert.deepEqual(validateConfig({ ...MINIMAL, mqtt: { url: "mqtt://b", baseTopic: topic } }).errors, [], topic);
  }
  for (const topic of ["han/", "han/#", "a+b", "a b", "a\tb", ""]) {
    assert.deepEqual(validateConfig({ ...MINIMAL, mqtt: { url: "mqtt://b", baseTopic: topic } }).errors,
      [`mqtt.baseTopic: must be a topic without wildcards, spaces or a trailing /; got "${topic}"`], topic);
  }
});

test("mqtt.ca: PEM certificates become the DER bytes the device's TLS takes; anything else is refused", () => {
  const cert = (der: Buffer) => "-----BEGIN CERTIFICATE-----\n" + der.toString("base64").replace(/(.{64})/g, "$1\n") +
    "\n-----END CERTIFICATE-----\n";
  const one = Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x00]), Buffer.alloc(256, 1)]);
  const two = Buffer.concat([Buffer.from([0x30, 0x05]), Buffer.from("abcde")]);
  assert.deepEqual(Buffer.from(certificatesDer(cert(one)) as string, "latin1"), one);
  assert.deepEqual(Buffer.from(certificatesDer("bundle:\r\n" + cert(one).replace(/\n/g, "\r\n") + "# next\n" + cert(two)) as string,
    "latin1"), Buffer.concat([one, two]), "several, with CRLF and text between");
  assert.deepEqual(validateConfig({ ...MINIMAL, mqtt: { url: "mqtts://b", ca: cert(one) } }).errors, []);
  const bad = ["", "MIIB", cert(one).replace("-----END CERTIFICATE-----", ""), cert(one).replace("A", "*"),
    cert(Buffer.from([0x31, 0x01, 0x00])), cert(one.subarray(0, 100)), cert(one) + "-----BEGIN CERTIFICATE-----\nAAAA\n"];
  for (const ca of bad) {
    assert.equal(certificatesDer(ca), null, ca);
    assert.match(validateConfig({ ...MINIMAL, mqtt: { url: "mqtts://b", ca } }).errors.join("\n"),
      /^mqtt\.ca: must be PEM certificates \(one or more -----BEGIN CERTIFICATE----- \.\.\. -----END CERTIFICATE----- blocks\); got /);
  }
});

// ---- what the hardware cannot take ----------------------------------------------------------------------------

/** The ESP32's GPIOs as its datasheet gives them, written out here rather than taken from the schema: the chip has
 *  0-19, 21-23, 25-27 and 32-39; 6-11 are wired to the SPI flash, 1 and 3 are UART0 (the USB console), and 34-39
 *  are inputs only. The HAN line idles high, and 12 high at reset selects 1.8 V flash: no boot. */
function gpioFits(pin: number, output: boolean): boolean {
  const exists = pin >= 0 && pin <= 39 && pin !== 20 && pin !== 24 && !(pin >= 28 && pin <= 31);
  const taken = pin >= 6 && pin <= 11 || pin === 1 || pin === 3;
  return exists && !taken && !(output && pin >= 34) && (output || pin !== 12);
}

/** "0, 2, 4, 5, 12-19, 32" as the numbers it names. */
function expand(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(", ")) {
    const [from, to] = part.split("-").map(Number);
    for (let n = from; n <= (to === undefined ? from : to); n++) out.push(n);
  }
  return out;
}

test("pins: a GPIO the ESP32 cannot spare (flash, console, input-only for an output, absent) is refused, and the " +
  "message lists exactly the GPIOs that fit", () => {
  const fields: [string, boolean, (pin: unknown) => object][] = [
    ["han.rx", false, (pin) => ({ han: { rx: pin } })],
    ["han.tx", true, (pin) => ({ han: { tx: pin } })],
    ["led", true, (pin) => ({ led: pin })],
  ];
  for (const [path, output, patch] of fields) {
    const fits: number[] = [];
    for (let pin = -2; pin <= 45; pin++) {
      const input = { ...MINIMAL, ...patch(pin) };
      // Only the field's own verdict: a pin equal to another pin is judged apart (below).
      const own = validateConfig(input).errors.filter((e) => e.indexOf(path + ": must be ") === 0);
      if (gpioFits(pin, output)) {
        assert.deepEqual(own, [], path + " = " + pin);
        fits.push(pin);
        continue;
      }
      assert.equal(own.length, 1, path + " = " + pin + " was accepted");
      const words = output ? "drive" : "read";
      const m = new RegExp("^" + path.replace(".", "\\.") + ": must be a GPIO the ESP32 can " + words +
        ": ([-0-9, ]+); got " + pin + "$").exec(own[0]);
      assert.ok(m, own[0]);
      assert.deepEqual(expand(m[1]), fits.concat([...Array(46).keys()].filter((n) => n > pin && gpioFits(n, output))),
        "the GPIOs " + path + " names");
    }
    for (const odd of [2.5, "16", true]) {
      assert.match(validateConfig({ ...MINIMAL, ...patch(odd) }).errors.join("\n"),
        new RegExp("^" + path.replace(".", "\\.") + ": must be a GPIO the ESP32 can "), String(odd));
    }
  }
  // han.rx on the flash's clock line: the case a new user met.
  assert.deepEqual(validateConfig({ ...MINIMAL, han: { rx: 6 } }).errors,
    ["han.rx: must be a GPIO the ESP32 can read: 0, 2, 4, 5, 13-19, 21-23, 25-27, 32-39; got 6"]);
  // 12 high at reset stops the ESP32 booting, and the HAN line idles high.
  assert.deepEqual(validateConfig({ ...MINIMAL, han: { rx: 12 } }).errors,
    ["han.rx: must be a GPIO the ESP32 can read: 0, 2, 4, 5, 13-19, 21-23, 25-27, 32-39; got 12"]);
});

test("pins: the LED cannot share the HAN UART's RX or TX, named at the pin asked after it", () => {
  assert.deepEqual(validateConfig({ ...MINIMAL, han: { rx: 2 } }).errors, ["han.rx: must differ from led"]);
  assert.deepEqual(validateConfig({ ...MINIMAL, led: 17 }).errors, ["han.tx: must differ from led"]);
  assert.deepEqual(validateConfig({ ...MINIMAL, led: 4, han: { rx: 4, tx: 4 } }).errors,
    ["han.tx: must differ from han.rx", "han.rx: must differ from led", "han.tx: must differ from led"]);
  assert.deepEqual(validateConfig({ ...MINIMAL, led: 4, han: { rx: 5, tx: 18 } }).errors, []);
});

test("wifi.password: empty (an open network) or 8 to 63 characters, as WPA2 takes it; refused without echo", () => {
  for (const n of [0, 8, 9, 62, 63]) {
    assert.deepEqual(validateConfig({ ...MINIMAL, wifi: { ssid: "home", password: "k".repeat(n) } }).errors, [], String(n));
  }
  for (const n of [1, 3, 7, 64, 100]) {
    const password = "Qz".repeat(50).slice(0, n);
    const errors = validateConfig({ ...MINIMAL, wifi: { ssid: "home", password } }).errors;
    assert.deepEqual(errors, ["wifi.password: must be empty (an open network) or 8 to 63 characters (WPA2); " +
      "got a value that is not accepted"], String(n));
  }
});

// ---- a URL's user information ---------------------------------------------------------------------------------

test("maskUrl: what stands between // (or the start) and the last @ becomes ***; nothing else changes", () => {
  const cases: [string, string][] = [
    ["mqtt://han:pw-Lk2@broker", "mqtt://***@broker"],
    ["mqtts://han:p@ss:w/rd@broker.lan:8883/", "mqtts://***@broker.lan:8883/"],
    ["mqtt://token@broker", "mqtt://***@broker"],
    ["han:pw-Lk2@broker:1883", "***@broker:1883"],
    ["@", "***@"],
    ["a@b//c", "***@b//c"],
    ["mqtt://broker:1883", "mqtt://broker:1883"],
    ["mqtt://broker//", "mqtt://broker//"],
    ["", ""],
  ];
  for (const [text, masked] of cases) assert.equal(maskUrl(text), masked, text);
});

test("a broker URL with a user name or password is refused, the user information masked wherever the value shows",
  () => {
  const secret = "urlpw-Vb73Kq";
  for (const url of ["mqtt://han:" + secret + "@broker", "mqtts://han:" + secret + "@broker:8883", "mqtt://" + secret +
    "@broker", "han:" + secret + "@broker"]) {
    assert.equal(parseBrokerUrl(url), null, url);
    const errors = validateConfig({ ...MINIMAL, mqtt: { url } }).errors;
    assert.deepEqual(errors, [`mqtt.url: must be mqtt://host[:port] or mqtts://host[:port], port 1 to 65535; got "${maskUrl(url)}"`]);
    assert.ok(!errors[0].includes(secret) && !errors[0].includes("han:"), errors[0]);
  }
  // In another field, or inside a value of the wrong type: masked all the same.
  const elsewhere = validateConfig({ ...MINIMAL, deviceId: "mqtt://han:" + secret + "@b",
    mqtt: { url: ["mqtt://han:" + secret + "@b"] } }).errors;
  assert.equal(elsewhere.length, 2);
  assert.match(elsewhere[0], /^deviceId: .*; got "mqtt:\/\/\*\*\*@b"$/);
  assert.match(elsewhere[1], /^mqtt\.url: .*; got \["mqtt:\/\/\*\*\*@b"\]$/);
});

// ---- the same on the device ---------------------------------------------------------------------------------

const espruinoSkip = espruinoMissing("config.test.ts");

/** Configurations whose errors the real interpreter must give exactly as Node does. */
const ON_DEVICE: object[] = [
  MINIMAL,
  { ...MINIMAL, han: { rx: 6 } }, { ...MINIMAL, han: { rx: 3, tx: 34 } }, { ...MINIMAL, led: 20 },
  { ...MINIMAL, han: { rx: 39, tx: 33 }, led: 0 }, { ...MINIMAL, han: { rx: 40, tx: -1 }, led: 1.5 },
  { ...MINIMAL, han: { rx: 2 } }, { ...MINIMAL, led: 17 },
  { ...MINIMAL, wifi: { ssid: "a", password: "1234567" } }, { ...MINIMAL, wifi: { ssid: "a", password: "12345678" } },
  { ...MINIMAL, mqtt: { url: "mqtt://han:pw-9x@broker:1883" } }, { ...MINIMAL, mqtt: { url: "mqtt://broker/" } },
  { ...MINIMAL, mqtt: { url: "mqtt://x:0" } }, { ...MINIMAL, deviceId: "a@b//" },
];

test("on the real interpreter: the same refusals, the same masking", { skip: espruinoSkip || false, timeout: 120000 },
  async () => {
  const bundle = bundleForEspruino(fileURLToPath(new URL("./support/config-entry.ts", import.meta.url)));
  const out = await runOnEspruino(bundle + ";print(" + JSON.stringify(RESULT) + "+JSON.stringify(" +
    JSON.stringify(ON_DEVICE) + ".map(function(c){return __config.validateConfig(c).errors;})));print(" +
    JSON.stringify(END) + ");", 90000);
  assert.deepEqual(resultOf(out), ON_DEVICE.map((c) => validateConfig(c).errors));
});
