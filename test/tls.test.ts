// MQTT over TLS (mqtts://) on the emulated ESP32: with the CA that signed mosquitto's certificate as mqtt.ca, the
// firmware connects to the TLS listener and publishes; with another CA it never gets a session, so it never sends
// a byte of MQTT. The emulator checks the certificate (Node's TLS) where the real device does not (SECURITY.md):
// this proves the configuration and the firmware's TLS path, not the device's check. Espruino's tls.connect takes
// `ca` as DER bytes and throws on PEM text; the emulator does the same, and so does the real interpreter.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mosquittoMissing, startMosquitto, type Broker } from "./support/brokers";
import { deviceConfig, emulate, Recorder } from "./support/emulated-device";
import { createEmulator, meterSource } from "../scripts/emulator/index";
import { CA_FORMAT_ERROR } from "../scripts/emulator/net";
import { certificatesDer } from "../lib/config/formats";
import { END, espruinoMissing, runOnEspruino } from "./support/espruino-run";
import { createServer, type Server } from "node:tls";
import { X509Certificate } from "node:crypto";

const START = Date.UTC(2024, 0, 15, 12, 0, 0);

function opensslMissing(): string | null {
  return spawnSync("sh", ["-c", "command -v openssl"]).status === 0 ? null :
    "the `openssl` binary is not installed (apt-get install -y openssl)";
}

const missing = mosquittoMissing() || opensslMissing();
if (missing) console.warn("tls.test.ts: SKIPPED: " + missing);

function openssl(dir: string, args: string[]): void {
  const run = spawnSync("openssl", args, { cwd: dir });
  if (run.status !== 0) throw new Error("openssl " + args.join(" ") + ": " + run.stderr.toString());
}

/** A CA, a server certificate for 127.0.0.1 that it signs, and a second CA that signs nothing here. */
function makeCertificates(dir: string): { ca: string; otherCa: string; certFile: string; keyFile: string } {
  // RSA: Espruino's mbedtls has RSA and DHE-RSA key exchanges only (libs/crypto/mbedtls/config.h), and the
  // emulator's TLS offers the same.
  const key = ["-newkey", "rsa:2048", "-nodes"];
  openssl(dir, ["req", "-x509"].concat(key, ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=han test CA"]));
  openssl(dir, ["req", "-x509"].concat(key, ["-keyout", "other.key", "-out", "other.pem", "-days", "2", "-subj", "/CN=another CA"]));
  openssl(dir, ["req"].concat(key, ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]));
  writeFileSync(join(dir, "san.cnf"), "subjectAltName=IP:127.0.0.1\n");
  openssl(dir, ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
    "-out", "server.pem", "-days", "2", "-extfile", "san.cnf"]);
  return { ca: readFileSync(join(dir, "ca.pem"), "utf8"), otherCa: readFileSync(join(dir, "other.pem"), "utf8"),
    certFile: join(dir, "server.pem"), keyFile: join(dir, "server.key") };
}

let dir = "";
let certificates: ReturnType<typeof makeCertificates>;
let broker: Broker;
const recorder = new Recorder();

before(async function () {
  if (missing) return;
  dir = mkdtempSync(join(tmpdir(), "han-tls-"));
  certificates = makeCertificates(dir);
  broker = await startMosquitto({ certFile: certificates.certFile, keyFile: certificates.keyFile });
  // The recorder listens on the plain port of the same broker.
  await recorder.start(broker.port, ["han/#"]);
});

