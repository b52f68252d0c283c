// The makers' list layouts as data: how to recognise each from the frame's content (han-spec.md 4.5), and how to
// walk it. Detection is automatic; configuration may force a layout.
import { AxdrNode, children, T_ARRAY, T_STRUCTURE, T_VISIBLE_STRING, T_OCTET_STRING } from "../dlms/axdr";
import { obisText } from "../obis";
import { ReadingBuilder } from "./reading-builder";
import { walkObisElements, isObisCode } from "./obis-elements";
import { kaifaScaling, kamstrupScaling, noScaling } from "./implied-scaling";
import type { ScalingProfile } from "../scaling";
import { toBinaryString } from "../bytes";

export interface Layout {
  name: string;
  manufacturer: string | null;
  matches: (body: AxdrNode) => boolean;
  /** Fills the builder; throws when the body does not have this layout's shape. */
  decode: (body: AxdrNode, builder: ReadingBuilder, profile: ScalingProfile) => void;
}

function textOf(node: AxdrNode | undefined): string {
  if (!node) return "";
  if (typeof node.value === "string") return node.value;
  if (node.tag !== T_OCTET_STRING) return "";
  return toBinaryString(node.value as Uint8Array);
}

function itemsOf(body: AxdrNode): AxdrNode[] {
  const items = children(body);
  if (!items || items.length === 0) throw new Error("the body is not a non-empty array or structure");
  return items;
}

// Kaifa's positional lists: the meaning of each element follows from the element count.
const KAIFA_HEAD = ["1-1:0.2.129.255", "0-0:96.1.0.255", "0-0:96.1.7.255", "1-0:1.7.0.255", "1-0:2.7.0.255",
  "1-0:3.7.0.255", "1-0:4.7.0.255"];
const KAIFA_1P = ["1-0:31.7.0.255", "1-0:32.7.0.255"];
const KAIFA_3P = ["1-0:31.7.0.255", "1-0:51.7.0.255", "1-0:71.7.0.255", "1-0:32.7.0.255", "1-0:52.7.0.255",
  "1-0:72.7.0.255"];
const KAIFA_HOURLY = ["0-0:1.0.0.255", "1-0:1.8.0.255", "1-0:2.8.0.255", "1-0:3.8.0.255", "1-0:4.8.0.255"];
const KAIFA_POSITIONS: { [count: number]: string[] } = {
  1: ["1-0:1.7.0.255"],
  9: KAIFA_HEAD.concat(KAIFA_1P),
  13: KAIFA_HEAD.concat(KAIFA_3P),
  14: KAIFA_HEAD.concat(KAIFA_1P, KAIFA_HOURLY),
  18: KAIFA_HEAD.concat(KAIFA_3P, KAIFA_HOURLY),
};

function isKaifaPositional(items: AxdrNode[]): boolean {
  const positions = KAIFA_POSITIONS[items.length];
  if (!positions) return false;
  return items.length === 1 ? typeof items[0].value === "number" : textOf(items[0]).indexOf("KFM") === 0;
}

const aidon: Layout = {
  name: "aidon",
  manufacturer: "Aidon",
  matches (body) {
    const items = children(body);
    const first = items && items.length > 0 ? children(items[0]) : null;
    return body.tag === T_ARRAY && first !== null && isObisCode(first[0]);
  },
  decode (body, builder) {
    if (walkObisElements(itemsOf(body), 0, builder, noScaling()) === 0) throw new Error("no OBIS objects");
  },
};

const kaifa: Layout = {
  name: "kaifa",
  manufacturer: "Kaifa",
  matches (body) {
    const items = children(body);
    if (body.tag !== T_STRUCTURE || !items || items.length === 0) return false;
    return isKaifaPositional(items) || (isObisCode(items[0]) && textOf(items[1]).indexOf("KFM") === 0);
  },
  decode (body, builder) {
    const items = itemsOf(body);
    if (!isObisCode(items[0])) {
      const positions = KAIFA_POSITIONS[items.length];
      if (!positions) throw new Error("no Kaifa list has " + items.length + " elements");
      for (let i = 0; i < items.length; i++) builder.add(positions[i], items[i], null, null, kaifaScaling());
    } else if (walkObisElements(items, 0, builder, kaifaScaling()) === 0) {
      throw new Error("no OBIS objects");
    }
  },
};

/** Kamstrup's meter type tells a current-transformer meter (685...) before its currents are read. */
function kamstrupType(items: AxdrNode[]): string {
  for (let i = 0; i + 1 < items.length; i++) {
    if (isObisCode(items[i]) && obisText(items[i].value as Uint8Array, 0).indexOf(":96.1.1.") > 0) {
      return textOf(items[i + 1]);
    }
  }
  return "";
}

const kamstrup: Layout = {
  name: "kamstrup",
  manufacturer: "Kamstrup",
  matches (body) {
    const items = children(body);
    return body.tag === T_STRUCTURE && items !== null && items.length > 0 && items[0].tag === T_VISIBLE_STRING &&
      textOf(items[0]).indexOf("Kamstrup") === 0;
  },
  decode (body, builder, profile) {
    const items = itemsOf(body);
    if (items[0].tag === T_VISIBLE_STRING) builder.add("1-1:0.2.129.255", items[0], null, null, noScaling());
    const ct = profile.ct || kamstrupType(items).indexOf("685") === 0;
    if (walkObisElements(items, 1, builder, kamstrupScaling(profile, ct)) === 0) throw new Error("no OBIS objects");
  },
};

const generic: Layout = {
  name: "generic",
  manufacturer: null,
  matches (body) {
    const items = children(body);
    if (!items) return false;
    for (let i = 0; i < items.length; i++) {
      const inner = children(items[i]);
      if (isObisCode(items[i]) || (inner && isObisCode(inner[0]))) return true;
    }
    return false;
  },
  decode (body, builder) {
    if (walkObisElements(itemsOf(body), 0, builder, noScaling()) === 0) throw new Error("no OBIS objects");
  },
};

/** In the order detection tries them; the generic layout last. */
export const LAYOUTS: Layout[] = [aidon, kaifa, kamstrup, generic];

export const LAYOUT_NAMES = LAYOUTS.map((l) => { return l.name; });

export function layoutByName(name: string): Layout | null {
  return LAYOUTS.find((l) => { return l.name === name; }) || null;
}

export function detectLayout(body: AxdrNode): Layout | null {
  return LAYOUTS.find((l) => { return l.matches(body); }) || null;
}
