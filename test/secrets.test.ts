// Nothing leaks. The firmware runs with every secret configured (Wi-Fi password, MQTT password, console password,
// remote secret, the meter's keys) through boot, diag, discovery, three refused configuration changes (one offering
// a new MQTT password as an invalid value, one a broker URL with a user name and password in it, one with a wrong
// signature), a signed reboot into an invalid configuration that it prints errors about (a broker URL with
// credentials among them), and wrong passwords at the console prompt. Every byte it publishes, under any topic, and
// everything on its console is scanned for each secret as text, in hex, and in base64 at any alignment: none may
// appear. The scan is shown to catch a message that does leak, and to catch the firmware whose only change is the
// masking of secret values in lib/config/validate.ts removed, or that of a URL's user information (maskUrl,
// lib/config/formats.ts).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import mqtt from "mqtt";
import { startEmbeddedBroker, type EmbeddedBroker } from "../scripts/mqtt-aedes";
import { meterSource, type Emulator } from "../scripts/emulator/index";
import { commandPayload } from "../scripts/command";
import { emulate, firmwareBundle } from "./support/emulated-device";
import { PASSWORD, USERNAME } from "./support/brokers";

const SECRETS: { [what: string]: string } = {
  "Wi-Fi password": "wifi-Kq83vXp2Lm",
  "MQTT password": "mqtt-Zr48Wn2cJd",
  "console password": "console-Hy6Tq0Lm",
  "remote secret": "remote-Bd5Ke81VxQ",
  "offered MQTT password": "offered-Fp3Jc7Uw9s",
  "URL user name": "urluser-Hd8Lw3",
  "URL password": "urlpw-Tn5Rb2Wq8e",
  // An encrypted meter's keys: the device decrypts with them from boot (the meter here sends in the clear).
  "HAN key": "5f3a9c0e7b21d4486e0f93a1c7b52d68",
  "HAN authentication key": "c4e81b0a95d3762f1e8a40b6d29f573c",
};
const DEVICE_USER = "han-vault";
const ID = "vault";
const BASE = "han/" + ID;
const START = Date.UTC(2024, 0, 15, 12, 0, 0);

interface Published {
  client: string | null;
  topic: string;
  payload: Buffer;
}

let broker: EmbeddedBroker;
let commander: mqtt.MqttClient;
const published: Published[] = [];

before(async function () {
  broker = await startEmbeddedBroker(0, {
    authenticate: function (_client, username, password, callback) {
      const p = password ? password.toString() : "";
      callback(null, username === USERNAME && p === PASSWORD || username === DEVICE_USER && p === SECRETS["MQTT password"]);
    },
  });
  broker.aedes.on("publish", function (packet, client) {
    published.push({ client: client ? client.id : null, topic: packet.topic, payload: Buffer.from(packet.payload) });
  });
  commander = await mqtt.connectAsync("mqtt://127.0.0.1:" + broker.port,
    { username: USERNAME, password: PASSWORD, clientId: "commander" });
});

after(async function () {
  await commander.endAsync(true);
  await broker.close();
});

/** The configuration with every secret in it. */
function config(): { [group: string]: unknown } {
  return {
    deviceId: ID,
    wifi: { ssid: "han-vault-ap", password: SECRETS["Wi-Fi password"] },
    mqtt: { url: "mqtt://127.0.0.1:" + broker.port, username: DEVICE_USER, password: SECRETS["MQTT password"] },
    console: { password: SECRETS["console password"] },
    remote: { secret: SECRETS["remote secret"], configChanges: true },
    output: { perValueTopics: true, rawTopic: true, diagInterval: 60 },
    han: { key: SECRETS["HAN key"], authKey: SECRETS["HAN authentication key"] },
  };
}

function device(code: string): Emulator {
  return emulate({
    code: code,
    startMs: START,
    wifi: { ssid: "han-vault-ap", password: SECRETS["Wi-Fi password"] },
    files: { "han.json": JSON.stringify(config()) },
    source: meterSource({ maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 11, startMs: START }),
  });
}

function fromDevice(topic: string): Published[] {
  return published.filter(function (p) { return p.client === "han-" + ID && p.topic === topic; });
}

