// Lists that describe themselves: a meter may push, as the first element of its Data-Notification's body, the push
// object list of its push setup (Blue Book, class 40, attribute 2), which names each element of the body in order
// by {class_id, logical_name, attribute_index, data_index}, the list itself first (Landis+Gyr E450 in
// Switzerland). Each value then takes the OBIS code the list gives it, whatever the codes and their order, so
// that a list of this kind reads without a layout written for it. Part of the firmware's script, not a part of its
// own (scripts/espruino/parts.ts): it is a few hundred bytes, and a meter that sends it sends it every few seconds.
import { AxdrNode, children } from "../dlms/axdr";
import { obisKey } from "../obis";
import { isObisCode, scalerUnit } from "./obis-elements";
import type { ReadingBuilder } from "./reading-builder";

/** Adds to the builder each value of the body `items` that its push object list, items[0], names: attribute 2
 *  (the value) of an object, whole (data_index 0), with the scaler_unit of a register (classes 3 and 4,
 *  attribute 3) where the list sends that too, else the scaling implied for the layout. The push setup's own
 *  logical name (attribute 1) is no value of the meter's, and its list (attribute 2) no number or text, all the
 *  builder keeps. Throws naming the entry that is missing or no capture_object_definition. */
export function walkPushList(items: AxdrNode[], builder: ReadingBuilder): void {
  const list = children(items[0]);
  const units: { [key: string]: AxdrNode[] } = {};
  // Pass 0 collects the scaler_units, which the list may send after their values; pass 1 adds the values.
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < items.length; i++) {
      const d = list && list.length === items.length ? children(list[i]) : null;
      if (!d || d.length !== 4 || !isObisCode(d[1])) {
        throw new Error("push object list entry " + i + ": missing or not {class_id, logical_name, attribute_index, data_index}");
      }
      const key = obisKey(d[1].value as Uint8Array, 0);
      const attribute = d[2].value;
      const item = items[i];
      const su = pass === 0 ? scalerUnit(item) : units[key];
      if (pass === 0) {
        if (attribute === 3 && (d[0].value === 3 || d[0].value === 4) && su) units[key] = su;
      } else if (attribute === 2 && d[3].value === 0) {
        builder.add(key, item.tag, item.value, su ? su[0].value as number : null, su ? su[1].value as number : null);
      }
    }
  }
}
