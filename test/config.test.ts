// The configuration schema: defaults filled, every bad value refused with the field and what it accepts,
// unknown fields refused, secrets never echoed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateConfig, redacted } from "../lib/config/validate";
import { certificatesDer, parseBrokerUrl } from "../lib/config/formats";
import { SCHEMA } from "../lib/config/schema";

const MINIMAL = { wifi: { ssid: "home", password: "wifi-secret-1" }, mqtt: { url: "mqtt://192.0.2.10:1883" } };

test("a minimal configuration is valid and gets every default", () => {
  const { config, errors } = validateConfig(MINIMAL);
  assert.deepEqual(errors, []);
  assert.ok(config);
  assert.equal(config.han.baud, "auto");
  assert.equal(config.han.parity, "auto");
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
    [{ han: { rx: 40 } }, /^han\.rx: must be a whole number from 0 to 39/],
    [{ mqtt: { url: "http://broker" } }, /^mqtt\.url: must be mqtt:\/\/host, mqtt:\/\/host:1883 or mqtts:\/\/host:8883/],
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
    "mqtt://host:65536", "mqtt://host/path", "mqtt://host//", "mqtts:/host", " mqtt://host"]) {
    assert.equal(parseBrokerUrl(url), null, url);
    assert.deepEqual(validateConfig({ ...MINIMAL, mqtt: { url } }).errors,
      [`mqtt.url: must be mqtt://host, mqtt://host:1883 or mqtts://host:8883; got "${url}"`], url);
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
