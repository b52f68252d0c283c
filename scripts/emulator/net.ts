// require("net") and require("tls") over real sockets, so that the firmware talks to real brokers. Espruino's
// socket (libs/network/jswrap_net.c): connect(options, onConnect) returns it at once; write() takes a binary
// string and returns false, whatever happens to it; events 'data' (binary string), 'close', 'error' ({code,
// message}) and 'drain'. Everything Node reports is queued on the virtual timeline at the instant it arrives and
// handed to the firmware from the emulator's event loop, never from inside Node's callbacks. Without a Wi-Fi
// association a connection fails as it does on the device.
//
// Espruino appends what write() is given to a string in its variable heap, hands it to lwIP a chunk at a time
// as lwIP takes it, and emits 'drain' once that string is empty; it also emits one at connect, before anything is
// written (libs/network/socketserver.c). Here the bytes Node holds before the kernel takes them stand for that
// string, and count in the memory estimate. The kernel's buffers stand for lwIP's, and are much larger (megabytes
// on loopback; 5,760 bytes in Espruino's ESP32 build, targets/esp32/IDF4/sdkconfig): a broker must stop reading
// for far longer here than on the device before the firmware sees the bytes pile up.
import net from "node:net";
import tls from "node:tls";
import { X509Certificate } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Host, Listeners } from "./host";

export interface NetStats {
  opened: number;
  open: number;
  bytesOut: number;
  bytesIn: number;
  /** Changes whenever anything happens on a socket; the drivers yield to Node's event loop while it does. */
  activity: number;
  /** Sockets connecting or waiting for their first reply. */
  waiting: number;
}

interface Connection {
  node: net.Socket | null;
  listeners: Listeners;
  api: object;
  /** Connected, and not yet heard from. */
  awaitingReply: boolean;
  connecting: boolean;
  /** Bytes written and not yet taken by the kernel: Espruino's send buffer. */
  unsent: number;
  /** A 'drain' is on its way to the firmware: Espruino queues one per emptying of its buffer, and the firmware's
   *  writes of one callback empty it once. */
  draining: boolean;
  /** When (real ms) a request went out that no byte has answered yet; 0 when none waits. */
  asked: number;
}

/** Real ms after which an unanswered request no longer holds the timeline: a broker that slow is slow for the
 *  device too, and the device's own timeouts must be able to run. */
const ANSWER_WAIT_MS = 2000;

/** What Espruino's mbedtls offers (libs/crypto/mbedtls/config.h): TLS 1.2 with RSA or DHE-RSA key exchange, so
 *  a broker with an EC certificate, or with ECDHE only, fails the handshake as it would with the device. */
const ESPRUINO_CIPHERS = "kRSA:kEDH+aRSA";

/** What Espruino's tls.connect throws when mbedtls cannot read `ca` as DER (libs/network/network.c). */
export const CA_FORMAT_ERROR = "HTTPS init failed! mbedtls_x509_crt_parse of 'ca': Invalid format";

/** What it throws when the bytes are DER but not a certificate: mbedtls gives an error code, which the emulator
 *  cannot know. */
const CA_CONTENT_ERROR = "HTTPS init failed! mbedtls_x509_crt_parse of 'ca': not an X.509 certificate (emulated)";

/** The length of the DER SEQUENCE at `at` (header included), or 0 when there is none. */
function derLength(der: Buffer, at: number): number {
  if (der.length - at < 2 || der[at] !== 0x30) return 0;
  const first = der[at + 1];
  let length = first;
  let header = 2;
  if (first >= 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4 || der.length - at < 2 + n) return 0;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[at + 2 + i];
    header += n;
  }
  return at + header + length <= der.length ? header + length : 0;
}

function isCertificate(der: Buffer): boolean {
  try {
    return new X509Certificate(der).raw.length === der.length;
  } catch {
    return false;
  }
}

/** Espruino's `ca` for Node's TLS, or the message of what Espruino throws. mbedtls reads DER only (PEM text fails,
 *  since Espruino passes no NUL terminator) and only the first certificate of the bytes, ignoring what follows;
 *  the emulator also trusts the whole certificates that follow, since several CAs are what the configuration
 *  asked for. */
