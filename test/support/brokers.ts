// Real MQTT brokers for the client tests, each on a free port of 127.0.0.1 with one user name and password, and
// able to stop and start again on the same port with its sessions kept (as a broker restart would). mosquitto can
// listen on a second port over TLS.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import memoryPersistence from "aedes-persistence";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../scripts/mqtt-aedes";

export interface Broker {
  name: string;
  port: number;
  url: string;
  /** The CONNACK error text this broker's refusal of a bad password maps to. */
  badPasswordError: string;
  /** The TLS listener, when asked for: mqtts://127.0.0.1:port. */
  tlsUrl?: string;
  /** Stops listening and drops every client. */
  stop(): Promise<void>;
  /** Starts again on the same port, with the sessions and retained messages it had. */
  start(): Promise<void>;
  /** Starts again on the same port with nothing kept, as a broker without persistence restarts. */
  startEmpty(): Promise<void>;
  /** Stops for good and removes what it left on disk. */
  dispose(): Promise<void>;
}

export const USERNAME = "meter";
export const PASSWORD = "s3cret";

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something accepts TCP connections on the port. */
async function waitForPort(port: number, deadlineMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port: port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (!alive() || Date.now() > deadline) throw new Error("broker did not start listening on port " + port);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function startAedes(): Promise<Broker> {
  // One persistence for every incarnation: it holds sessions and retained messages across the restart.
  let persistence = memoryPersistence();
  let broker: EmbeddedBroker | null = null;
  let port = 0;

  async function start(): Promise<void> {
    broker = await startEmbeddedBroker(port, {
      persistence: persistence,
      authenticate: (_client, username, password, callback) => {
        if (username === USERNAME && password !== undefined && password.toString() === PASSWORD) {
          callback(null, true);
          return;
        }
        callback(Object.assign(new Error("bad user name or password"), { returnCode: 4 }), false);
      },
    });
    port = broker.port;
  }

  async function stop(): Promise<void> {
    const b = broker;
    broker = null;
    if (b) await b.close();
  }

  await start();
  return {
    name: "aedes",
    port: port,
    url: "mqtt://127.0.0.1:" + port,
    badPasswordError: "connection refused: bad user name or password",
    stop: stop,
    start: start,
    startEmpty: function () {
      persistence = memoryPersistence();
      return start();
    },
    dispose: stop,
  };
}

/** Why mosquitto cannot be used here, or null when it can. */
export function mosquittoMissing(): string | null {
  for (const tool of ["mosquitto", "mosquitto_passwd"]) {
    const found = spawnSync("sh", ["-c", "command -v " + tool]);
    if (found.status !== 0) return "the `" + tool + "` binary is not installed (apt-get install -y mosquitto)";
  }
  return null;
}

/** A server certificate and its key (PEM files) for a TLS listener. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export async function startMosquitto(tls?: TlsFiles): Promise<Broker> {
  const port = await freePort();
  const tlsPort = tls ? await freePort() : 0;
  const dir = mkdtempSync(join(tmpdir(), "mosquitto-test-"));
  const passwordFile = join(dir, "passwd");
  const made = spawnSync("mosquitto_passwd", ["-b", "-c", passwordFile, USERNAME, PASSWORD]);
  if (made.status !== 0) throw new Error("mosquitto_passwd failed: " + made.stderr.toString());
  // Newer mosquitto versions complain about password files others can read.
  chmodSync(passwordFile, 0o600);
  const config = join(dir, "mosquitto.conf");
  writeFileSync(config, [
    "listener " + port + " 127.0.0.1",
    "allow_anonymous false",
    "password_file " + passwordFile,
    // Saved on shutdown and loaded at start: sessions and queued QoS 1 messages survive the restart.
    "persistence true",
    "persistence_location " + dir + "/",
    "log_dest stderr",
    // As root, mosquitto would switch to its own user, which cannot write the temporary directory.
    process.getuid && process.getuid() === 0 ? "user root" : "",
  ].concat(tls ? ["listener " + tlsPort + " 127.0.0.1", "certfile " + tls.certFile, "keyfile " + tls.keyFile] : [])
    .join("\n") + "\n");
  let child: ChildProcess | null = null;
  let log = "";

  async function start(): Promise<void> {
    const c = spawn("mosquitto", ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
    let exited = false;
    c.on("exit", () => { exited = true; });
    c.stderr?.on("data", (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
    child = c;
    try {
      await waitForPort(port, 5000, () => !exited);
      if (tls) await waitForPort(tlsPort, 5000, () => !exited);
    } catch (e) {
      throw new Error((e as Error).message + "; mosquitto said:\n" + log);
    }
  }

  async function stop(): Promise<void> {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => c.on("exit", () => resolve()));
    c.kill("SIGTERM");
    await exited;
  }

  await start();
  return {
    name: "mosquitto",
    port: port,
    url: "mqtt://127.0.0.1:" + port,
    badPasswordError: "connection refused: not authorised",
    tlsUrl: tls ? "mqtts://127.0.0.1:" + tlsPort : undefined,
    stop: stop,
    start: start,
    startEmpty: function () {
      // What mosquitto saved at shutdown (persistence_location, default file name).
      rmSync(join(dir, "mosquitto.db"), { force: true });
      return start();
    },
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
