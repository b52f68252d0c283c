// A-XDR encoding of DLMS Data values (han-spec.md 3.3) and of the 12-byte COSEM date-time (3.4): the writing half
// of lib/dlms/axdr.ts, whose tag constants it shares. Used by the meter simulator, so every method checks its
// range and throws rather than emit a byte a real meter could not send.
import {
  T_NULL, T_ARRAY, T_STRUCTURE, T_BOOLEAN, T_BIT_STRING, T_INT32, T_UINT32, T_OCTET_STRING, T_VISIBLE_STRING,
  T_UTF8_STRING, T_BCD, T_INT8, T_INT16, T_UINT8, T_UINT16, T_INT64, T_UINT64, T_ENUM, T_FLOAT32, T_FLOAT64,
  T_DATE_TIME, T_DATE, T_TIME,
} from "../../lib/dlms/axdr";

/** The fields of a COSEM date-time; null means "not specified" (0xFFFF year, 0xFF fields, 0x8000 deviation). */
export interface DateTimeFields {
  year: number | null;
  month: number | null;
  day: number | null;
  /** 1 = Monday ... 7 = Sunday. */
  weekday: number | null;
  hour: number | null;
  minute: number | null;
  second: number | null;
  hundredths: number | null;
  /** Minutes, UTC = local + deviation (so -60 in CET). */
  deviation: number | null;
  /** clock_status; bit 7 = daylight saving active. */
  status: number | null;
}

const TWO_32 = 4294967296;
/** 2^53: the largest integer a JS number holds exactly, and the bound for the 64-bit types. */
const TWO_53 = 9007199254740992;

function checkInt(v: number, min: number, max: number, what: string): void {
  if (typeof v !== "number" || v !== Math.floor(v) || v < min || v > max) {
    throw new Error(what + " out of range [" + min + ", " + max + "]: " + v);
  }
}

function field(v: number | null, min: number, max: number, what: string): number {
  if (v === null) return 0xff;
  checkInt(v, min, max, what);
  return v;
}

function dateBytes(f: DateTimeFields, out: number[]): void {
  const year = f.year === null ? 0xffff : f.year;
  checkInt(year, 0, 0xffff, "year");
  out.push(year >> 8, year & 0xff);
  // 0xFD/0xFE in the day field mean "second last / last day of the month".
  const day = f.day === 0xfd || f.day === 0xfe ? f.day : field(f.day, 1, 31, "day");
  out.push(field(f.month, 1, 12, "month"), day, field(f.weekday, 1, 7, "weekday"));
}

function timeBytes(f: DateTimeFields, out: number[]): void {
  out.push(field(f.hour, 0, 23, "hour"), field(f.minute, 0, 59, "minute"), field(f.second, 0, 59, "second"),
    field(f.hundredths, 0, 99, "hundredths"));
}

/** The 12 bytes of a COSEM date-time. */
export function cosemDateTime(f: DateTimeFields): number[] {
  const out: number[] = [];
  dateBytes(f, out);
  timeBytes(f, out);
  let dev = 0x8000;
  if (f.deviation !== null) {
    checkInt(f.deviation, -720, 720, "deviation");
    dev = f.deviation & 0xffff;
  }
  out.push(dev >> 8, dev & 0xff, f.status === null ? 0xff : f.status);
  checkInt(out[11], 0, 0xff, "clock status");
  return out;
}

/** UTF-8 bytes of a string (no TextEncoder on Espruino). */
function utf8(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

/** Bytes of a string that carries one byte per char (ASCII, or binary such as Embriq's NUL padding). */
function latin1(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new Error("not a byte string: char " + c + " at " + i);
    out.push(c);
  }
  return out;
}

/** Appends tagged Data values; each method returns the writer so that a list reads as one chain. */
export class AxdrWriter {
  private out: number[];

  constructor() {
    this.out = [];
  }

  get length(): number {
    return this.out.length;
  }

