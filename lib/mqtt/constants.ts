// MQTT 3.1.1 numbers shared by the writer, the parser and the client (OASIS MQTT 3.1.1, sections 2 and 3).

/** Control packet types: the high nibble of the first byte. 0 and 15 are reserved. */
export const CONNECT = 1;
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const PUBREC = 5;
export const PUBREL = 6;
export const PUBCOMP = 7;
export const SUBSCRIBE = 8;
export const SUBACK = 9;
export const UNSUBSCRIBE = 10;
export const UNSUBACK = 11;
export const PINGREQ = 12;
export const PINGRESP = 13;
export const DISCONNECT = 14;

/** Low-nibble flags of PUBLISH. */
export const FLAG_RETAIN = 1;
export const FLAG_DUP = 8;
/** The fixed low nibble that PUBREL, SUBSCRIBE and UNSUBSCRIBE must carry. */
export const FLAGS_REQUIRED = 2;

/** CONNECT flags byte. Bit 0 is reserved and must be 0. */
export const CONNECT_CLEAN = 2;
export const CONNECT_WILL = 4;
export const CONNECT_WILL_RETAIN = 32;
export const CONNECT_PASSWORD = 64;
export const CONNECT_USERNAME = 128;

export const PROTOCOL_NAME = "MQTT";
export const PROTOCOL_LEVEL = 4;

/** SUBACK return code for a refused subscription. */
export const SUBACK_FAILURE = 0x80;

/** Largest remaining length the 4-byte encoding can carry. */
export const MAX_REMAINING_LENGTH = 268435455;

/** The name of a packet type, for error texts. The names are built on the rare call that needs them: held for
 *  good they would cost the device some 40 variables. */
export function packetName(type: number): string {
  return ["reserved", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE", "SUBACK",
    "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "reserved"][type & 15];
}

/** Readable text for a non-zero CONNACK return code (1..5; 0 is "accepted"). */
export function connackError(code: number): string {
  const errors = ["", "unacceptable protocol version", "identifier rejected", "server unavailable",
    "bad user name or password", "not authorised"];
  return code > 0 && code < errors.length ? errors[code] : "reserved return code " + code;
}