after(async function () {
  if (missing) return;
  await recorder.stop();
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function tlsDevice(id: string, ca: string) {
  return emulate({
    startMs: START,
    files: { "han.json": deviceConfig(broker.port, id, { mqtt: { url: broker.tlsUrl as string, ca: ca } }) },
    source: meterSource({ maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 5, startMs: START }),
  }, recorder);
}

test("mqtts:// with the broker's CA: the device connects over TLS and publishes readings",
  { skip: missing ? "SKIPPED: " + missing : false }, async function () {
    const emu = tlsDevice("tls-ok", certificates.ca);
    try {
      const done = await emu.advanceUntil(function () { return recorder.on("han/tls-ok/instant").length >= 2; }, 10 * 60000);
      assert.ok(done, "no readings over TLS within 10 minutes; console:\n" + emu.console.text());
      assert.deepEqual(recorder.on("han/tls-ok/status").map(function (m) { return m.payload; })[0], "online");
      assert.deepEqual(emu.console.uncaught, []);
    } finally {
      emu.close();
    }
  });

test("mqtts:// with a CA that did not sign the broker's certificate: the device never gets a session",
  { skip: missing ? "SKIPPED: " + missing : false }, async function () {
    const emu = tlsDevice("tls-wrong-ca", certificates.otherCa);
    try {
      await emu.advance(3 * 60000);
      assert.ok(emu.net.stats.opened >= 2, "the device did not keep trying (" + emu.net.stats.opened + " connections)");
      assert.equal(emu.net.stats.bytesOut, 0, "the device sent MQTT over a connection it should have refused");
      assert.deepEqual(recorder.messages.filter(function (m) { return m.topic.indexOf("han/tls-wrong-ca/") === 0; }), []);
      assert.deepEqual(emu.console.uncaught, []);
    } finally {
      emu.close();
    }
  });

test("mqtts:// with two CAs in mqtt.ca, the broker's second: the device connects",
  { skip: missing ? "SKIPPED: " + missing : false }, async function () {
    const emu = tlsDevice("tls-two", certificates.otherCa + certificates.ca);
    try {
      const done = await emu.advanceUntil(function () { return recorder.on("han/tls-two/instant").length >= 1; }, 10 * 60000);
      assert.ok(done, "no readings over TLS with two CAs; console:\n" + emu.console.text());
    } finally {
      emu.close();
    }
  });

/** PEM text whose block is DER, but not a certificate: it passes the configuration's check, and the TLS stack
 *  cannot load it. */
function notACertificate(): string {
  const inner = Buffer.concat([Buffer.from([0x04, 0x81, 200]), Buffer.alloc(200, 7)]);
  const der = Buffer.concat([Buffer.from([0x30, 0x81, inner.length]), inner]);
  return "-----BEGIN CERTIFICATE-----\n" + der.toString("base64") + "\n-----END CERTIFICATE-----\n";
}

test("an mqtt.ca the device cannot load: said once on the console, naming mqtt.ca, while it keeps trying",
  { skip: missing ? "SKIPPED: " + missing : false }, async function () {
    const emu = tlsDevice("tls-bad-ca", notACertificate());
    try {
      await emu.advance(3 * 60000);
      const said = emu.console.text().split("\n").filter(function (l) { return l.indexOf("mqtt: cannot connect") >= 0; });
      assert.equal(said.length, 1, emu.console.text());
      assert.match(said[0], /mqtt\.ca: the device cannot load the certificate \(HTTPS init failed! mbedtls_x509_crt_parse of 'ca'/);
      assert.equal(emu.net.stats.opened, 0, "no socket without a CA it can load");
      assert.deepEqual(emu.console.uncaught, []);
    } finally {
      emu.close();
    }
  });

/** Espruino code that connects to 127.0.0.1:`port` with `ca` (a JS expression) and prints what happens. */
function connectProbe(port: number, ca: string): string {
  return "try{var s=require('tls').connect({host:'127.0.0.1',port:" + port + ",ca:" + ca + "},function(){print('CONNECTED');});" +
    "s.on('data',function(d){print('DATA '+d);print(" + JSON.stringify(END) + ");});" +
    "s.on('error',function(e){print('ERROR '+JSON.stringify(e));print(" + JSON.stringify(END) + ");});" +
    "}catch(e){print('THREW '+e.message);print(" + JSON.stringify(END) + ");}";
}

function derSource(pem: string): string {
  return "atob(" + JSON.stringify(Buffer.from(certificatesDer(pem) as string, "latin1").toString("base64")) + ")";
}

test("the emulator's tls refuses PEM text as Espruino does, and takes DER", { skip: missing ? "SKIPPED: " + missing : false },
  async function () {
    assert.deepEqual(Buffer.from(certificatesDer(certificates.ca) as string, "latin1"), new X509Certificate(certificates.ca).raw);
    const emu = createEmulator({ code: connectProbe(1, JSON.stringify(certificates.ca)) + ";" +
      connectProbe(1, derSource(certificates.ca)) });
    try {
      await emu.advance(1000);
      const text = emu.console.text();
      assert.ok(text.indexOf("THREW " + CA_FORMAT_ERROR) >= 0, text);
      assert.equal(text.split("THREW").length, 2, "DER is taken: " + text);
    } finally {
      emu.close();
    }
  });

const espruino = espruinoMissing("tls.test.ts");

describe("the real interpreter's tls", { skip: missing || espruino ? "SKIPPED: " + (missing || espruino) : false }, () => {
  let server: Server;
  let port = 0;
  before(async function () {
    if (missing || espruino) return;
    server = createServer({ cert: readFileSync(certificates.certFile), key: readFileSync(certificates.keyFile) },
      function (socket) { socket.end("hello"); });
    await new Promise<void>(function (resolve) { server.listen(0, "127.0.0.1", resolve); });
    port = (server.address() as { port: number }).port;
  });
  after(function () {
    if (server) server.close();
  });

  test("PEM text throws the error the emulator throws", async function () {
    const out = await runOnEspruino(connectProbe(port, JSON.stringify(certificates.ca)));
    assert.ok(out.indexOf("THREW " + CA_FORMAT_ERROR) >= 0, out);
  });

  test("the DER of mqtt.ca connects, with one certificate and with several", async function () {
    for (const pem of [certificates.ca, certificates.otherCa + certificates.ca]) {
      const out = await runOnEspruino(connectProbe(port, derSource(pem)));
      assert.match(out, /CONNECTED[\s\S]*DATA hello/, out);
    }
  });
});