  bytes(): Uint8Array {
    return new Uint8Array(this.out);
  }

  /** Untagged bytes: an already encoded value, or a header. */
  raw(bytes: ArrayLike<number>): AxdrWriter {
    // A Uint8Array holds bytes by construction; anything else is checked.
    const trusted = bytes instanceof Uint8Array;
    for (let i = 0; i < bytes.length; i++) {
      if (!trusted) checkInt(bytes[i], 0, 255, "byte");
      this.out.push(bytes[i]);
    }
    return this;
  }

  /** Everything another writer wrote. */
  append(other: AxdrWriter): AxdrWriter {
    const o = other.out;
    for (let i = 0; i < o.length; i++) this.out.push(o[i]);
    return this;
  }

  /** Big-endian unsigned integer of n bytes, n <= 6. */
  private uint(v: number, n: number): void {
    for (let i = n - 1; i >= 0; i--) this.out.push(Math.floor(v / Math.pow(256, i)) % 256);
  }

  /** A-XDR length or element count: one byte below 0x80, else 0x81/0x82/0x84 and 1, 2 or 4 bytes. */
  axdrLength(n: number): AxdrWriter {
    checkInt(n, 0, TWO_32 - 1, "A-XDR length");
    if (n < 0x80) this.out.push(n);
    else if (n <= 0xff) this.out.push(0x81, n);
    else if (n <= 0xffff) { this.out.push(0x82); this.uint(n, 2); } else { this.out.push(0x84); this.uint(n, 4); }
    return this;
  }

  nullData(): AxdrWriter {
    this.out.push(T_NULL);
    return this;
  }

  /** The header of an array of `count` elements; the caller writes the elements next. */
  array(count: number): AxdrWriter {
    this.out.push(T_ARRAY);
    return this.axdrLength(count);
  }

  structure(count: number): AxdrWriter {
    this.out.push(T_STRUCTURE);
    return this.axdrLength(count);
  }

  boolean(v: boolean): AxdrWriter {
    this.out.push(T_BOOLEAN, v ? 1 : 0);
    return this;
  }

  /** bits[0] goes to the most significant bit of the first byte. */
  bitString(bits: boolean[]): AxdrWriter {
    this.out.push(T_BIT_STRING);
    this.axdrLength(bits.length);
    for (let i = 0; i < bits.length; i += 8) {
      let b = 0;
      for (let k = 0; k < 8; k++) if (i + k < bits.length && bits[i + k]) b |= 0x80 >> k;
      this.out.push(b);
    }
    return this;
  }

  int32(v: number): AxdrWriter {
    checkInt(v, -2147483648, 2147483647, "int32");
    this.out.push(T_INT32);
    this.uint(v < 0 ? v + TWO_32 : v, 4);
    return this;
  }

  uint32(v: number): AxdrWriter {
    checkInt(v, 0, TWO_32 - 1, "uint32");
    this.out.push(T_UINT32);
    this.uint(v, 4);
    return this;
  }

  octetString(bytes: ArrayLike<number>): AxdrWriter {
    this.out.push(T_OCTET_STRING);
    this.axdrLength(bytes.length);
    return this.raw(bytes);
  }

  /** An octet-string holding the bytes of a one-byte-per-char string (Kaifa sends its ids this way). */
  octetStringText(s: string): AxdrWriter {
    return this.octetString(latin1(s));
  }

  visibleString(s: string): AxdrWriter {
    const b = latin1(s);
    this.out.push(T_VISIBLE_STRING);
    this.axdrLength(b.length);
    return this.raw(b);
  }

  utf8String(s: string): AxdrWriter {
    const b = utf8(s);
    this.out.push(T_UTF8_STRING);
    this.axdrLength(b.length);
    return this.raw(b);
  }

  /** Two decimal digits packed into one byte (0..99). */
  bcd(v: number): AxdrWriter {
    checkInt(v, 0, 99, "bcd");
    this.out.push(T_BCD, (Math.floor(v / 10) << 4) | (v % 10));
    return this;
  }

