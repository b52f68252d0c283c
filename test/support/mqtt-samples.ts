// One or more packets of every MQTT 3.1.1 type, in the parser's decoded form: the round-trip cases and the fuzz
// seeds. Every string is a binary string (one byte per char), text as its UTF-8 bytes.
import type { Packet } from "../../lib/mqtt/packets";

/** A compact list-2 reading as the device publishes it. */
export const LIST2_JSON = JSON.stringify({
  active_power_import: 1873, active_power_export: 0, reactive_power_import: 0, reactive_power_export: 412,
  current_l1: 3.41, current_l2: 2.07, current_l3: 4.86, voltage_l1: 231.4, voltage_l2: 229.8, voltage_l3: 232.1,
  power_factor: 0.97, frequency: 50.01, t: 1764360000,
});

/** Text as the device holds it: its UTF-8 bytes, one char per byte. */
export function utf8(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

const allBytes = (function () {
  let s = "";
  for (let i = 0; i < 256; i++) s += String.fromCharCode(i);
  return s;
})();

export const SAMPLE_PACKETS: Packet[] = [
  { type: 1, protocolName: "MQTT", protocolLevel: 4, clientId: "han-3f2a", keepAlive: 60, cleanSession: true,
    username: "meter", password: "s3cret\u00ff\u0000", will: { topic: "han/3f2a/status", payload: "offline", qos: 1,
      retain: true } },
  { type: 1, protocolName: "MQTT", protocolLevel: 4, clientId: "", keepAlive: 0, cleanSession: false,
    username: null, password: null, will: null },
  { type: 1, protocolName: "MQTT", protocolLevel: 4, clientId: "c", keepAlive: 65535, cleanSession: true,
    username: utf8("\u00e6\u00f8\u00e5 \u20ac \ud83d\ude00"), password: null, will: { topic: "w", payload: "", qos: 2,
      retain: false } },
  { type: 2, sessionPresent: false, returnCode: 0 },
  { type: 2, sessionPresent: true, returnCode: 0 },
  { type: 2, sessionPresent: false, returnCode: 4 },
  { type: 3, topic: "han/3f2a/list2", payload: LIST2_JSON, qos: 0, retain: false, dup: false, packetId: 0 },
  { type: 3, topic: "han/3f2a/status", payload: "online", qos: 1, retain: true, dup: false, packetId: 65535 },
  { type: 3, topic: "a/b", payload: "", qos: 1, retain: false, dup: true, packetId: 1 },
  { type: 3, topic: utf8("\u00e6/\u20ac/\ud83d\ude00"), payload: allBytes, qos: 2, retain: true, dup: true, packetId: 4242 },
  { type: 4, packetId: 1 },
  { type: 5, packetId: 300 },
  { type: 6, packetId: 65535 },
  { type: 7, packetId: 7 },
  { type: 8, packetId: 10, subscriptions: [{ topic: "han/3f2a/cmd", qos: 1 }, { topic: "homeassistant/status", qos: 0 }] },
  { type: 8, packetId: 11, subscriptions: [{ topic: "#", qos: 2 }, { topic: "+/x/+", qos: 0 }] },
  { type: 9, packetId: 10, granted: [1, 0, 2, 0x80] },
  { type: 10, packetId: 12, topics: ["han/3f2a/cmd", "a/+/#"] },
  { type: 11, packetId: 12 },
  { type: 12 },
  { type: 13 },
  { type: 14 },
];
