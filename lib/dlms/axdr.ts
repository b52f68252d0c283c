// A-XDR decoding of DLMS Data values (han-spec.md 3.3), with hard bounds: no read past the end, a nesting
// limit, and element counts checked against the bytes left, so that a hostile frame cannot cost memory.

import { toBinaryString } from "../bytes";

import {
  T_NULL, T_ARRAY, T_STRUCTURE, T_BOOLEAN, T_BIT_STRING, T_INT32, T_UINT32, T_OCTET_STRING, T_VISIBLE_STRING,
  T_UTF8_STRING, T_BCD, T_INT8, T_INT16, T_UINT8, T_UINT16, T_INT64, T_UINT64, T_ENUM, T_FLOAT32, T_FLOAT64,
  T_DATE_TIME, T_DATE, T_TIME,
} from "./tags";

export {
  T_NULL, T_ARRAY, T_STRUCTURE, T_BOOLEAN, T_BIT_STRING, T_INT32, T_UINT32, T_OCTET_STRING, T_VISIBLE_STRING,
  T_UTF8_STRING, T_BCD, T_INT8, T_INT16, T_UINT8, T_UINT16, T_INT64, T_UINT64, T_ENUM, T_FLOAT32, T_FLOAT64,
  T_DATE_TIME, T_DATE, T_TIME,
};

const enum Limit {
  /** Nesting of arrays and structures that a value may have: far more than any list has, and a bound on the
   *  recursion. */
  Depth = 8,
}

/** One decoded value. Numbers for numeric types (64-bit ones lose precision past 2^53), strings for visible and
 *  UTF-8 strings (one char per byte), bytes for octet strings, bit strings and date/time types, children for
 *  arrays and structures. */
export interface AxdrNode {
  tag: number;
  value: number | boolean | string | Uint8Array | AxdrNode[] | null;
}

export interface Cursor {
  bytes: Uint8Array;
  pos: number;
  end: number;
}

export function cursor(bytes: Uint8Array, pos: number, end: number): Cursor {
  return { bytes, pos, end };
}

function need(c: Cursor, n: number): void {
  if (n < 0 || c.pos + n > c.end) throw new Error("A-XDR: value runs past the end (" + n + " bytes at " + c.pos + ")");
}

function u8(c: Cursor): number {
  need(c, 1);
  return c.bytes[c.pos++];
}

function uint(c: Cursor, n: number): number {
  need(c, n);
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + c.bytes[c.pos++];
  return v;
}

function int(c: Cursor, n: number): number {
  // The high word carries the sign, so that a 64-bit value near zero stays exact.
  if (n === 8) return int(c, 4) * 4294967296 + uint(c, 4);
  // 2^(8n), written out: Espruino's Math.pow is not exact (2^15 comes out a little off).
  const range = n === 1 ? 256 : n === 2 ? 65536 : 4294967296;
  const v = uint(c, n);
  return v >= range / 2 ? v - range : v;
}

/** A-XDR length: one byte below 0x80, else 0x8n followed by n big-endian bytes. */
export function axdrLength(c: Cursor): number {
  const first = u8(c);
  if (first < 0x80) return first;
  const n = first & 0x7f;
  if (n === 0 || n > 4) throw new Error("A-XDR: bad length prefix 0x" + first.toString(16));
  return uint(c, n);
}

function take(c: Cursor, n: number): Uint8Array {
  need(c, n);
  const out = c.bytes.subarray(c.pos, c.pos + n);
  c.pos += n;
  return out;
}

function float(c: Cursor, n: number): number {
  const raw = take(c, n);
  const view = new DataView(raw.buffer, raw.byteOffset, n);
  return n === 4 ? view.getFloat32(0, false) : view.getFloat64(0, false);
}

/** Reads one Data value at the cursor. Throws an Error with a readable message on malformed input. */
export function readData(c: Cursor, depth: number): AxdrNode {
  const tag = u8(c);
  switch (tag) {
    case T_NULL: return { tag, value: null };
    case T_ARRAY:
    case T_STRUCTURE: {
      if (depth >= Limit.Depth) throw new Error("A-XDR: nesting deeper than " + Limit.Depth);
      const count = axdrLength(c);
      // Every element takes at least its tag byte.
      if (count > c.end - c.pos) throw new Error("A-XDR: " + count + " elements cannot fit in " + (c.end - c.pos) + " bytes");
      const items: AxdrNode[] = [];
      for (let i = 0; i < count; i++) items.push(readData(c, depth + 1));
      return { tag, value: items };
    }
    case T_BOOLEAN: return { tag, value: u8(c) !== 0 };
    case T_BIT_STRING: return { tag, value: take(c, Math.ceil(axdrLength(c) / 8)) };
    case T_INT32: return { tag, value: int(c, 4) };
    case T_UINT32: return { tag, value: uint(c, 4) };
    case T_OCTET_STRING: return { tag, value: take(c, axdrLength(c)) };
    case T_VISIBLE_STRING:
    case T_UTF8_STRING: return { tag, value: toBinaryString(take(c, axdrLength(c))) };
    case T_BCD: {
      const b = u8(c);
      return { tag, value: (b >> 4) * 10 + (b & 15) };
    }
    case T_INT8: return { tag, value: int(c, 1) };
    case T_INT16: return { tag, value: int(c, 2) };
    case T_UINT8:
    case T_ENUM: return { tag, value: u8(c) };
    case T_UINT16: return { tag, value: uint(c, 2) };
    case T_INT64: return { tag, value: int(c, 8) };
    case T_UINT64: return { tag, value: uint(c, 8) };
    case T_FLOAT32: return { tag, value: float(c, 4) };
    case T_FLOAT64: return { tag, value: float(c, 8) };
    case T_DATE_TIME: return { tag, value: take(c, 12) };
    case T_DATE: return { tag, value: take(c, 5) };
    case T_TIME: return { tag, value: take(c, 4) };
    default: throw new Error("A-XDR: unsupported type tag 0x" + tag.toString(16));
  }
}

/** Children of an array or structure; null for anything else. */
export function children(node: AxdrNode): AxdrNode[] | null {
  return node.tag === T_ARRAY || node.tag === T_STRUCTURE ? node.value as AxdrNode[] : null;
}