async function command(emu: Emulator, payload: object | string): Promise<void> {
  const bytes = typeof payload === "string" ? Buffer.from(payload, "latin1") : JSON.stringify(payload);
  await commander.publishAsync(BASE + "/cmd", bytes, { qos: 1 });
  const logs = fromDevice(BASE + "/log").length;
  const diags = fromDevice(BASE + "/diag").length;
  assert.ok(await emu.advanceUntil(function () {
    return fromDevice(BASE + "/log").length > logs || fromDevice(BASE + "/diag").length > diags;
  }, 60000), "no answer to " + JSON.stringify(payload));
}

/** Signed for this device, its counter the device's own clock in ms (the device takes only counters near it;
 *  each command waits for its answer, so the next one's is higher). */
function signed(emu: Emulator, cmd: string, changes: Record<string, unknown> | undefined, secret: string): string {
  return commandPayload(cmd, changes, secret, Math.floor(emu.wallMs()), BASE);
}

/** The refused change whose invalid value is a new MQTT password: its refusal is logged with checkField's words. */
const OFFERED = { "mqtt.password": [SECRETS["offered MQTT password"]], "wifi.password": { v: SECRETS["Wi-Fi password"] } };

/** A broker URL with the user name and password in it, which the schema refuses (they go in mqtt.username and
 *  mqtt.password) and shows masked. */
function credentialsUrl(): string {
  return "mqtt://" + SECRETS["URL user name"] + ":" + SECRETS["URL password"] + "@127.0.0.1:" + broker.port;
}

/** Each secret as the bytes it would show up as: its text, its hex, and the part of its base64 that does not
 *  depend on the bytes around it, at each of the three alignments. */
function forms(secret: string): { how: string; text: string }[] {
  const bytes = Buffer.from(secret, "utf8");
  const out = [{ how: "as text", text: bytes.toString("latin1") }, { how: "in hex", text: bytes.toString("hex") },
    { how: "in hex", text: bytes.toString("hex").toUpperCase() }];
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift), bytes]).toString("base64");
    const inner = b64.slice(shift === 0 ? 0 : 4, 4 * Math.floor((shift + bytes.length) / 3));
    const url = inner.replace(/\+/g, "-").replace(/\//g, "_");
    out.push({ how: "in base64", text: inner });
    if (url !== inner) out.push({ how: "in base64url", text: url });
  }
  return out;
}

/** Where each secret shows, in any form, in any of `places`. */
function scan(places: { where: string; bytes: string }[]): string[] {
  const found: string[] = [];
  for (const what of Object.keys(SECRETS)) {
    for (const form of forms(SECRETS[what])) {
      for (const place of places) {
        if (place.bytes.indexOf(form.text) >= 0) found.push(what + " " + form.how + " in " + place.where);
      }
    }
  }
  return found;
}

/** Everything the device published (every topic, every byte) and everything on its console. */
function everything(emu: Emulator): { where: string; bytes: string }[] {
  return published.filter(function (p) { return p.client !== "commander"; })
    .map(function (p) { return { where: p.topic + " (" + p.client + ")", bytes: p.topic + "\n" + p.payload.toString("latin1") }; })
    .concat([{ where: "the console", bytes: emu.console.text() }, { where: "the USB port", bytes: emu.consoles.usbOutput }]);
}