function caForNode(ca: string): { pems: string[] } | { error: string } {
  const der = Buffer.from(ca, "latin1");
  const pems: string[] = [];
  let at = 0;
  for (let length = derLength(der, 0); length > 0; length = derLength(der, at)) {
    const one = der.subarray(at, at + length);
    if (isCertificate(one)) {
      const b64 = one.toString("base64").replace(/(.{64})/g, "$1\n");
      pems.push("-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n");
    } else if (at === 0) {
      return { error: CA_CONTENT_ERROR };
    }
    at += length;
  }
  return pems.length > 0 ? { pems } : { error: CA_FORMAT_ERROR };
}

/** MQTT packets that ask the broker for an answer: CONNECT, PUBLISH at QoS 1 or 2, PUBREL, SUBSCRIBE, PINGREQ.
 *  While one is unanswered, awaitingAnswer() holds and the driver holds the timeline still, as a LAN's round trip
 *  of a millisecond would, rather than let a broker in another process (slow on a loaded machine) answer seconds of
 *  virtual time late and trip the device's CONNACK or keep-alive timeouts. */
function mqttRequest(bytes: string): boolean {
  const first = bytes.charCodeAt(0);
  const type = first >> 4;
  return type === 1 || type === 3 && (first & 6) !== 0 || type === 6 || type === 8 || type === 12;
}

export class Network {
  readonly stats: NetStats = { opened: 0, open: 0, bytesOut: 0, bytesIn: 0, activity: 0, waiting: 0 };
  private readonly connections = new Set<Connection>();
  constructor(private readonly linkUp: () => boolean) {}

  /** require("net") or require("tls") for one boot. */
  module(host: Host, secure: boolean): object {
    const self = this;
    const name = secure ? "tls" : "net";
    return host.loud(name, {
      connect: function (options: unknown, onConnect?: unknown) {
        return self.connect(host, name, options, onConnect, secure);
      },
    });
  }

  /** The link is gone (Wi-Fi dropped, or a reboot): every socket dies. */
  killAll(): void {
    for (const c of Array.from(this.connections)) {
      if (c.node) c.node.destroy(Object.assign(new Error("connection lost"), { code: "ECONNRESET" }));
    }
  }

  /** A reboot: sockets of the old boot are closed without telling anyone. */
  forgetAll(): void {
    for (const c of Array.from(this.connections)) {
      if (c.node) {
        c.node.removeAllListeners();
        c.node.on("error", function () { /* the boot that cared is gone */ });
        c.node.destroy();
      }
      this.closed(c);
    }
  }

  /** A request the firmware wrote is still unanswered (see mqttRequest), for at most ANSWER_WAIT_MS of real time. */
  awaitingAnswer(): boolean {
    const now = performance.now();
    for (const c of this.connections) if (c.asked > 0 && now - c.asked < ANSWER_WAIT_MS) return true;
    return false;
  }

  /** What each open socket holds unsent, for the memory estimate. */
  unsentBytes(): number[] {
    return Array.from(this.connections, function (c) { return c.unsent; });
  }

  callbacks(): unknown[] {
    let out: unknown[] = [];
    for (const c of this.connections) out = out.concat(c.listeners.all());
    return out;
  }

