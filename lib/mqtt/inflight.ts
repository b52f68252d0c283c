// The QoS 1 and 2 window: PUBLISH packets sent and not yet acknowledged, each under its packet identifier. The
// window is bounded; a PUBACK (PUBCOMP) frees a slot, and after a reconnect the client sends every held message
// again with DUP set and the same identifier, or its PUBREL once the broker has it (3.1.1 section 4.4).
import type { OutMessage } from "./queue";

/** The window gives out identifiers 1..LAST_WINDOW_ID; the client keeps the next two for its own packets, and
 *  kept messages bring their own from 0x8000 up (./kept-ring.ts). */
export const LAST_WINDOW_ID = 0x7ffd;

export class Inflight {
  // Two parallel arrays rather than an object per entry: each object costs variables on the device.
  private ids: number[] = [];
  private messages: OutMessage[] = [];
  private lastId = 0;

  constructor(private readonly max: number) {}

  size(): number {
    return this.ids.length;
  }

  full(): boolean {
    return this.ids.length >= this.max;
  }

  /** Holds msg under its own identifier, or a free one, which it returns. */
  add(msg: OutMessage): number {
    let id = msg.id || 0;
    if (!id) {
      id = this.lastId;
      do {
        id = id >= LAST_WINDOW_ID ? 1 : id + 1;
      } while (this.ids.indexOf(id) >= 0);
      this.lastId = id;
    }
    this.ids.push(id);
    this.messages.push(msg);
    return id;
  }

  /** The message held under an identifier, or undefined. */
  get(id: number): OutMessage | undefined {
    return this.messages[this.ids.indexOf(id)];
  }

  /** Frees the slot of an acknowledged identifier; returns its message, or null for an unknown identifier. */
  release(id: number): OutMessage | null {
    const i = this.ids.indexOf(id);
    if (i < 0) return null;
    this.ids.splice(i, 1);
    return this.messages.splice(i, 1)[0];
  }

  forEach(fn: (id: number, msg: OutMessage) => void): void {
    for (let i = 0; i < this.ids.length; i++) fn(this.ids[i], this.messages[i]);
  }
}