test("no secret in any published byte or on the console: boot, diag, discovery, refused changes, bad config, console",
  async function () {
    const emu = device(firmwareBundle());
    try {
      assert.ok(await emu.advanceUntil(function () {
        return fromDevice(BASE + "/diag").length >= 1 && fromDevice(BASE + "/instant").length >= 1 &&
          published.some(function (p) { return p.topic.indexOf("homeassistant/sensor/") === 0; });
      }, 10 * 60000), "no diag, readings and discovery; console:\n" + emu.console.text());
      await command(emu, { cmd: "diag" });

      await command(emu, signed(emu, "set", OFFERED, SECRETS["remote secret"]));
      const refusal = fromDevice(BASE + "/log").map(function (p) { return p.payload.toString(); }).join("\n");
      assert.match(refusal, /command refused: set: .*mqtt\.password: must be text; got a value that is not accepted/);
      await command(emu, signed(emu, "set", { "mqtt.url": credentialsUrl() }, SECRETS["remote secret"]));
      assert.match(fromDevice(BASE + "/log").map(function (p) { return p.payload.toString(); }).join("\n"),
        /command refused: set: .*mqtt\.url: must be .*; got "mqtt:\/\/\*\*\*@127\.0\.0\.1:\d+"/);
      await command(emu, signed(emu, "set", { "mqtt.password": SECRETS["offered MQTT password"] }, "not the remote secret"));
      assert.match(fromDevice(BASE + "/log").map(function (p) { return p.payload.toString(); }).join("\n"),
        /command refused: set: wrong signature/);

      // Ten more minutes online: diag, readings and the log as they come.
      await emu.advance(10 * 60000);
      assert.ok(fromDevice(BASE + "/diag").length >= 10);

      // A configuration the firmware must refuse at boot, with secrets in the values it refuses.
      const bad = config();
      bad.wifi = { ssid: "han-vault-ap", password: [SECRETS["Wi-Fi password"]] };
      bad.mqtt = Object.assign({}, bad.mqtt as object, { password: { value: SECRETS["MQTT password"] }, url: credentialsUrl() });
      bad.remote = { secret: SECRETS["remote secret"].slice(0, 9) + "x", configChanges: true };
      emu.storage.write("han.json", JSON.stringify(bad));
      await command(emu, signed(emu, "reboot", undefined, SECRETS["remote secret"]));
      assert.ok(await emu.advanceUntil(function () { return emu.console.has("config error: wifi.password"); }, 10000),
        "no configuration errors after the reboot; console:\n" + emu.console.text());
      assert.ok(emu.console.has("config error: remote.secret"));
      assert.ok(emu.console.has("config error: mqtt.url"));

      for (const attempt of ["guess", SECRETS["console password"] + "!", "console", "Hy6Tq0Lm"]) {
        emu.consoles.type(attempt + "\r");
        await emu.advance(6000);
      }
      assert.match(emu.consoles.usbOutput, /Next attempt in 10 s/);
      await emu.advance(60000);

      assert.deepEqual(scan(everything(emu)), []);
      assert.deepEqual(emu.console.uncaught, []);

      // The scan itself: a message that carries a secret in base64, at an odd offset, is caught.
      const leaky = await mqtt.connectAsync("mqtt://127.0.0.1:" + broker.port,
        { username: USERNAME, password: PASSWORD, clientId: "leaky" });
      await leaky.publishAsync(BASE + "/leak", Buffer.from("{\"x\":\"" + Buffer.from("k=" + SECRETS["remote secret"])
        .toString("base64") + "\"}"), { qos: 1 });
      await leaky.endAsync();
      assert.deepEqual(scan(everything(emu)), ["remote secret in base64 in " + BASE + "/leak (leaky)"]);
    } finally {
      emu.close();
    }
  });

test("the scan catches the firmware with the masking of secret values and of URL user information removed",
  async function () {
  const bundle = firmwareBundle();
  // Each edit keeps the text's length: the slot file's header and the parts' stand-ins give offsets into it. The
  // code stands in more than one part (the stored configuration carries its own validation): all of it is edited.
  const same = (text: string) => (found: string) => text + " ".repeat(found.length - text.length);
  const secretsShown = bundle.replace(/\b\w+\.secret\?"a value that is not accepted":/g, same("false?\"\":"));
  assert.notEqual(secretsShown, bundle, "the masking is no longer where this test removes it: follow lib/config/validate.ts");
  const unmasked = secretsShown.replace(/return (\w+)\.substr\(0,\w+\)\+"\*\*\*"\+\w+\.substr\(\w+\)/g,
    (found, name: string) => same("return " + name)(found));
  assert.notEqual(unmasked, secretsShown, "maskUrl is no longer what this test removes: follow lib/config/formats.ts");
  published.length = 0;
  const emu = device(unmasked);
  try {
    // Online, and its clock set by SNTP: signed commands are taken only then.
    assert.ok(await emu.advanceUntil(function () {
      return fromDevice(BASE + "/status").length >= 1 && emu.wallMs() >= START;
    }, 60000), "the device did not come online; console:\n" + emu.console.text());
    await command(emu, signed(emu, "set", OFFERED, SECRETS["remote secret"]));
    await command(emu, signed(emu, "set", { "mqtt.url": credentialsUrl() }, SECRETS["remote secret"]));
    const found = scan(everything(emu));
    assert.ok(found.indexOf("offered MQTT password as text in " + BASE + "/log (han-" + ID + ")") >= 0, found.join("\n"));
    assert.ok(found.indexOf("Wi-Fi password as text in " + BASE + "/log (han-" + ID + ")") >= 0, found.join("\n"));
    assert.ok(found.indexOf("URL password as text in " + BASE + "/log (han-" + ID + ")") >= 0, found.join("\n"));
  } finally {
    emu.close();
  }
});