  int8(v: number): AxdrWriter {
    checkInt(v, -128, 127, "int8");
    this.out.push(T_INT8, v & 0xff);
    return this;
  }

  int16(v: number): AxdrWriter {
    checkInt(v, -32768, 32767, "int16");
    this.out.push(T_INT16);
    this.uint(v & 0xffff, 2);
    return this;
  }

  uint8(v: number): AxdrWriter {
    checkInt(v, 0, 255, "uint8");
    this.out.push(T_UINT8, v);
    return this;
  }

  uint16(v: number): AxdrWriter {
    checkInt(v, 0, 0xffff, "uint16");
    this.out.push(T_UINT16);
    this.uint(v, 2);
    return this;
  }

  /** int64 from a JS number: |v| must stay below 2^53. */
  long64(v: number): AxdrWriter {
    checkInt(v, -TWO_53 + 1, TWO_53 - 1, "long64");
    const hi = Math.floor(v / TWO_32);
    this.out.push(T_INT64);
    this.uint(hi < 0 ? hi + TWO_32 : hi, 4);
    this.uint(v - hi * TWO_32, 4);
    return this;
  }

  long64Unsigned(v: number): AxdrWriter {
    checkInt(v, 0, TWO_53 - 1, "long64-unsigned");
    const hi = Math.floor(v / TWO_32);
    this.out.push(T_UINT64);
    this.uint(hi, 4);
    this.uint(v - hi * TWO_32, 4);
    return this;
  }

  enumValue(v: number): AxdrWriter {
    checkInt(v, 0, 255, "enum");
    this.out.push(T_ENUM, v);
    return this;
  }

  float32(v: number): AxdrWriter {
    return this.float(T_FLOAT32, v, 4);
  }

  float64(v: number): AxdrWriter {
    return this.float(T_FLOAT64, v, 8);
  }

  private float(tag: number, v: number, n: number): AxdrWriter {
    const view = new DataView(new ArrayBuffer(n));
    if (n === 4) view.setFloat32(0, v, false);
    else view.setFloat64(0, v, false);
    this.out.push(tag);
    for (let i = 0; i < n; i++) this.out.push(view.getUint8(i));
    return this;
  }

  /** Tag 0x19: 12 bytes, no length. */
  dateTime(f: DateTimeFields): AxdrWriter {
    return this.tagged(T_DATE_TIME, cosemDateTime(f));
  }

  /** Tag 0x1A: year, month, day, weekday (5 bytes). */
  date(f: DateTimeFields): AxdrWriter {
    const b: number[] = [];
    dateBytes(f, b);
    return this.tagged(T_DATE, b);
  }

  /** Tag 0x1B: hour, minute, second, hundredths (4 bytes). */
  time(f: DateTimeFields): AxdrWriter {
    const b: number[] = [];
    timeBytes(f, b);
    return this.tagged(T_TIME, b);
  }

  /** A tag and a body checked beforehand, so that a refused value leaves nothing half-written. */
  private tagged(tag: number, body: number[]): AxdrWriter {
    this.out.push(tag);
    return this.raw(body);
  }

  /** The way HAN lists carry date-times: an octet-string of 12 (09 0C ...). */
  dateTimeOctets(f: DateTimeFields): AxdrWriter {
    return this.octetString(cosemDateTime(f));
  }

  /** An OBIS code as lists carry it: 09 06 A B C D E F. */
  obis(code: number[]): AxdrWriter {
    if (code.length !== 6) throw new Error("an OBIS code has 6 bytes");
    return this.octetString(code);
  }

  /** scaler_unit: 02 02 0F <scaler> 16 <unit>. */
  scalerUnit(scaler: number, unit: number): AxdrWriter {
    return this.structure(2).int8(scaler).enumValue(unit);
  }
}
