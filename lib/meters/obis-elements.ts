// The OBIS-coded layouts share one walk: an OBIS code (octet-string of 6), its value, and optionally a
// scaler_unit structure {int8 scaler, enum unit}; either each object in its own structure (Aidon, Embriq,
// Austrian lists) or all in one flat structure (Kamstrup, Swedish Kaifa). Null-data placeholders are skipped.
import { AxdrNode, children, T_OCTET_STRING, T_STRUCTURE, T_INT8, T_ENUM } from "../dlms/axdr";
import { obisText } from "../obis";
import type { ImpliedScaling, ReadingBuilder } from "./reading-builder";

export function isObisCode(node: AxdrNode | undefined): boolean {
  return node !== undefined && node.tag === T_OCTET_STRING && (node.value as Uint8Array).length === 6;
}

function scalerUnit(node: AxdrNode | undefined): AxdrNode[] | null {
  if (node === undefined || node.tag !== T_STRUCTURE) return null;
  const su = node.value as AxdrNode[];
  return su.length === 2 && su[0].tag === T_INT8 && su[1].tag === T_ENUM ? su : null;
}

/** Walks items from index `from`; returns how many OBIS objects were found. */
export function walkObisElements(items: AxdrNode[], from: number, builder: ReadingBuilder,
  implied: ImpliedScaling): number {
  let found = 0;
  let i = from;
  while (i < items.length) {
    const item = items[i];
    const inner = children(item);
    if (inner && isObisCode(inner[0]) && inner.length >= 2) {
      const su = scalerUnit(inner[2]);
      builder.add(obisText(inner[0].value as Uint8Array, 0), inner[1], su ? su[0].value as number : null,
        su ? su[1].value as number : null, implied);
      found++;
      i++;
    } else if (isObisCode(item) && i + 1 < items.length) {
      const su = scalerUnit(items[i + 2]);
      builder.add(obisText(item.value as Uint8Array, 0), items[i + 1], su ? su[0].value as number : null,
        su ? su[1].value as number : null, implied);
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
