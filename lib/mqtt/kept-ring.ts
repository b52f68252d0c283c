// Kept messages (the hourly energy) in flash until the broker has them, so that a restart, a power cut or an
// outage of days loses none: the KeptStore the device gives its MQTT client (docs/mqtt.md, "Kept energy").
//
// Flash bits can only be cleared; Espruino's Storage (src/jsflash.c jsfWriteFile) writes a file at offset 0 by
// erasing the old one and creating it anew `size` long and erased, and writes at any other offset only into bytes
// still erased. So the ring is a log in a pre-sized file: each message is appended once as a record, and marked
// in place by clearing one of the two bytes kept erased at its end: the first when the broker has it (PUBREC at
// QoS 2), the second when it is delivered (PUBCOMP, or PUBACK at QoS 1). A power cut tears at most the write
// under way: a record is handed out only when its CRC holds, and a torn mark (any bit cleared) counts, as what it
// marks had happened. A message goes under a packet identifier made of its record's CRC, the same after a restart
// and in a new file, so that the broker knows it again (docs/mqtt.md, Kept energy). When the file is full (or its
// end torn), the records not yet delivered are copied into a new file under the other of two names, then a record
// naming its generation; a file without that record (a cut during the copy) is ignored, and the old one stays in
// charge.
//
// A record: 4 hex digits of body length, the body, 4 hex digits of the CRC of both, the two mark bytes. A
// message's body: 4 hex digits of topic length, "0".."6" (QoS + 4 for retain), topic, payload; a generation's: "#"
// and the number.
import { crc16x25 } from "../crc16";
import { toBytes } from "../bytes";
import type { KeptStore, OutMessage } from "./queue";

/** Storage as the ring uses it: the device's Platform (require("Storage") on the ESP32). */
export interface RingFlash {
  readStore(name: string): string | undefined;
  /** Storage.write(name, data, offset, size); throws when the flash refuses. */
  writeStore(name: string, data: string, offset?: number, size?: number): void;
}

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Ring {
  NAME = "han.kept",
  /** Bytes of a file: about 330 hourly values of ~290 bytes. */
  FILE = 98304,
  /** Undelivered records a new file starts with at most, in bytes (the oldest beyond go): half the file, so that
   *  a rotation leaves room for as many again. About 7 days of hourly values. */
  KEEP = 49152,
  /** Bytes of a record around its body: length, CRC, marks. */
  FRAME = 10,
  ERASED = 255,
  /** Kept messages' packet identifiers are 0x8000 up, clear of the client's own (./inflight.ts). Two messages in
   *  flight at once share one once in 32,768: the broker then takes the second for the first again, and it goes
   *  once the first is through, on the next connection. */
  IDS = 32768,
}

function hex4(n: number): string {
  return (n + 65536).toString(16).substr(1);
}

/** A record of `body`, its mark left erased (not written). */
function record(body: string): string {
  const head = hex4(body.length) + body;
  return head + hex4(crc16x25(toBytes(head), 0, head.length));
}

/** The body length of the record at `at`, or -1 where none can start (erased, not a length, past the end). */
function bodyAt(t: string, at: number): number {
  const n = at + Ring.FRAME <= t.length && t.charCodeAt(at) !== Ring.ERASED ? parseInt(t.substr(at, 4), 16) : -1;
  return n >= 0 && at + n + Ring.FRAME <= t.length ? n : -1;
}

/** Whether the record at `at` (body length n) is whole: its CRC holds. */
function sound(t: string, at: number, n: number): boolean {
  return record(t.substr(at + 4, n)) === t.substr(at, n + 8);
}

/** Whether the record at `at` (body length n) is a message not yet delivered. */
function pending(t: string, at: number, n: number): boolean {
  return t.charAt(at + 4) !== "#" && t.charCodeAt(at + n + 9) === Ring.ERASED;
}

