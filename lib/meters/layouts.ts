// The makers' list layouts: how to recognise each from the frame's content (han-spec.md 4.5), and how to walk it.
// Detection is automatic; configuration may force a layout. A layout is a name and the code below rather than an
// object with methods: the interpreter would hold such objects, and tables of codes, for as long as it runs.
import { AxdrNode, children } from "../dlms/axdr";
import { T_ARRAY, T_STRUCTURE, T_VISIBLE_STRING, T_OCTET_STRING, T_UINT16 } from "../dlms/tags";
import { obisKey } from "../obis";
import { ReadingBuilder } from "./reading-builder";
import { walkObisElements, isObisCode } from "./obis-elements";
import { walkPushList } from "./push-list";
import { toBinaryString } from "../bytes";

/** Every layout, in the order detection tries them; the generic layout last. "burgenland": the positional list of
 *  Netz Burgenland's Landis+Gyr E450; "push": any list that sends its push object list (./push-list.ts). */
export const LAYOUT_NAMES = ["aidon", "kaifa", "kamstrup", "burgenland", "push", "generic"];

/** The maker whose lists a layout reads; null for the generic layout. */
export function layoutMaker(name: string): string | null {
  if (name === "aidon") return "Aidon";
  if (name === "kaifa") return "Kaifa";
  if (name === "kamstrup") return "Kamstrup";
  if (name === "burgenland") return "Landis+Gyr";
  return null;
}

/** The list version 1-1:0.2.129.255 as obisKey() gives it; Kamstrup sends it bare as the first element. */
export const LIST_VERSION_KEY = "\x01\x01\x00\x02\x81\xff";

/** Kaifa's positional lists, whose elements' meaning follows from their position, by their element count. */
export function isKaifaCount(count: number): boolean {
  return count === 1 || count === 9 || count === 13 || count === 14 || count === 18;
}

/** The keys (obisKey()) of a Kaifa positional list's elements, or null for an element count that no such list has.
 *  Made per frame from one string rather than kept in tables. */
export function kaifaKeys(count: number): string[] | null {
  if (!isKaifaCount(count)) return null;
  // The 18 codes of the longest list, 6 bytes each: the list version; meter id 0-0:96.1.0.255 and type
  // 0-0:96.1.7.255; 1-0:1.7.0.255 to 1-0:4.7.0.255, active and reactive power import and export; currents
  // 1-0:31/51/71.7.0.255; voltages 1-0:32/52/72.7.0.255; the clock 0-0:1.0.0.255; the energy registers
  // 1-0:1.8.0.255 to 1-0:4.8.0.255.
  const codes = LIST_VERSION_KEY + "\x00\x00\x60\x01\x00\xff\x00\x00\x60\x01\x07\xff" +
    "\x01\x00\x01\x07\x00\xff\x01\x00\x02\x07\x00\xff\x01\x00\x03\x07\x00\xff\x01\x00\x04\x07\x00\xff" +
    "\x01\x00\x1f\x07\x00\xff\x01\x00\x33\x07\x00\xff\x01\x00\x47\x07\x00\xff" +
    "\x01\x00\x20\x07\x00\xff\x01\x00\x34\x07\x00\xff\x01\x00\x48\x07\x00\xff" +
    "\x00\x00\x01\x00\x00\xff\x01\x00\x01\x08\x00\xff\x01\x00\x02\x08\x00\xff\x01\x00\x03\x08\x00\xff" +
    "\x01\x00\x04\x08\x00\xff";
  const onePhase = count === 9 || count === 14;
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    // List 1 is active power import alone; the 1-phase lists have L1's current and voltage only.
    const j = count === 1 ? 3 : !onePhase || i < 7 ? i : i === 7 ? 7 : i === 8 ? 10 : i + 4;
    keys.push(codes.substr(j * 6, 6));
  }
  return keys;
}

/** Netz Burgenland's list names none of its 14 elements (no OBIS code, no list identifier): the A-XDR type of each,
 *  in order, is what tells it. Voltages L1-L3 and currents L1-L3 (long-unsigned), active power import and export,
 *  active energy import and export (double-long-unsigned), three long-unsigned whose meaning is not published, the
 *  meter number (octet-string). No other list known has this sequence: Kaifa's 14-element list opens with its
 *  list identifier, a string, and every other list carries OBIS codes. */
function isBurgenland(items: AxdrNode[]): boolean {
  const types = "\x12\x12\x12\x12\x12\x12\x06\x06\x06\x06\x12\x12\x12\x09";
  if (items.length !== types.length) return false;
  for (let i = 0; i < items.length; i++) if (items[i].tag !== types.charCodeAt(i)) return false;
  return true;
}