  private connect(host: Host, name: string, options: unknown, onConnect: unknown, secure: boolean): object {
    if (typeof options !== "object" || options === null) {
      throw host.error(name + ".connect(options) needs {host, port}; a URL string is not emulated");
    }
    const o = options as { host?: unknown; port?: unknown; ca?: unknown };
    const ca = secure && o.ca !== undefined ? this.caOption(host, o.ca) : undefined;
    const port = Number(o.port || (secure ? 443 : 80));
    const hostName = String(o.host || "localhost");
    const listeners = new Listeners();
    const self = this;
    const conn: Connection = { node: null, listeners: listeners, api: {}, awaitingReply: false, connecting: true,
      unsent: 0, draining: false, asked: 0 };
    const boot = host.boot;
    const queue = function (fn: () => void): void {
      self.stats.activity++;
      host.clock.at(host.clock.now, function () { if (host.boot === boot) fn(); });
    };
    const drain = function (): void {
      if (self.connections.has(conn)) listeners.emit(host, conn.api, "drain", [conn.api]);
    };
    conn.api = host.loud(name + " socket", Object.assign(listeners.methods(host, name + " socket"), {
      write: function (data: unknown) {
        const text = typeof data === "string" ? data : String(data);
        for (let i = 0; i < text.length; i++) {
          if (text.charCodeAt(i) > 255) {
            throw host.error("socket.write: character " + text.charCodeAt(i) + " at " + i +
              " does not fit Espruino's 8-bit strings");
          }
        }
        if (!conn.node || conn.node.destroyed) return false;
        self.stats.bytesOut += text.length;
        self.stats.activity++;
        conn.unsent += text.length;
        if (conn.asked === 0 && mqttRequest(text)) conn.asked = performance.now();
        conn.node.write(Buffer.from(text, "latin1"), function (error?: Error | null) {
          conn.unsent -= text.length;
          if (error || conn.unsent > 0 || conn.draining) return;
          conn.draining = true;
          queue(function () {
            conn.draining = false;
            drain();
          });
        });
        return false;
      },
      end: function () {
        if (conn.node && !conn.node.destroyed) conn.node.end();
      },
    }));
    this.connections.add(conn);
    this.stats.opened++;
    this.stats.open++;
    this.stats.waiting++;
    if (!this.linkUp()) {
      queue(function () {
        self.closed(conn);
        listeners.emit(host, conn.api, "error", [host.data({ code: -1, message: "no network" })]);
        listeners.emit(host, conn.api, "close", [true]);
      });
      return conn.api;
    }
    const socket = secure ?
      tls.connect({ host: hostName, port: port, ca: ca, ciphers: ESPRUINO_CIPHERS, maxVersion: "TLSv1.2",
        servername: net.isIP(hostName) ? undefined : hostName }) :
      net.connect({ host: hostName, port: port });
    conn.node = socket;
    socket.setNoDelay(true);
    socket.on(secure ? "secureConnect" : "connect", function () {
      queue(function () {
        conn.connecting = false;
        conn.awaitingReply = true;
        if (typeof onConnect === "function") host.call(onConnect, conn.api, []);
        drain();
      });
    });
    socket.on("data", function (data: Buffer) {
      conn.asked = 0;
      self.stats.bytesIn += data.length;
      const text = data.toString("latin1");
      queue(function () {
        if (conn.awaitingReply) {
          conn.awaitingReply = false;
          self.stats.waiting--;
        }
        listeners.emit(host, conn.api, "data", [text]);
      });
    });
    let failure: { code: number; message: string } | null = null;
    socket.on("error", function (error: Error & { code?: string }) {
      failure = { code: -1, message: (error.code ? error.code + ": " : "") + error.message };
    });
    socket.on("close", function () {
      conn.asked = 0;
      const f = failure;
      queue(function () {
        self.closed(conn);
        if (f) listeners.emit(host, conn.api, "error", [host.data(f)]);
        listeners.emit(host, conn.api, "close", [f !== null]);
      });
    });
    return conn.api;
  }

  /** Espruino reads a `ca` string of 100 characters or fewer as a file name, and calls a function for it. */
  private caOption(host: Host, ca: unknown): string[] {
    if (typeof ca !== "string") throw host.error("tls.connect: a ca that is not a string is not emulated");
    if (ca.length <= 100) {
      throw host.error("tls.connect: a ca of 100 characters or fewer is a file name on Espruino; not emulated");
    }
    const read = caForNode(ca);
    if ("error" in read) throw host.error(read.error);
    return read.pems;
  }

  private closed(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    this.stats.open--;
    if (conn.connecting || conn.awaitingReply) this.stats.waiting--;
    conn.connecting = false;
    conn.awaitingReply = false;
  }
}
