// The offline queue's drop rules and the QoS 1 window's identifiers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Inflight, LAST_WINDOW_ID } from "../lib/mqtt/inflight";
import { OfflineQueue } from "../lib/mqtt/queue";
import type { OutMessage } from "../lib/mqtt/queue";

function msg(name: string, keep: boolean): OutMessage {
  return { topic: "t/" + name, payload: name, qos: 1, retain: false, keep: keep };
}

function names(q: OfflineQueue): string[] {
  const out: string[] = [];
  let m = q.shift();
  while (m !== null) {
    out.push(m.payload);
    m = q.shift();
  }
  return out;
}

test("queue: when full, droppable messages go oldest first and are counted", () => {
  const q = new OfflineQueue(3);
  for (const n of ["r1", "r2", "r3"]) assert.equal(q.push(msg(n, false)), null);
  assert.equal(q.push(msg("r4", false))?.payload, "r1");
  assert.equal(q.push(msg("r5", false))?.payload, "r2");
  assert.equal(q.dropped, 2);
  assert.equal(q.keptDropped, 0);
  assert.deepEqual(names(q), ["r3", "r4", "r5"]);
});

test("queue: kept messages are never dropped for droppable ones", () => {
  const q = new OfflineQueue(3);
  q.push(msg("e1", true));
  q.push(msg("r1", false));
  q.push(msg("e2", true));
  // Full: a new reading replaces the oldest reading, not a kept message.
  assert.equal(q.push(msg("r2", false))?.payload, "r1");
  // A kept message also takes the place of a reading.
  assert.equal(q.push(msg("e3", true))?.payload, "r2");
  // Now all kept: a reading is dropped on arrival.
  const r3 = msg("r3", false);
  assert.equal(q.push(r3), r3);
  assert.equal(q.dropped, 3);
  assert.equal(q.keptDropped, 0);
  // Only a newer kept message pushes out the oldest kept one.
  assert.equal(q.push(msg("e4", true))?.payload, "e1");
  assert.equal(q.keptDropped, 1);
  assert.deepEqual(names(q), ["e2", "e3", "e4"]);
});

test("inflight: bounded window, PUBACK releases, unknown identifiers are ignored", () => {
  const w = new Inflight(2);
  const a = msg("a", false);
  const b = msg("b", true);
  const idA = w.add(a);
  const idB = w.add(b);
  assert.equal(w.full(), true);
  assert.notEqual(idA, idB);
  assert.equal(w.release(999), null);
  assert.equal(w.release(idA), a);
  assert.equal(w.full(), false);
  const held: [number, string][] = [];
  w.forEach((id, m) => held.push([id, m.payload]));
  assert.deepEqual(held, [[idB, "b"]]);
});

test("inflight: identifiers run 1..LAST_WINDOW_ID, wrap, never 0, and skip ones still held", () => {
  const w = new Inflight(3);
  const first = w.add(msg("held", false));
  assert.equal(first, 1);
  const ids: number[] = [];
  for (let i = 0; i < LAST_WINDOW_ID + 2; i++) {
    const id = w.add(msg("x", false));
    ids.push(id);
    w.release(id);
  }
  assert.ok(ids.every((id) => id >= 1 && id <= LAST_WINDOW_ID && id !== first));
  const top = ids.indexOf(LAST_WINDOW_ID);
  assert.equal(top, LAST_WINDOW_ID - 2, "2..0xfffd in order");
  assert.deepEqual(ids.slice(top + 1, top + 3), [2, 3], "wrapped past 0 and skipped 1, which is still in flight");
});
