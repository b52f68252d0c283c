// General block transfer (APDU 0xE0, han-spec.md 2.3, Green Book 9.2.6.5), as a meter pushes a long APDU:
//   E0 | control (bit 7 last block, bit 6 streaming, bits 0-5 window) | block number (2) | acknowledged (2) |
//   length | data
// The blocks' data, in block-number order from block 1 to the last, make the APDU. A serial line does not reorder,
// so a gap means blocks were lost: the message is dropped, counted, and the next block 1 starts anew.
import { cursor, axdrLength } from "./axdr";

export interface BlockCounters {
  decode_errors: number;
  oversize_frames: number;
  blocks_lost: number;
  blocks_out_of_order: number;
  blocks_duplicated: number;
}

export interface BlockOptions {
  /** Largest reassembled APDU, bytes. */
  maxBytes: number;
  /** Longest wait for the next block, ms; a message whose next block comes later is dropped as incomplete. */
  timeoutMs: number;
  now: () => number;
}

/** The APDU once its last block is in, null while blocks are awaited (or a duplicate came), or why a block or
 *  the message was dropped (counted in `counters`). */
export type Reassemble = (apdu: Uint8Array, counters: BlockCounters) => Uint8Array | string | null;

export function reassembler(o: BlockOptions): Reassemble {
  /** The data so far; grows by each block, so that memory follows the message rather than the maximum. */
  let data: Uint8Array | null = null;
  /** The block number awaited: 0 when none (block 1 starts a message), -1 while the rest of a dropped message
   *  passes. */
  let next = 0;
  let at = 0;
  return function (apdu, counters) {
    const c = cursor(apdu, 6, apdu.length);
    let length = -1;
    try {
      if (apdu.length >= 7) length = axdrLength(c);
    } catch (e) {
      length = -1;
    }
    const n = apdu[2] * 256 + apdu[3];
    if (length < 0 || c.pos + length > apdu.length || n === 0) {
      counters.decode_errors++;
      return "block transfer: malformed block";
    }
    const last = (apdu[1] & 0x80) !== 0;
    const now = o.now();
    let why: string | null = null;
    if (next > 0 && now - at > o.timeoutMs) {
      counters.blocks_lost++;
      why = "block transfer: block " + next + " did not come within " + o.timeoutMs + " ms; message dropped";
      next = -1;
    }
    at = now;
    if (n === 1) {
      if (next > 1) {
        counters.blocks_lost++;
        why = "block transfer: a new message began before block " + next + "; the last one dropped";
      }
      data = null;
      next = 1;
    } else if (next > 0 && n < next) {
      if (n === next - 1) counters.blocks_duplicated++;
      else counters.blocks_out_of_order++;
      return n === next - 1 ? null : "block transfer: block " + n + " after block " + (next - 1) + "; ignored";
    } else if (next !== n) {
      // Blocks before this one went missing: the message cannot be whole. The rest of it passes unreported.
      if (next >= 0) {
        counters.blocks_lost++;
        why = "block transfer: blocks " + Math.max(next, 1) + " to " + (n - 1) + " lost; message dropped";
      }
      data = null;
      next = last ? 0 : -1;
      return why;
    }
    const size = (data ? data.length : 0) + length;
    if (size > o.maxBytes) {
      counters.oversize_frames++;
      data = null;
      next = last ? 0 : -1;
      return "block transfer: message longer than " + o.maxBytes + " bytes; dropped";
    }
    const joined = new Uint8Array(size);
    if (data) joined.set(data, 0);
    joined.set(apdu.subarray(c.pos, c.pos + length), size - length);
    if (last) {
      data = null;
      next = 0;
      return joined;
    }
    data = joined;
    next = n + 1;
    return why;
  };
}
