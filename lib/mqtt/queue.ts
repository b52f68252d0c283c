// The offline queue: messages published while the connection is down (or the QoS 1 window is full), sent in order
// once it is back. It is bounded. When full, the oldest droppable message (a fast reading that the next one will
// replace) goes first; a message marked `keep` (an hourly energy value) is never dropped to make room for a
// droppable one, and only gives way to a newer kept message when the queue holds nothing else. A client given a
// KeptStore (the device's) keeps such messages there instead, in flash.

export interface OutMessage {
  topic: string;
  /** Bytes (UTF-8). */
  payload: string;
  qos: number;
  retain: boolean;
  keep: boolean;
  /** The packet identifier a kept message was given in flash, which it keeps across restarts. */
  id?: number;
  /** At QoS 2, the broker has it (PUBREC): what goes again is the release (PUBREL), not the message. */
  rel?: boolean;
}

/** Where kept messages live until the broker has them, across restarts and power cuts (flash on the device:
 *  ./kept-ring.ts). With one, the client keeps no kept message in the offline queue: it adds each to the store and
 *  sends what the store hands out while connected. */
export interface KeptStore {
  /** Kept messages lost: the store was full (the oldest go first) or the flash refused them. */
  dropped: number;
  /** Keeps msg (its topic, payload, qos and retain) until done(). */
  add(msg: OutMessage): void;
  /** The oldest kept message not handed out since start, or null. */
  next(): OutMessage | null;
  /** A message from next() at QoS 2 is with the broker (PUBREC): after a restart only its release goes again. */
  received(msg: OutMessage): void;
  /** A message from next() is delivered (PUBACK or PUBCOMP, or written out at QoS 0): it is not sent again. */
  done(msg: OutMessage): void;
}

export class OfflineQueue {
  /** Droppable messages dropped because the queue was full. */
  dropped = 0;
  /** Kept messages dropped because the queue was full of kept messages. */
  keptDropped = 0;
  private items: OutMessage[] = [];
  private readonly max: number;

  constructor(max: number) {
    this.max = Math.max(1, max);
  }

  size(): number {
    return this.items.length;
  }

  /** Adds msg; returns the message dropped to bound the queue (possibly msg itself), or null. */
  push(msg: OutMessage): OutMessage | null {
    let dropped: OutMessage | null = null;
    if (this.items.length >= this.max) {
      const i = this.oldestDroppable();
      if (i >= 0) {
        dropped = this.items.splice(i, 1)[0];
        this.dropped++;
      } else if (!msg.keep) {
        this.dropped++;
        return msg;
      } else {
        dropped = this.items.shift() as OutMessage;
        this.keptDropped++;
      }
    }
    this.items.push(msg);
    return dropped;
  }

  peek(): OutMessage | null {
    return this.items.length > 0 ? this.items[0] : null;
  }

  shift(): OutMessage | null {
    return this.items.length > 0 ? this.items.shift() as OutMessage : null;
  }

  private oldestDroppable(): number {
    for (let i = 0; i < this.items.length; i++) {
      if (!this.items[i].keep) return i;
    }
    return -1;
  }
}
