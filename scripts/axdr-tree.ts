// A readable form of a decoded A-XDR value, for `npm run decode -- --tree`.
import type { AxdrNode } from "../lib/dlms/axdr";
import { toHex } from "../lib/bytes";
import { obisText } from "../lib/obis";

const TYPE_NAMES: { [tag: number]: string } = {
  0x00: "null-data", 0x01: "array", 0x02: "structure", 0x03: "boolean", 0x04: "bit-string", 0x05: "double-long",
  0x06: "double-long-unsigned", 0x09: "octet-string", 0x0a: "visible-string", 0x0c: "utf8-string", 0x0d: "bcd",
  0x0f: "integer", 0x10: "long", 0x11: "unsigned", 0x12: "long-unsigned", 0x14: "long64", 0x15: "long64-unsigned",
  0x16: "enum", 0x17: "float32", 0x18: "float64", 0x19: "date-time", 0x1a: "date", 0x1b: "time",
};

export type TreeNode = { type: string; value?: unknown; obis?: string; items?: TreeNode[] };

export function axdrTree(node: AxdrNode): TreeNode {
  const type = TYPE_NAMES[node.tag] || "0x" + node.tag.toString(16);
  if (Array.isArray(node.value)) return { type, items: node.value.map(axdrTree) };
  if (node.value instanceof Uint8Array) {
    const out: TreeNode = { type, value: toHex(node.value) };
    if (node.value.length === 6 && node.tag === 0x09) out.obis = obisText(node.value, 0);
    return out;
  }
  return { type, value: node.value };
}
