// The boot record (lib/update/record.ts): two copies written in turn, each checked by its CRC, so that a write torn
// at any byte, or a file lost between Espruino's erase and its new write, leaves a whole record in charge: the one
// before the write, or the one it wrote. The records npm run flash installs (scripts/build.ts slotLayout) read back
// on the device as the layout says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Flash } from "../scripts/emulator/storage";
import { copyName, readRecord, recordText, slotName, writeRecord, type BootRecord, type RecordStore } from "../lib/update/record";
import { slotLayout } from "../scripts/build";

/** Storage as Espruino writes it (the emulator's flash), for the record's interface. */
function storeOn(flash: Flash): RecordStore {
  return {
    readStore: (name) => flash.read(name),
    writeStore: (name, text) => {
      const error = flash.writeFile(name, text, 0, 0);
      if (error) throw new Error(error);
    },
  };
}

function record(q: number, g: number): BootRecord {
  return { q, g, v: 100 + q, t: -1, w: 0, n: 0, m: 0, h: 100 + q, f: "", l: 0 };
}

test("the record round-trips, each write goes to the copy that does not hold the current one", () => {
  const flash = new Flash(null);
  const store = storeOn(flash);
  assert.equal(readRecord(store), null, "no record before one is written");
  const r = record(0, 0);
  writeRecord(store, r);
  assert.equal(r.q, 1);
  assert.ok(flash.read(copyName(1)), "sequence 1 goes to copy b");
  assert.equal(flash.read(copyName(0)), undefined);
  r.g = 1;
  r.f = "update 7 crashed: \"quoted\" and spaces";
  writeRecord(store, r);
  assert.ok(flash.read(copyName(0)), "sequence 2 goes to copy a");
  assert.deepEqual(readRecord(store), r);
  // The older copy is still whole, and it is not the record.
  assert.equal(JSON.parse((flash.read(copyName(1)) as string).split(" ")[0]).q, 1);
});

test("a write cut at any byte, or a copy gone, leaves the record before it or the one written", () => {
  const before = record(4, 0);
  const next: BootRecord = Object.assign({}, before, { t: 1, w: 200, h: 200 });
  const expected = Object.assign({}, next, { q: 5 });
  const text = recordText(expected);
  for (let bytes = 0; bytes <= text.length; bytes++) {
    const torn = new Flash(null, { [copyName(4)]: recordText(before), [copyName(5)]: recordText(record(3, 1)) });
    torn.cutPowerAt(1, bytes, "han.boot.", () => undefined);
    const tornStore = storeOn(torn);
    writeRecord(tornStore, Object.assign({}, next));
    const got = readRecord(tornStore);
    assert.deepEqual(got, bytes < text.length ? before : expected, "cut after " + bytes + " of " + text.length + " bytes");
  }
  // Espruino erases the old file before it writes the new one: in between, the other copy is the record.
  const gone = new Flash(null, { [copyName(4)]: recordText(before) });
  assert.deepEqual(readRecord(storeOn(gone)), before);
});

test("a copy whose text was changed after it was written is not taken", () => {
  const flash = new Flash(null);
  const store = storeOn(flash);
  store.writeStore(copyName(2), recordText(record(2, 0)));
  const newer = recordText(record(3, 1));
  // One bit cleared in the slot number, as a half-programmed byte would.
  store.writeStore(copyName(3), newer.replace("\"g\":1", "\"g\":0"));
  assert.equal(readRecord(store)?.g, 0);
  assert.equal(readRecord(store)?.q, 2, "the damaged copy with the higher sequence number is ignored");
});

test("npm run flash's layout: the loader, the firmware in slot 0, both copies naming it as the update given", () => {
  const files = slotLayout("LOADER", "FIRMWARE", 1764000000);
  assert.deepEqual(files.map((f) => f.name), [".bootcde", slotName(0), copyName(0), copyName(1)]);
  const flash = new Flash(null, Object.fromEntries(files.map((f) => [f.name, f.data])));
  const r = readRecord(storeOn(flash));
  assert.deepEqual(r, { q: 0, g: 0, v: 1764000000, t: -1, w: 0, n: 0, m: 0, h: 1764000000, f: "", l: 0 });
  assert.equal(flash.read(".bootcde"), "LOADER");
  assert.equal(flash.read(slotName(0)), "FIRMWARE");
});
