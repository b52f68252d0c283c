// UTF-8 between JS strings and binary strings (one byte per char). MQTT text is UTF-8 on the wire. On the ESP32
// build strings are 8-bit, so there a text char is a Latin-1 code point; device topics and ids are ASCII, which
// both directions return unchanged without building a new string.

/** True when every char of s in [start, end) is below 0x80. */
function isAscii(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (s.charCodeAt(i) > 0x7f) return false;
  }
  return true;
}

/** The UTF-8 bytes of text. A lone surrogate becomes U+FFFD. */
export function utf8Encode(text: string): string {
  const n = text.length;
  if (isAscii(text, 0, n)) return text;
  let out = "";
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out += text.charAt(i);
    } else if (c < 0x800) {
      out += String.fromCharCode(0xc0 | c >> 6, 0x80 | c & 63);
    } else {
      if (c >= 0xd800 && c < 0xe000) {
        const low = i + 1 < n ? text.charCodeAt(i + 1) : 0;
        if (c < 0xdc00 && low >= 0xdc00 && low < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
          out += String.fromCharCode(0xf0 | c >> 18, 0x80 | c >> 12 & 63, 0x80 | c >> 6 & 63, 0x80 | c & 63);
          continue;
        }
        c = 0xfffd;
      }
      out += String.fromCharCode(0xe0 | c >> 12, 0x80 | c >> 6 & 63, 0x80 | c & 63);
    }
  }
  return out;
}

/** Text from the UTF-8 bytes in bytes[start, end); null when they are ill-formed (overlong forms, surrogates, code
 *  points above U+10FFFF, truncated sequences) or hold U+0000, which MQTT forbids in strings (3.1.1 section 1.5.3). */
export function utf8Decode(bytes: string, start: number, end: number): string | null {
  let plain = true;
  for (let i = start; i < end; i++) {
    const b = bytes.charCodeAt(i);
    if (b === 0) return null;
    if (b > 0x7f) plain = false;
  }
  if (plain) return bytes.substring(start, end);
  let out = "";
  let i = start;
  while (i < end) {
    const b = bytes.charCodeAt(i);
    if (b < 0x80) {
      out += bytes.charAt(i++);
      continue;
    }
    const extra = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0;
    if (extra === 0 || b > 0xf4 || i + extra >= end) return null;
    let c = b & 0x3f >> extra;
    for (let k = 1; k <= extra; k++) {
      const next = bytes.charCodeAt(i + k);
      if ((next & 0xc0) !== 0x80) return null;
      c = c << 6 | next & 63;
    }
    const min = extra === 1 ? 0x80 : extra === 2 ? 0x800 : 0x10000;
    if (c < min || c > 0x10ffff || c >= 0xd800 && c < 0xe000) return null;
    if (c >= 0x10000) {
      c -= 0x10000;
      out += String.fromCharCode(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
    } else {
      out += String.fromCharCode(c);
    }
    i += extra + 1;
  }
  return out;
}
