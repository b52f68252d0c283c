// The short way through a list: the makers' lists read straight from the bytes, without building the A-XDR tree,
// for the shapes they have: a body of scalars, {OBIS, value[, scaler_unit]} structures and bare scaler_units. The
// ESP32's interpreter pays for every statement, and this costs a few per object where the tree costs a few per
// node. Anything else (other types, deeper nesting, long lengths, a forced layout, malformed or truncated input)
// gives null, and the decoder takes the general way (lib/dlms/axdr.ts, layouts.ts), which then gives the same
// reading or the same error; this reader mirrors its detection and its walk exactly.
import { ReadingBuilder } from "./reading-builder";
import { layoutMaker, isKaifaCount, kaifaKeys, LIST_VERSION_KEY } from "./layouts";
import { obisKey } from "../obis";
import { toBinaryString } from "../bytes";
import { T_NULL, T_ARRAY, T_STRUCTURE, T_INT32, T_UINT32, T_OCTET_STRING, T_VISIBLE_STRING, T_INT8, T_INT16, T_UINT8,
  T_UINT16, T_INT64, T_UINT64, T_ENUM } from "../dlms/tags";
import type { Reading, MeterClock } from "../reading";
import type { ScalingProfile } from "../scaling";

const enum Limit {
  /** More elements than any list has (Kamstrup's Danish list has 65); a longer body goes the general way, and so
   *  does a count in the long form (0x80 and up). */
  Items = 128,
}

/** Item kinds: a scalar; a {OBIS, value[, scaler_unit]} structure; a bare scaler_unit {int8, enum}. */
const enum Kind { Scalar, Object, ScalerUnit }

/** The body's elements, in typed arrays sized to the body when it is scanned (no objects per element). `at` is where
 *  a scalar's tag is, an object's value's tag (its 6 code bytes end there) or a bare scaler_unit's structure; `su`
 *  where an object's scaler_unit structure starts (0: none). */
let kind: Uint8Array;
let at: Uint16Array;
let su: Uint16Array;
let items = 0;
let bytes: Uint8Array;

/** Bytes taken by the scalar whose tag is at b[p], if it lies within end; -1 for a type left to the general way. */
function scalarSize(b: Uint8Array, p: number, end: number): number {
  const t = b[p];
  let n = -1;
  if (t === T_NULL) n = 1;
  else if (t === T_OCTET_STRING || t === T_VISIBLE_STRING) n = b[p + 1] < 128 ? 2 + b[p + 1] : -1;
  else if (t === T_UINT32 || t === T_INT32) n = 5;
  else if (t === T_UINT16 || t === T_INT16) n = 3;
  else if (t === T_INT8 || t === T_UINT8 || t === T_ENUM) n = 2;
  else if (t === T_UINT64 || t === T_INT64) n = 9;
  return n > 0 && p + n <= end ? n : -1;
}

function isScalerUnit(b: Uint8Array, p: number, end: number): boolean {
  return p + 6 <= end && b[p] === T_STRUCTURE && b[p + 1] === 2 && b[p + 2] === T_INT8 && b[p + 4] === T_ENUM;
}

/** Reads the body's elements into the arrays; false when the body is not of the shapes this reader takes. */
function scan(b: Uint8Array, p: number, end: number): boolean {
  if (p + 2 > end || (b[p] !== T_ARRAY && b[p] !== T_STRUCTURE) || b[p + 1] >= Limit.Items) return false;
  bytes = b;
  items = b[p + 1];
  kind = new Uint8Array(items);
  at = new Uint16Array(items);
  su = new Uint16Array(items);
  p += 2;
  for (let k = 0; k < items; k++) {
    if (p >= end) return false;
    if (b[p] !== T_STRUCTURE) {
      const size = scalarSize(b, p, end);
      if (size < 0) return false;
      at[k] = p;
      p += size;
    } else if (b[p + 2] === T_OCTET_STRING) {
      const n = b[p + 1];
      if ((n !== 2 && n !== 3) || p + 10 > end || b[p + 3] !== 6) return false;
      kind[k] = Kind.Object;
      at[k] = p + 10;
      const size = scalarSize(b, p + 10, end);
      if (size < 0) return false;
      p += 10 + size;
      if (n === 3) {
        if (isScalerUnit(b, p, end)) {
          su[k] = p;
          p += 6;
        } else {
          const rest = scalarSize(b, p, end);
          if (rest < 0) return false;
          p += rest;
        }
      }
    } else if (isScalerUnit(b, p, end)) {
      kind[k] = Kind.ScalerUnit;
      at[k] = p;
      p += 6;
    } else {
      return false;
    }
  }
  return true;
}

