// The publisher fed readings with chosen values, its messages gathered: imported in Node and, bundled, run in the
// Espruino-shaped context and in the real interpreter (globalThis.__payloads), so that what each publishes can
// be compared. Bundled for the device, so it keeps to the language rules of lib/.
import { Publisher } from "../../lib/publish/publisher";
import type { Reading } from "../../lib/reading";

export interface Published { topic: string; payload: string }

/** One reading per entry of `values`, at a set clock; the messages published and the values refused. */
export function publishValues(values: { [key: string]: number }[]): { messages: Published[]; refused: number } {
  const messages: Published[] = [];
  const clock = { now () { return 1767225600000; }, setTimeout () { return 0; }, clearTimeout () { /* none set */ } };
  const publisher = new Publisher({ publish (topic: string, payload: string) {
    messages.push({ topic, payload });
    return true;
  } }, { base: "han/p", deviceId: "p", firmwareVersion: "0", perValueTopics: true, rawTopic: false, discovery: false,
  discoveryPrefix: "homeassistant", discoveryInterval: 200, maxPower: 1e15, clock,
  store: { readStore () { return undefined; }, writeStore () { /* nothing kept between runs */ } } });
  for (let i = 0; i < values.length; i++) {
    const reading: Reading = { list: "other", layout: "generic",
      meter: { id: null, type: null, list_version: null, manufacturer: null }, clock: null, values: values[i], obis: {} };
    publisher.reading(reading);
  }
  return { messages, refused: publisher.refusedValues };
}

(globalThis as unknown as { __payloads: unknown }).__payloads = { publishValues };
