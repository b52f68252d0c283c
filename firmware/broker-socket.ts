// The MQTT client's socket over Espruino's `net` (mqtt://) or `tls` (mqtts://). Espruino reports the
// connection through the callback of connect(); the client listens for a "connect" event, which this provides.
import type { MqttSocket } from "../lib/mqtt/client";
import type { Listener } from "../lib/mqtt/emitter";

export interface BrokerAddress {
  tls: boolean;
  host: string;
  port: number;
}

export function parseBrokerUrl(url: string): BrokerAddress {
  const tls = url.indexOf("mqtts://") === 0;
  const rest = url.substr(tls ? 8 : 7).replace(/\/$/, "");
  const colon = rest.indexOf(":");
  const port = colon > 0 ? parseInt(rest.substr(colon + 1), 10) : (tls ? 8883 : 1883);
  return { tls, host: colon > 0 ? rest.substr(0, colon) : rest, port };
}

export function brokerConnector(url: string, ca: string | undefined): () => MqttSocket {
  const address = parseBrokerUrl(url);
  return function (): MqttSocket {
    const onConnect: Listener[] = [];
    const options: { host: string; port: number; ca?: string } = { host: address.host, port: address.port };
    if (address.tls && ca) options.ca = ca;
    const transport = address.tls ? require("tls") : require("net");
    const socket = transport.connect(options, () => {
      for (let i = 0; i < onConnect.length; i++) onConnect[i]();
    });
    return {
      write (data: string) { socket.write(data); },
      end () { socket.end(); },
      on (event: string, fn: Listener) {
        if (event === "connect") onConnect.push(fn);
        else socket.on(event, fn);
      },
    };
  };
}
