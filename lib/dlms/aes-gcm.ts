// AES-128-GCM decryption and tag check (NIST SP 800-38D) over a block cipher the platform supplies: Espruino has
// AES in ECB and CTR mode but no GCM, and its CTR ignores the IV (han-spec.md 3.2), so the counter blocks are built
// here and encrypted with ECB, and GHASH is done in JavaScript. No BigInt and no 64-bit arithmetic: the 128-bit
// values are four 32-bit words, most significant first, and every operation on them stays within 32 bits.

/** AES-128 encryption with the key, ECB: each 16-byte block of the input on its own, the output as long as the
 *  input. gcmOpen hands it all the blocks a message needs at once, so that the device pays one native call. */
export type BlockCipher = (block: Uint8Array) => Uint8Array;

/** The 16 reductions of the four bits that a 4-bit shift moves out of the low end (x^128 = x^7 + x^2 + x + 1,
 *  bit-reflected: 0xE1 at the top), in the top 16 bits of a word. */
function reductions(): Int32Array {
  const r = new Int32Array(16);
  for (let i = 0; i < 16; i++) {
    for (let k = 0; k < 4; k++) if (i & (1 << k)) r[i] ^= (0xe100 >> (3 - k)) << 16;
  }
  return r;
}

/** y = y * H in GF(2^128), four bits at a time (Shoup's method): m holds n * H for every nibble n, word by word.
 *  Written for the interpreter, where every statement costs: counting loops down, variables hoisted. */
function multiply(y: Int32Array, m: Int32Array, r: Int32Array): void {
  let z0 = 0, z1 = 0, z2 = 0, z3 = 0, w = 4, word = 0, rem = 0, n = 0;
  while (w--) {
    word = y[w];
    // The word's nibbles from its low end: the last byte's low nibble is the highest power of x.
    for (let k = 8; k--;) {
      rem = z3 & 15;
      z3 = z3 >>> 4 | z2 << 28;
      z2 = z2 >>> 4 | z1 << 28;
      z1 = z1 >>> 4 | z0 << 28;
      z0 = z0 >>> 4 ^ r[rem];
      n = (word & 15) << 2;
      word >>= 4;
      z0 ^= m[n];
      z1 ^= m[n + 1];
      z2 ^= m[n + 2];
      z3 ^= m[n + 3];
    }
  }
  y[0] = z0;
  y[1] = z1;
  y[2] = z2;
  y[3] = z3;
}

function word(b: Uint8Array, i: number): number {
  return b[i] << 24 | b[i + 1] << 16 | b[i + 2] << 8 | b[i + 3];
}

/** Absorbs bytes into the GHASH state y, zero-padded to whole blocks. */
function absorb(y: Int32Array, m: Int32Array, r: Int32Array, bytes: Uint8Array): void {
  const pad = new Uint8Array(16);
  for (let at = 0; at < bytes.length; at += 16) {
    let b = bytes;
    let i = at;
    if (at + 16 > bytes.length) {
      pad.set(bytes.subarray(at));
      b = pad;
      i = 0;
    }
    y[0] ^= b[i] << 24 | b[i + 1] << 16 | b[i + 2] << 8 | b[i + 3];
    y[1] ^= b[i + 4] << 24 | b[i + 5] << 16 | b[i + 6] << 8 | b[i + 7];
    y[2] ^= b[i + 8] << 24 | b[i + 9] << 16 | b[i + 10] << 8 | b[i + 11];
    y[3] ^= b[i + 12] << 24 | b[i + 13] << 16 | b[i + 14] << 8 | b[i + 15];
    multiply(y, m, r);
  }
}

/** GHASH_H(aad, data) with H = ks[0..16). */
function ghash(ks: Uint8Array, aad: Uint8Array, data: Uint8Array): Int32Array {
  // n * H for each nibble n: H at 8 (the nibble's first bit is x^0), H*x at 4, H*x^2 at 2, H*x^3 at 1, sums between.
  const m = new Int32Array(64);
  let v0 = word(ks, 0), v1 = word(ks, 4), v2 = word(ks, 8), v3 = word(ks, 12);
  for (let i = 8; i > 0; i >>= 1) {
    m[4 * i] = v0;
    m[4 * i + 1] = v1;
    m[4 * i + 2] = v2;
    m[4 * i + 3] = v3;
    const carry = v3 & 1;
    v3 = v3 >>> 1 | v2 << 31;
    v2 = v2 >>> 1 | v1 << 31;
    v1 = v1 >>> 1 | v0 << 31;
    v0 = v0 >>> 1 ^ (-carry & 0xe1000000);
  }
  for (let i = 2; i < 16; i <<= 1) {
    for (let j = 1; j < i; j++) {
      for (let w = 0; w < 4; w++) m[4 * (i + j) + w] = m[4 * i + w] ^ m[4 * j + w];
    }
  }
  const r = reductions();
  const y = new Int32Array(4);
  absorb(y, m, r, aad);
  absorb(y, m, r, data);
  // The lengths in bits, 64 bits each: messages here are far below 2^29 bytes.
  y[1] ^= aad.length * 8;
  y[3] ^= data.length * 8;
  multiply(y, m, r);
  return y;
}

/** Decrypts `data` and checks `tag` (its first bytes, 12 to 16 of them; null: no check, as for DLMS frames sent
 *  encrypted only). The plaintext, or null when the tag does not match. iv is 12 bytes. */
export function gcmOpen(encrypt: BlockCipher, iv: Uint8Array, aad: Uint8Array, data: Uint8Array,
  tag: Uint8Array | null): Uint8Array | null {
  if (iv.length !== 12) throw new Error("GCM: iv must be 12 bytes, got " + iv.length);
  if (tag && (tag.length < 12 || tag.length > 16)) return null;
  // Block 0 is zero (its encryption is H), block 1 the counter block J0 = iv || 1, then iv || 2, iv || 3, ...
  // for the keystream. Without a tag the first two are not needed.
  const skip = tag ? 2 : 0;
  const n = (data.length + 15) >> 4;
  const blocks = new Uint8Array(16 * (n + skip));
  for (let i = tag ? 1 : 0; i < n + skip; i++) {
    const at = 16 * i;
    const count = i + 2 - skip;
    blocks.set(iv, at);
    blocks[at + 14] = count >> 8;
    blocks[at + 15] = count & 255;
    blocks[at + 13] = count >> 16;
  }
  const ks = encrypt(blocks);
  const out = new Uint8Array(data.length);
  const from = 16 * skip;
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ ks[from + i];
  if (!tag) return out;
  const s = ghash(ks, aad, data);
  let diff = 0;
  for (let i = 0; i < tag.length; i++) diff |= tag[i] ^ ks[16 + i] ^ (s[i >> 2] >> (24 - 8 * (i & 3))) & 255;
  return diff === 0 ? out : null;
}