/** The key (obisKey()) of element i of Netz Burgenland's list; null for the three unpublished values, which have
 *  no name to be kept under. */
function burgenlandKey(i: number): string | null {
  if (i === 13) return "\x00\x00\x60\x01\x00\xff";
  if (i > 9) return null;
  // 1-0:32/52/72.7.0 voltages, 31/51/71.7.0 currents, 1/2.7.0 powers, 1/2.8.0 energies.
  return "\x01\x00" + "\x20\x34\x48\x1f\x33\x47\x01\x02\x01\x02".charAt(i) + (i < 8 ? "\x07" : "\x08") + "\x00\xff";
}

/** A body whose first element is the push object list (Blue Book class 40, attribute 2) naming each element of
 *  the body, itself first: an array of {class_id, logical_name, attribute_index, data_index} as long as the body. */
function isPushList(items: AxdrNode[]): boolean {
  const list = children(items[0]);
  const first = list && list.length === items.length ? children(list[0]) : null;
  return items[0].tag === T_ARRAY && first !== null && first.length === 4 && first[0].tag === T_UINT16 &&
    isObisCode(first[1]);
}

function textOf(node: AxdrNode | undefined): string {
  if (!node) return "";
  if (typeof node.value === "string") return node.value;
  if (node.tag !== T_OCTET_STRING) return "";
  return toBinaryString(node.value as Uint8Array);
}

/** The layout that reads the body, or null when none does. */
export function detectLayout(body: AxdrNode): string | null {
  const items = children(body);
  if (!items || items.length === 0) return null;
  const first = children(items[0]);
  if (body.tag === T_ARRAY && first !== null && isObisCode(first[0])) return "aidon";
  if (body.tag === T_STRUCTURE) {
    // A positional list is list 1's number, or starts with a list version "KFM...".
    if (isKaifaCount(items.length) && (items.length === 1 ? typeof items[0].value === "number" :
      textOf(items[0]).indexOf("KFM") === 0)) return "kaifa";
    if (isObisCode(items[0]) && textOf(items[1]).indexOf("KFM") === 0) return "kaifa";
    if (items[0].tag === T_VISIBLE_STRING && textOf(items[0]).indexOf("Kamstrup") === 0) return "kamstrup";
    if (isBurgenland(items)) return "burgenland";
    // Before the generic layout, which would take the push setup's logical name for an OBIS object.
    if (isPushList(items)) return "push";
  }
  for (let i = 0; i < items.length; i++) {
    const inner = children(items[i]);
    if (isObisCode(items[i]) || (inner && isObisCode(inner[0]))) return "generic";
  }
  return null;
}

/** Kamstrup's meter type tells a current-transformer meter (685...) before its currents are read. */
function kamstrupType(items: AxdrNode[]): string {
  for (let i = 0; i + 1 < items.length; i++) {
    if (isObisCode(items[i]) && obisKey(items[i].value as Uint8Array, 0).substr(2, 3) === "\x60\x01\x01") {
      return textOf(items[i + 1]);
    }
  }
  return "";
}

/** Fills the builder with the body read as layout `name`; throws when the body does not have its shape. */
export function decodeLayout(name: string, body: AxdrNode, builder: ReadingBuilder): void {
  const items = children(body);
  if (!items || items.length === 0) throw new Error("the body is not a non-empty array or structure");
  let from = 0;
  if (name === "kaifa" && !isObisCode(items[0])) {
    const keys = kaifaKeys(items.length);
    if (!keys) throw new Error("no Kaifa list has " + items.length + " elements");
    for (let i = 0; i < items.length; i++) builder.add(keys[i], items[i].tag, items[i].value, null, null);
    return;
  }
  if (name === "push") {
    walkPushList(items, builder);
    return;
  }
  if (name === "burgenland") {
    if (!isBurgenland(items)) throw new Error("not Netz Burgenland's list");
    for (let i = 0; i < items.length; i++) {
      const key = burgenlandKey(i);
      if (key) builder.add(key, items[i].tag, items[i].value, null, null);
    }
    return;
  }
  if (name === "kamstrup") {
    if (items[0].tag === T_VISIBLE_STRING) builder.add(LIST_VERSION_KEY, items[0].tag, items[0].value, null, null);
    if (!builder.ct && kamstrupType(items).indexOf("685") === 0) builder.ct = true;
    from = 1;
  }
  if (walkObisElements(items, from, builder) === 0) throw new Error("no OBIS objects");
}
