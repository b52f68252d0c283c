// An embedded aedes MQTT broker on 127.0.0.1, for the MQTT benchmark and the client tests; over TLS when given a
// key and certificate.
import net from "node:net";
import tls from "node:tls";
import { Aedes, type AedesOptions } from "aedes";

export interface EmbeddedBroker {
  aedes: Aedes;
  port: number;
  /** Stops listening, drops every client and closes the broker. */
  close(): Promise<void>;
}

/** Listens on `port`, or on a free port when it is 0. */
export async function startEmbeddedBroker(port: number, options?: AedesOptions,
  secure?: tls.TlsOptions): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker(options);
  const sockets = new Set<net.Socket>();
  const accept = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    aedes.handle(socket);
  };
  const server = secure ? tls.createServer(secure, accept) : net.createServer(accept);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
  } catch (e) {
    // The broker's own timers (heartbeat, wills) would keep the process alive after a port that was taken.
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw e;
  }
  return {
    aedes,
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
