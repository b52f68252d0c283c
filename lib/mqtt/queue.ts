// The offline queue: messages published while the connection is down (or the QoS 1 window is full), sent in order
// once it is back. It is bounded. When full, the oldest droppable message (a fast reading that the next one will
// replace) goes first; a message marked `keep` (an hourly energy value) is never dropped to make room for a
// droppable one, and only gives way to a newer kept message when the queue holds nothing else.

export interface OutMessage {
  topic: string;
  /** Bytes (UTF-8). */
  payload: string;
  qos: number;
  retain: boolean;
  keep: boolean;
}

/** Where kept messages live across restarts (flash on the device): given to the client, which loads them once and
 *  saves the list whenever the set of kept messages not yet delivered changes. */
export interface KeptStore {
  load(): OutMessage[];
  save(kept: OutMessage[]): void;
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

  /** Appends the kept messages, oldest first, to out. */
  collectKept(out: OutMessage[]): void {
    for (let i = 0; i < this.items.length; i++) {
      if (this.items[i].keep) out.push(this.items[i]);
    }
  }

  private oldestDroppable(): number {
    for (let i = 0; i < this.items.length; i++) {
      if (!this.items[i].keep) return i;
    }
    return -1;
  }
}
