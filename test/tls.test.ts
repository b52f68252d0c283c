// MQTT over TLS (mqtts://) on the emulated ESP32: with the CA that signed mosquitto's certificate as mqtt.ca, the
// firmware connects to the TLS listener and publishes; with another CA it never gets a session, so it never sends
// a byte of MQTT. The emulator checks the certificate (Node's TLS) where the real device does not (SECURITY.md):
// this proves the configuration and the firmware's TLS path, not the device's check.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mosquittoMissing, startMosquitto, type Broker } from "./support/brokers";
import { deviceConfig, emulate, Recorder } from "./support/emulated-device";
import { meterSource } from "../scripts/emulator/index";

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
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(dir, ["req", "-x509"].concat(ec, ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=han test CA"]));
  openssl(dir, ["req", "-x509"].concat(ec, ["-keyout", "other.key", "-out", "other.pem", "-days", "2", "-subj", "/CN=another CA"]));
  openssl(dir, ["req"].concat(ec, ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]));
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
