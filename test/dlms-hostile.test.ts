// 100,000 hostile inputs each for the ciphering and block-transfer parsers (lib/dlms/ciphering.ts,
// block-transfer.ts, through createUnwrap): valid APDUs mutated (bits flipped, truncated, lengths and block numbers
// rewritten, bytes inserted) and random bytes behind each tag. Nothing may throw, every refusal is counted, and no
// reassembled APDU exceeds the bound, however the block numbers run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createUnwrap, UnwrapCounters } from "../lib/dlms/unwrap";
import type { DecoderCounters } from "../lib/han-decoder";
import { nodeBlockCipher } from "../scripts/node-aes";
import { cipheredApdu, blockTransfer } from "../scripts/sim/secure-writer";
import { rng } from "./support/prng";

const ROUNDS = 100000;
const KEY = new Uint8Array(16).fill(7);
const AUTH = new Uint8Array(16).fill(9);
const TITLE = new Uint8Array([0x4b, 0x46, 0x4d, 1, 2, 3, 4, 5]);

function zeroCounters(): DecoderCounters & UnwrapCounters {
  return { bytes_in: 0, frames_ok: 0, hcs_errors: 0, fcs_errors: 0, length_errors: 0, bytes_dropped: 0, oversize_frames: 0,
    readings: 0, unknown_layouts: 0, decode_errors: 0, unsupported: 0 } as DecoderCounters & UnwrapCounters;
}

function mutate(r: ReturnType<typeof rng>, base: Uint8Array): Uint8Array {
  let b: Uint8Array = base.slice();
  switch (r.int(6)) {
    case 0: b[r.int(b.length)] ^= 1 << r.int(8); break;
    case 1: b = b.subarray(0, 1 + r.int(b.length)); break;
    case 2: b[1 + r.int(Math.min(12, b.length - 1))] = r.int(256); break;
    case 3: {
      const out = new Uint8Array(b.length + 1 + r.int(40));
      out.set(b);
      for (let i = b.length; i < out.length; i++) out[i] = r.int(256);
      b = out;
      break;
    }
    case 4: {
      b = new Uint8Array(1 + r.int(300));
      for (let i = 0; i < b.length; i++) b[i] = r.int(256);
      break;
    }
    default: {
      // Lengths in the long forms, pointing anywhere.
      const at = 1 + r.int(Math.min(12, b.length - 1));
      b[at] = 0x80 | r.int(6);
    }
  }
  if (b.length > 0) b[0] = base[0];
  return b;
}

test(`${ROUNDS} hostile ciphered APDUs: no throw, every refusal counted, no plaintext from a wrong tag`, () => {
  const r = rng(1);
  const plain = new Uint8Array(180).fill(0x11);
  plain[0] = 0x0f;
  const valid = [0x30, 0x20, 0x10].map((control, i) =>
    cipheredApdu(plain, { key: KEY, authKey: AUTH, systemTitle: TITLE, counter: 1000 + i, control, dedicated: i === 1 }));
  const refused: string[] = [];
  let opened = 0;
  let held = 0;
  for (const authKey of [AUTH, null]) {
    const counters = zeroCounters();
    const refusedBefore = refused.length;
    const unwrap = createUnwrap({ key: KEY, authKey, cipher: nodeBlockCipher(KEY), onRefused: (why) => refused.push(why) });
    for (let i = 0; i < ROUNDS / 2; i++) {
      const base = valid[r.int(valid.length)];
      const input = mutate(r, base);
      const before = refused.length;
      const out = unwrap(input, 0, counters);
      if (out) {
        opened++;
        // With the authentication key only genuine plaintext comes out.
        if (authKey) assert.equal(Buffer.from(out).toString("hex"), Buffer.from(plain).toString("hex"));
      } else if (refused.length === before) {
        // Without a tag, a plaintext that happens to start like a block transfer waits as one (bounded).
        assert.equal(authKey, null, "held only when nothing authenticates");
        held++;
      } else {
        assert.equal(refused.length, before + 1, "one refusal reported");
      }
    }
    const c = counters;
    // A plaintext taken for a block transfer is refused as one.
    assert.equal(c.decode_errors + c.decrypt_errors + c.replays + c.no_key + c.blocks_lost + c.blocks_out_of_order +
      c.oversize_frames, refused.length - refusedBefore,
      "each refusal counted once");
  }
  assert.ok(opened > 0);
  assert.ok(held < ROUNDS / 100, "held " + held);
  assert.ok(refused.length > ROUNDS * 0.9);
});

test(`${ROUNDS} hostile block-transfer blocks: no throw, every APDU within the bound`, () => {
  const r = rng(2);
  const apdu = new Uint8Array(900).fill(0x22);
  apdu[0] = 0x0f;
  const blocks = blockTransfer(apdu, 64);
  const max = 1000;
  let now = 0;
  const counters = zeroCounters();
  let refusals = 0;
  let whole = 0;
  let k = 0;
  const unwrap = createUnwrap({ key: null, authKey: null, maxBlockTransfer: max, now: () => now,
    onRefused: () => { refusals++; } });
  for (let i = 0; i < ROUNDS; i++) {
    now += r.int(20) === 0 ? 20000 : r.int(100);
    // Mostly the next block, as a line delivers them; sometimes any.
    k = r.int(4) === 0 ? r.int(blocks.length) : (k + 1) % blocks.length;
    const block = r.int(3) === 0 ? mutate(r, blocks[k]) : blocks[k].slice();
    // Block numbers anywhere, including 0 and 65535.
    if (r.int(4) === 0 && block.length > 3) {
      block[2] = r.int(256);
      block[3] = r.int(256);
    }
    const out = unwrap(block, 0, counters);
    if (out) {
      whole++;
      assert.ok(out.length <= max, "bounded: " + out.length);
    }
  }
  const c = counters;
  assert.ok(whole > 0, "some messages complete: " + JSON.stringify(c));
  assert.ok(c.blocks_lost > 0 && c.blocks_duplicated > 0 && c.blocks_out_of_order > 0 && c.decode_errors > 0, JSON.stringify(c));
  assert.ok(refusals > 0);
});
