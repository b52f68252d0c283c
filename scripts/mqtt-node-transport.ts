// Node's `net` (mqtt://) and `tls` (mqtts://) behind the socket shape the MQTT client expects from Espruino, for
// host tools and tests. Node-only, so it lives outside lib/.
import net from "node:net";
import tls from "node:tls";
import type { MqttSocket } from "../lib/mqtt/client";
import type { Listener } from "../lib/mqtt/emitter";

/** A client socket that tests can also cut off without a DISCONNECT. */
export interface NodeMqttSocket extends MqttSocket {
  destroy(): void;
}

function adapt(socket: net.Socket, connectEvent: string): NodeMqttSocket {
  socket.setNoDelay(true);
  return {
    write(data: string): void {
      socket.write(Buffer.from(data, "latin1"));
    },
    end(): void {
      // A socket still connecting has nothing to flush, and end() would wait for it to connect first.
      if (socket.connecting) socket.destroy();
      else socket.end();
    },
    destroy(): void {
      socket.destroy();
    },
    on(event: "connect" | "data" | "close" | "error", fn: Listener): void {
      if (event === "data") socket.on("data", (chunk: Buffer) => fn(chunk.toString("latin1")));
      else if (event === "connect") socket.on(connectEvent, () => fn());
      else if (event === "close") socket.on("close", () => fn());
      else socket.on("error", fn);
    },
  };
}

/** The `connect` factory for MqttClient from a broker URL (mqtt://host:port or mqtts://host:port). */
export function nodeConnector(url: string, tlsOptions?: tls.ConnectionOptions): () => NodeMqttSocket {
  const u = new URL(url);
  const secure = u.protocol === "mqtts:";
  if (!secure && u.protocol !== "mqtt:") throw new Error("unsupported broker URL scheme: " + u.protocol);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const port = u.port ? Number(u.port) : secure ? 8883 : 1883;
  return function () {
    if (!secure) return adapt(net.connect({ host: host, port: port }), "connect");
    // SNI carries host names only (RFC 6066); an IP address is checked against the certificate without it.
    const sni = net.isIP(host) === 0 ? { servername: host } : {};
    const options: tls.ConnectionOptions = Object.assign({ host: host, port: port }, sni, tlsOptions);
    return adapt(tls.connect(options), "secureConnect");
  };
}
