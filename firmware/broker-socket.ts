// The MQTT client's socket over Espruino's `net` (mqtt://) or `tls` (mqtts://). Espruino reports the
// connection through the callback of connect(); the client listens for a "connect" event, which this provides.
// The other events pass straight through, "drain" among them: write() returns false whatever happens, so that
// event (its send buffer is empty) is the only sign of how much of the variable heap the unsent bytes hold.
import type { MqttSocket } from "../lib/mqtt/client";
import type { Listener } from "../lib/mqtt/emitter";
import { certificatesDer, parseBrokerUrl } from "../lib/config/formats";

/** Espruino's tls.connect takes `ca` as DER bytes: given PEM text it throws "mbedtls_x509_crt_parse of 'ca':
 *  Invalid format" (and a string of 100 characters or fewer would be read as a file name). The configuration
 *  holds PEM, checked at validation, so it is converted once here. */
export function brokerConnector(url: string, ca: string | undefined): () => MqttSocket {
  const address = parseBrokerUrl(url);
  if (!address) throw new Error("mqtt.url: not a broker URL: " + url);
  const der = address.tls && ca ? certificatesDer(ca) : null;
  return function (): MqttSocket {
    const onConnect: Listener[] = [];
    const options: { host: string; port: number; ca?: string } = { host: address.host, port: address.port };
    if (der) options.ca = der;
    const transport = address.tls ? require("tls") : require("net");
    let socket: EspruinoSocket;
    try {
      socket = transport.connect(options, () => {
        for (let i = 0; i < onConnect.length; i++) onConnect[i]();
      });
    } catch (e) {
      // mbedtls names the option 'ca'; the installer knows it as mqtt.ca.
      const text = "" + (e as { message?: unknown }).message;
      // split, not indexOf: Espruino 2v29's String indexOf also "finds" a needle whose start ends the text.
      if (text.split("'ca'").length < 2) throw e;
      throw new Error("mqtt.ca: the device cannot load the certificate (" + text + ")");
    }
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
