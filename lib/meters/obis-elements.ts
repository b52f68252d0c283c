// The OBIS-coded layouts share one walk: an OBIS code (octet-string of 6), its value, and optionally a
// scaler_unit structure {int8 scaler, enum unit}; either each object in its own structure (Aidon, Embriq,
// Austrian lists) or all in one flat structure (Kamstrup, Swedish Kaifa). Null-data placeholders are skipped.
import { AxdrNode, children } from "../dlms/axdr";
import { T_OCTET_STRING, T_STRUCTURE, T_INT8, T_ENUM } from "../dlms/tags";
import { obisKey } from "../obis";
import type { ReadingBuilder } from "./reading-builder";

export function isObisCode(node: AxdrNode | undefined): boolean {
  return node !== undefined && node.tag === T_OCTET_STRING && (node.value as Uint8Array).length === 6;
}

/** The elements of a scaler_unit structure {int8 scaler, enum unit}; null for anything else. */
export function scalerUnit(node: AxdrNode | undefined): AxdrNode[] | null {
  if (node === undefined || node.tag !== T_STRUCTURE) return null;
  const su = node.value as AxdrNode[];
  return su.length === 2 && su[0].tag === T_INT8 && su[1].tag === T_ENUM ? su : null;
}

function add(builder: ReadingBuilder, code: AxdrNode, value: AxdrNode, su: AxdrNode[] | null): void {
  builder.add(obisKey(code.value as Uint8Array, 0), value.tag, value.value, su ? su[0].value as number : null,
    su ? su[1].value as number : null);
}

/** Walks items from index `from`; returns how many OBIS objects were found. */
export function walkObisElements(items: AxdrNode[], from: number, builder: ReadingBuilder): number {
  let found = 0;
  let i = from;
  while (i < items.length) {
    const item = items[i];
    const inner = children(item);
    if (inner && isObisCode(inner[0]) && inner.length >= 2) {
      add(builder, inner[0], inner[1], scalerUnit(inner[2]));
      found++;
      i++;
    } else if (isObisCode(item) && i + 1 < items.length) {
      const su = scalerUnit(items[i + 2]);
      add(builder, item, items[i + 1], su);
      found++;
      i += su ? 3 : 2;
    } else {
      // Null-data placeholders, and bare items some lists add (an Austrian list's leading clock): no OBIS code
      // names them, so they cannot be keyed.
      i++;
    }
  }
  return found;
}