/** The A-XDR value of the scalar whose tag is at b[p], as the general reader gives it. */
function valueAt(p: number): number | string | Uint8Array | null {
  const b = bytes;
  const t = b[p];
  const q = p + 1;
  if (t === T_UINT32) return ((b[q] * 256 + b[q + 1]) * 256 + b[q + 2]) * 256 + b[q + 3];
  if (t === T_UINT16) return b[q] << 8 | b[q + 1];
  if (t === T_INT16) return (b[q] << 8 | b[q + 1]) << 16 >> 16;
  if (t === T_UINT8 || t === T_ENUM) return b[q];
  if (t === T_INT8) return b[q] << 24 >> 24;
  if (t === T_INT32) return b[q] << 24 | b[q + 1] << 16 | b[q + 2] << 8 | b[q + 3];
  if (t === T_INT64) {
    return (b[q] << 24 | b[q + 1] << 16 | b[q + 2] << 8 | b[q + 3]) * 4294967296 +
      ((b[q + 4] * 256 + b[q + 5]) * 256 + b[q + 6]) * 256 + b[q + 7];
  }
  if (t === T_UINT64) {
    // Byte by byte, rounding as the general reader does past 2^53.
    let v = 0;
    for (let i = 0; i < 8; i++) v = v * 256 + b[q + i];
    return v;
  }
  if (t === T_NULL) return null;
  const s = b.subarray(p + 2, p + 2 + b[q]);
  return t === T_VISIBLE_STRING ? toBinaryString(s) : s;
}

function isObis(k: number): boolean {
  return kind[k] === Kind.Scalar && bytes[at[k]] === T_OCTET_STRING && bytes[at[k] + 1] === 6;
}

/** What layouts.ts's textOf() gives for element k ("" past the end). */
function textOf(k: number): string {
  if (k >= items || kind[k] !== Kind.Scalar) return "";
  const t = bytes[at[k]];
  if (t === T_VISIBLE_STRING) return valueAt(at[k]) as string;
  return t === T_OCTET_STRING ? toBinaryString(valueAt(at[k]) as Uint8Array) : "";
}

/** Adds scalar element k under `code`, with the scaler_unit at bytes[suAt] (0: none); a structure is no value to
 *  the builder, which would ignore it. */
function addValue(builder: ReadingBuilder, code: string, k: number, suAt: number): void {
  if (kind[k] !== Kind.Scalar) return;
  builder.add(code, bytes[at[k]], valueAt(at[k]), suAt ? bytes[suAt + 3] << 24 >> 24 : null, suAt ? bytes[suAt + 5] : null);
}

/** obis-elements.ts's walk over the elements from `from`; returns how many OBIS objects were found. */
function walk(builder: ReadingBuilder, from: number): number {
  let found = 0;
  let i = from;
  while (i < items) {
    if (kind[i] === Kind.Object) {
      const s = su[i];
      builder.add(obisKey(bytes, at[i] - 6), bytes[at[i]], valueAt(at[i]), s ? bytes[s + 3] << 24 >> 24 : null,
        s ? bytes[s + 5] : null);
      found++;
      i++;
    } else if (isObis(i) && i + 1 < items) {
      const withUnit = i + 2 < items && kind[i + 2] === Kind.ScalerUnit;
      addValue(builder, obisKey(bytes, at[i] + 2), i + 1, withUnit ? at[i + 2] : 0);
      found++;
      i += withUnit ? 3 : 2;
    } else {
      i++;
    }
  }
  return found;
}

/** The layout detectLayout() finds for the scanned body whose tag is `tag`; null for the lists without OBIS codes
 *  (Netz Burgenland's), which the general way then reads (push object lists, an array first, never scan). */
function detect(tag: number): string | null {
  if (items === 0) return null;
  if (tag === T_ARRAY && kind[0] === Kind.Object) return "aidon";
  if (tag === T_STRUCTURE) {
    if (isKaifaCount(items) && (items === 1 ? kind[0] === Kind.Scalar && typeof valueAt(at[0]) === "number" :
      textOf(0).indexOf("KFM") === 0)) return "kaifa";
    if (isObis(0) && textOf(1).indexOf("KFM") === 0) return "kaifa";
    if (kind[0] === Kind.Scalar && bytes[at[0]] === T_VISIBLE_STRING && textOf(0).indexOf("Kamstrup") === 0) return "kamstrup";
  }
  for (let k = 0; k < items; k++) if (isObis(k) || kind[k] === Kind.Object) return "generic";
  return null;
}

/** Kamstrup's meter type, which tells a current-transformer meter (685...) before its currents are read. */
function kamstrupType(): string {
  for (let i = 0; i + 1 < items; i++) {
    const p = at[i] + 4;
    if (isObis(i) && bytes[p] === 96 && bytes[p + 1] === 1 && bytes[p + 2] === 1) return textOf(i + 1);
  }
  return "";
}

/** The reading of the Data-Notification body at bytes[start..end), detected automatically, or null when the
 *  general way must decide. */
export function readList(b: Uint8Array, start: number, end: number, profile: ScalingProfile,
  headerTime: MeterClock | null): Reading | null {
  if (!scan(b, start, end)) return null;
  const layout = detect(b[start]);
  if (!layout) return null;
  const builder = new ReadingBuilder(layout, profile);
  let found = 1;
  if (layout === "kaifa" && !isObis(0)) {
    const keys = kaifaKeys(items) as string[];
    for (let i = 0; i < items; i++) addValue(builder, keys[i], i, 0);
  } else if (layout === "kamstrup") {
    addValue(builder, LIST_VERSION_KEY, 0, 0);
    if (!builder.ct && kamstrupType().indexOf("685") === 0) builder.ct = true;
    found = walk(builder, 1);
  } else {
    found = walk(builder, 0);
  }
  return found > 0 ? builder.finish(headerTime, layoutMaker(layout)) : null;
}
