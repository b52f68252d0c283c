// The decoded form of every MQTT 3.1.1 control packet, as the parser produces it and the writer takes it.
// Text fields (topics, client id, user name) are JS strings; binary fields (payloads, password) are binary strings
// holding one byte per char (0..255), the form Espruino sockets read and write.

export interface Will {
  topic: string;
  /** Bytes. */
  payload: string;
  qos: number;
  retain: boolean;
}

export interface ConnectPacket {
  type: 1;
  protocolName: string;
  protocolLevel: number;
  clientId: string;
  /** Seconds; 0 turns keep-alive off. */
  keepAlive: number;
  cleanSession: boolean;
  username: string | null;
  /** Bytes. */
  password: string | null;
  will: Will | null;
}

export interface ConnackPacket {
  type: 2;
  sessionPresent: boolean;
  returnCode: number;
}

export interface PublishPacket {
  type: 3;
  topic: string;
  /** Bytes. */
  payload: string;
  qos: number;
  retain: boolean;
  dup: boolean;
  /** 0 for QoS 0, which carries none. */
  packetId: number;
  /** Set by the parser on a PUBLISH over its size limit, whose payload ("" here) it skipped. */
  oversize?: boolean;
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: a packet identifier and nothing else. */
export interface AckPacket {
  type: 4 | 5 | 6 | 7 | 11;
  packetId: number;
}

export interface Subscription {
  topic: string;
  qos: number;
}

export interface SubscribePacket {
  type: 8;
  packetId: number;
  subscriptions: Subscription[];
}

export interface SubackPacket {
  type: 9;
  packetId: number;
  /** Granted QoS per subscription, or 0x80 for a refused one. */
  granted: number[];
}

export interface UnsubscribePacket {
  type: 10;
  packetId: number;
  topics: string[];
}

/** PINGREQ, PINGRESP and DISCONNECT. */
export interface EmptyPacket {
  type: 12 | 13 | 14;
}

export type Packet = ConnectPacket | ConnackPacket | PublishPacket | AckPacket | SubscribePacket | SubackPacket |
  UnsubscribePacket | EmptyPacket;
