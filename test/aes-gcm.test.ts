// gcmOpen (lib/dlms/aes-gcm.ts) against the AES-128 test cases of the GCM specification (McGrew and Viega, "The
// Galois/Counter Mode of Operation", test cases 1-4, as NIST's GCM validation also lists them), the DLMS Green
// Book's example, and Node's own AES-GCM on random messages of every length around the block boundaries.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createCipheriv, randomBytes } from "node:crypto";
import { gcmOpen } from "../lib/dlms/aes-gcm";
import { nodeBlockCipher } from "../scripts/node-aes";
import { fromHex, toHex } from "../lib/bytes";

interface Case { name: string; key: string; iv: string; aad: string; plain: string; cipher: string; tag: string }

const K3 = "feffe9928665731c6d6a8f9467308308";
const IV3 = "cafebabefacedbaddecaf888";
const P3 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
const C3 = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985";

const CASES: Case[] = [
  { name: "test case 1 (nothing to encrypt)", key: "00000000000000000000000000000000", iv: "000000000000000000000000",
    aad: "", plain: "", cipher: "", tag: "58e2fccefa7e3061367f1d57a4e7455a" },
  { name: "test case 2 (one zero block)", key: "00000000000000000000000000000000", iv: "000000000000000000000000",
    aad: "", plain: "00000000000000000000000000000000", cipher: "0388dace60b6a392f328c2b971b2fe78",
    tag: "ab6e47d42cec13bdf53a67b21257bddf" },
  { name: "test case 3 (four blocks)", key: K3, iv: IV3, aad: "", plain: P3, cipher: C3, tag: "4d5c2af327cd64a62cf35abd2ba6fab4" },
  { name: "test case 4 (partial block, with AAD)", key: K3, iv: IV3, aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    plain: P3.slice(0, 120), cipher: C3.slice(0, 120), tag: "5bc94fbc3221a5db94fae95ae7121a47" },
  // Green Book: EK 00..0F, AK D0..DF, system title 4D4D4D0000BC614E, IC 01234567, SC 30, AAD = SC || AK.
  { name: "the Green Book's authenticated encryption", key: "000102030405060708090a0b0c0d0e0f",
    iv: "4d4d4d0000bc614e01234567", aad: "30d0d1d2d3d4d5d6d7d8d9dadbdcdddedf", plain: "c0010000080000010000ff0200",
    cipher: "411312ff935a47566827c467bc", tag: "7d825c3be4a77c3fcc056b6b" },
];

function open(c: Case, tag: string | null, cipher?: string): Uint8Array | null {
  return gcmOpen(nodeBlockCipher(fromHex(c.key)), fromHex(c.iv), fromHex(c.aad), fromHex(cipher ?? c.cipher),
    tag === null ? null : fromHex(tag));
}

for (const c of CASES) {
  test(`GCM ${c.name}: decrypts, and the tag holds in full and cut to 12 bytes`, () => {
    assert.equal(toHex(open(c, c.tag) as Uint8Array), c.plain);
    assert.equal(toHex(open(c, c.tag.slice(0, 24)) as Uint8Array), c.plain);
    assert.equal(toHex(open(c, null) as Uint8Array), c.plain, "without a tag: decryption alone");
  });

  test(`GCM ${c.name}: any flipped bit of the tag, the ciphertext or the AAD is refused`, () => {
    const tag = fromHex(c.tag);
    for (let bit = 0; bit < 8 * tag.length; bit += 7) {
      const bad = tag.slice();
      bad[bit >> 3] ^= 1 << (bit & 7);
      assert.equal(open(c, toHex(bad)), null, "tag bit " + bit);
    }
    if (c.cipher.length > 0) {
      const bad = fromHex(c.cipher);
      bad[bad.length - 1] ^= 0x80;
      assert.equal(open(c, c.tag, toHex(bad)), null, "ciphertext");
    }
    if (c.aad.length > 0) {
      const aad = fromHex(c.aad);
      aad[0] ^= 1;
      assert.equal(gcmOpen(nodeBlockCipher(fromHex(c.key)), fromHex(c.iv), aad, fromHex(c.cipher), fromHex(c.tag)), null);
    }
  });
}

test("GCM agrees with Node's AES-128-GCM on random messages of 0 to 80 bytes and AAD of 0 to 40", () => {
  for (let n = 0; n <= 80; n++) {
    const key = randomBytes(16), iv = randomBytes(12), aad = randomBytes(n % 41), plain = randomBytes(n);
    const gcm = createCipheriv("aes-128-gcm", key, iv);
    gcm.setAAD(aad);
    const cipher = Buffer.concat([gcm.update(plain), gcm.final()]);
    const tag = gcm.getAuthTag();
    const got = gcmOpen(nodeBlockCipher(key), iv, aad, cipher, tag);
    assert.ok(got, "length " + n);
    assert.equal(Buffer.from(got).toString("hex"), plain.toString("hex"), "length " + n);
  }
});

test("GCM refuses tags shorter than 12 or longer than 16 bytes, and an IV other than 12 bytes", () => {
  const c = CASES[2];
  assert.equal(open(c, c.tag.slice(0, 22)), null, "11 bytes");
  assert.equal(open(c, c.tag + "00"), null, "17 bytes");
  assert.throws(() => gcmOpen(nodeBlockCipher(fromHex(c.key)), new Uint8Array(16), new Uint8Array(0), new Uint8Array(0), null),
    /iv must be 12 bytes, got 16/);
});

test("GCM asks the block cipher once per message, with every block it needs", () => {
  const c = CASES[2];
  const calls: number[] = [];
  const inner = nodeBlockCipher(fromHex(c.key));
  gcmOpen((b) => { calls.push(b.length); return inner(b); }, fromHex(c.iv), new Uint8Array(0), fromHex(c.cipher), fromHex(c.tag));
  // H, J0 and four keystream blocks.
  assert.deepEqual(calls, [6 * 16]);
});