export function keptRing(flash: RingFlash): KeptStore {
  /** Generation of the file in charge (0: none yet, and an empty stretch of the first name), its name, where the
   *  next record goes, the next to hand out. */
  let gen = 0;
  let file = Ring.NAME + "0";
  let end = 0;
  let pos = 0;
  /** The file in charge cannot take a record at `end` (no file, or a torn write there). */
  let dirty = true;
  /** Where the file's last message record starts, or -1. */
  let tail = -1;
  /** Messages handed out and not yet done, and where their first marks are. */
  const outMsg: OutMessage[] = [];
  let outAt: number[] = [];
  /** Starts the next generation's file with the records not yet delivered, the oldest beyond Ring.KEEP (with
   *  `need` bytes to come) dropped; returns how many were. Nothing of the ring's state changes unless the new file
   *  is complete. */
  const rotate = function (need: number): number {
    const t = flash.readStore(file) || "";
    let excess = need - Ring.KEEP;
    let at: number;
    let n: number;
    for (at = 0; at < end; at += n + Ring.FRAME) {
      n = bodyAt(t, at);
      if (pending(t, at, n)) excess += n + Ring.FRAME;
    }
    const g = gen + 1;
    const name = Ring.NAME + (g & 1);
    const moved = outAt.slice();
    let w = 0;
    let next = -1;
    let dropped = 0;
    for (at = 0; at < end; at += n + Ring.FRAME) {
      n = bodyAt(t, at);
      const mark = at + n + 8;
      const i = moved.indexOf(mark);
      if (!pending(t, at, n)) continue;
      if (excess > 0) {
        excess -= n + Ring.FRAME;
        dropped++;
        if (i >= 0) moved[i] = -1;
      } else {
        // Copied as they are: checking each CRC here would cost a week's worth of them in one go (some 20 s on
        // the ESP32, the watchdog's limit); next() checks each as it hands it out. The first write makes the file.
        if (at >= pos && next < 0) next = w;
        flash.writeStore(name, t.substr(at, n + 9), w, Ring.FILE);
        if (i >= 0) moved[i] = w + n + 8;
        w += n + Ring.FRAME;
      }
    }
    const commit = record("#" + g);
    flash.writeStore(name, commit, w, Ring.FILE);
    w += commit.length + 2;
    gen = g;
    file = name;
    end = w;
    pos = next < 0 ? w : next;
    dirty = false;
    tail = -1;
    outAt = moved;
    return dropped;
  };
  /** Clears mark `k` (0: the broker has it, 1: delivered) of a message handed out; `forget` when it is done. */
  const clear = function (msg: OutMessage, k: number, forget: boolean): void {
    const i = outMsg.indexOf(msg);
    if (i < 0) return;
    const at = outAt[i];
    if (forget) {
      outMsg.splice(i, 1);
      outAt.splice(i, 1);
    }
    try {
      if (at >= 0) flash.writeStore(file, "\x00", at + k);
    } catch (e) {
      // A mark that did not land: after a restart the message goes out again under its identifier, or its
      // release does, and the broker, which knows it by that, delivers it once.
    }
  };
  const ring: KeptStore = {
    dropped: 0,
    add (msg) {
      const r = record(hex4(msg.topic.length) + (msg.qos + (msg.retain ? 4 : 0)) + msg.topic + msg.payload);
      try {
        // The message the file ends with, kept again after a restart (Publisher.keepLast), is not kept twice.
        if (tail >= 0 && (flash.readStore(file) || "").substr(tail, r.length) === r) return;
        if (dirty || end + r.length + 2 > Ring.FILE) ring.dropped += rotate(r.length + 2);
        flash.writeStore(file, r, end);
        tail = end;
        end += r.length + 2;
      } catch (e) {
        // What a refused or torn write left at `end` is not to be written over: the next record starts a new file.
        dirty = true;
        ring.dropped++;
      }
    },
    next () {
      const t = flash.readStore(file) || "";
      while (pos < end) {
        const at = pos;
        const n = bodyAt(t, at);
        pos = at + n + Ring.FRAME;
        if (pending(t, at, n)) {
          if (sound(t, at, n)) {
            const body = t.substr(at + 4, n);
            const topicEnd = 5 + parseInt(body.substr(0, 4), 16);
            const flags = body.charCodeAt(4) - 48;
            const msg: OutMessage = { topic: body.substring(5, topicEnd), payload: body.substr(topicEnd),
              qos: flags & 3, retain: flags > 3, keep: true, id: parseInt(t.substr(pos - 6, 4), 16) | Ring.IDS,
              rel: t.charCodeAt(pos - 2) !== Ring.ERASED };
            outMsg.push(msg);
            outAt.push(pos - 2);
            return msg;
          }
          ring.dropped++;
        }
      }
      return null;
    },
    received (msg) {
      clear(msg, 0, false);
    },
    done (msg) {
      clear(msg, 1, true);
    },
  };

  // The file in charge: the newest with its generation record. A torn last record ends it there, and the next
  // record goes into a new file. Only the last record can be torn, so only its CRC is checked here; every record
  // handed out is.
  for (let i = 0; i < 2; i++) {
    const name = Ring.NAME + i;
    const t = flash.readStore(name) || "";
    let at = 0;
    let last = -1;
    let g = 0;
    let named = -1;
    let message = -1;
    for (let n = bodyAt(t, 0); n >= 0; n = bodyAt(t, at)) {
      if (t.charAt(at + 4) !== "#") {
        message = at;
      } else if (named < 0) {
        named = at;
        g = parseInt(t.substr(at + 5, n - 1), 10);
      }
      last = at;
      at += n + Ring.FRAME;
    }
    let clean = at >= t.length || t.charCodeAt(at) === Ring.ERASED;
    if (last >= 0 && !sound(t, last, bodyAt(t, last))) {
      if (named === last) g = 0;
      at = last;
      clean = false;
    }
    if (!(g > gen)) continue;
    gen = g;
    file = name;
    end = at;
    pos = 0;
    dirty = !clean;
    tail = message;
  }
  return ring;
}
