// general-glo-ciphering (0xDB) and general-ded-ciphering (0xDD) APDUs (han-spec.md 3.2, Green Book 9.2.7):
//   tag | system-title (octet string, 8) | length | SC | IC (4) | ciphertext | [tag 12]
// decrypted with AES-128-GCM, IV = system title || IC, AAD = SC || AK (authenticated encryption) or
// SC || AK || plaintext (authentication only). A frame counter that does not grow is a replay and is refused.
import { gcmOpen, BlockCipher } from "./aes-gcm";
import { cursor, axdrLength } from "./axdr";
import { toHex } from "../bytes";
import { APDU_DATA_NOTIFICATION, APDU_GENERAL_BLOCK_TRANSFER } from "./tags";

const enum Sc {
  Suite = 0x0f,
  Authenticated = 0x10,
  Encrypted = 0x20,
  Compressed = 0x80,
  TagLength = 12,
  /** System titles whose last frame counter is kept: one meter per port, and room for a few it may change to. */
  Titles = 4,
}

export interface DecipherCounters {
  decode_errors: number;
  decrypt_errors: number;
  no_key: number;
  replays: number;
}

export interface DecipherKeys {
  /** AES-128 under the encryption key (han.key); null when none is configured. */
  cipher: BlockCipher | null;
  /** The authentication key (han.authKey): when set, every APDU must carry a tag, and the tag must match. */
  authKey: Uint8Array | null;
}

/** The plaintext APDU of a ciphered one, or why it is refused (counted in `counters`). Keeps the last frame counter
 *  of each system title between calls, in memory only. */
export type Decipher = (apdu: Uint8Array, counters: DecipherCounters) => Uint8Array | string;

export function decipherer(keys: DecipherKeys): Decipher {
  const last: { [title: string]: number } = {};
  const titles: string[] = [];
  return function (apdu, counters) {
    const c = cursor(apdu, 1, apdu.length);
    let content = -1;
    try {
      if (axdrLength(c) === 8) {
        c.pos += 8;
        content = axdrLength(c);
      }
    } catch (e) {
      content = -1;
    }
    // SC and IC at least; the title's 8 bytes need not be there yet when its length is wrong.
    if (content < 5 || c.pos + content > apdu.length) {
      counters.decode_errors++;
      return "ciphered APDU: malformed system title or length";
    }
    const p = c.pos;
    const sc = apdu[p];
    const title = toHex(apdu, 2, 10);
    const counter = ((apdu[p + 1] * 256 + apdu[p + 2]) * 256 + apdu[p + 3]) * 256 + apdu[p + 4];
    const authenticated = (sc & Sc.Authenticated) !== 0;
    const encrypted = (sc & Sc.Encrypted) !== 0;
    const end = p + content - (authenticated ? Sc.TagLength : 0);
    let why: string | null = null;
    if (end < p + 5) {
      counters.decode_errors++;
      return "ciphered APDU: too short for its tag";
    }
    if (sc & Sc.Compressed || (sc & Sc.Suite) > 1) {
      why = "security control 0x" + sc.toString(16) + " not supported (suites 0 and 1, no compression)";
    } else if (keys.authKey && !authenticated) {
      why = "not authenticated (security control 0x" + sc.toString(16) + ") while han.authKey is set";
    }
    if (why) {
      counters.decrypt_errors++;
      return why;
    }
    if (!keys.cipher && (encrypted || authenticated && keys.authKey)) {
      counters.no_key++;
      return "encrypted APDU from " + title + ": no key (han.key)";
    }
    const known = last[title];
    if (known !== undefined && counter <= known) {
      counters.replays++;
      return "frame counter " + counter + " of " + title + " is not above the last, " + known + ": replayed";
    }
    const iv = new Uint8Array(12);
    iv.set(apdu.subarray(2, 10), 0);
    iv.set(apdu.subarray(p + 1, p + 5), 8);
    const body = apdu.subarray(p + 5, end);
    const check = authenticated && keys.authKey;
    let plain: Uint8Array | null = body;
    if (check || encrypted) {
      let aad = new Uint8Array(0);
      if (check) {
        aad = new Uint8Array(17 + (encrypted ? 0 : body.length));
        aad[0] = sc;
        aad.set(keys.authKey as Uint8Array, 1);
        if (!encrypted) aad.set(body, 17);
      }
      const opened = gcmOpen(keys.cipher as BlockCipher, iv, aad, encrypted ? body : body.subarray(0, 0),
        check ? apdu.subarray(end, p + content) : null);
      plain = opened && (encrypted ? opened : body);
    }
    // Without a tag, a wrong key shows as a plaintext that is no APDU: a Data-Notification, or a block of one.
    if (!plain || !check && plain[0] !== APDU_DATA_NOTIFICATION && plain[0] !== APDU_GENERAL_BLOCK_TRANSFER) {
      counters.decrypt_errors++;
      return check ? "wrong key or altered APDU from " + title + ": the authentication tag does not match" :
        "wrong key for " + title + ": the plaintext is not an APDU";
    }
    if (known === undefined) {
      titles.push(title);
      if (titles.length > Sc.Titles) delete last[titles.shift() as string];
    }
    last[title] = counter;
    return plain;
  };
}
