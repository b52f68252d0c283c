// The kept-message ring (lib/mqtt/kept-ring.ts) on the emulator's model of Espruino's Storage
// (scripts/emulator/storage.ts: writes only into erased bytes, files made anew at offset 0, power cuts that leave a
// write cut short with its last byte half-programmed): what it keeps survives restarts and power cuts at every
// byte of every write, a message is handed out once per boot and never again once done, an outage longer than the
// ring holds drops the oldest and counts them, and the flash wear it causes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Flash } from "../scripts/emulator/storage";
import { keptRing } from "../lib/mqtt/kept-ring";
import type { KeptStore, OutMessage } from "../lib/mqtt/queue";

const HOUR = 3600000;
const RING = "han.kept";

/** One boot of the device: the ring over the flash. Once the power is cut, nothing it writes reaches the flash. */
interface Boot { ring: KeptStore; off: boolean }

function powerUp(flash: Flash): Boot {
  const b: Boot = { ring: null as unknown as KeptStore, off: false };
  // Storage refuses a name that is empty or longer than 28 characters.
  const named = (name: string): string => {
    if (name.length < 1 || name.length > 28) throw new Error("Storage: bad name \"" + name + "\"");
    return name;
  };
  b.ring = keptRing({
    readStore: (name) => flash.read(named(name)),
    writeStore: (name, data, offset, size) => {
      named(name);
      if (b.off) return;
      const error = flash.writeFile(name, data, offset || 0, size || 0);
      if (error) throw new Error(error);
    },
  });
  return b;
}

/** The power goes during the ring's `nth` write from now, `bytes` into it. */
function cutAt(flash: Flash, b: Boot, nth: number, bytes: number): void {
  flash.cutPowerAt(nth, bytes, RING, () => { b.off = true; });
}

/** An hourly energy message as the publisher makes it, for hour `h` after 2024-01-15 00:00Z; `pad` bytes more. */
function energy(h: number, pad?: number): OutMessage {
  const end = new Date(Date.UTC(2024, 0, 15) + h * HOUR).toISOString().replace(".000Z", "Z");
  const start = new Date(Date.UTC(2024, 0, 15) + (h - 1) * HOUR).toISOString().replace(".000Z", "Z");
  const payload = JSON.stringify({ ts: end.replace(":00Z", ":09Z"), meter_time: end.replace("Z", ""),
    hour_start: start, hour_end: end, active_energy_import: 12345678 + h * 1234, active_energy_export: 0,
    reactive_energy_import: 234567 + h * 56, reactive_energy_export: 345678 + h * 7 }) + "x".repeat(pad || 0);
  return { topic: "han/esp32-4a2f18/energy", payload: payload, qos: 1, retain: true, keep: true };
}

/** A message as handed out, without the packet identifier and the PUBREC state the ring adds. */
function plain(m: OutMessage | null): OutMessage | null {
  if (m === null) return null;
  const { id: _id, rel: _rel, ...rest } = m;
  return rest;
}

/** Everything the ring hands out, without marking any of it done. */
function handOut(b: Boot): string[] {
  const out: string[] = [];
  for (let m = b.ring.next(); m !== null; m = b.ring.next()) out.push(m.payload);
  return out;
}

/** Hands out and marks done everything pending, as a broker that acknowledges all. */
function deliver(b: Boot): string[] {
  const out: string[] = [];
  for (let m = b.ring.next(); m !== null; m = b.ring.next()) {
    out.push(m.payload);
    b.ring.done(m);
  }
  return out;
}

/** Bytes the ring writes for `msg`: measured on a scratch flash (the first add also starts a file). */
function recordBytes(msg: OutMessage): number {
  const flash = new Flash(null);
  const b = powerUp(flash);
  b.ring.add({ topic: "t", payload: "", qos: 1, retain: false, keep: true });
  const before = flash.bytesWritten;
  b.ring.add(msg);
  return flash.bytesWritten - before;
}

test("kept messages survive restarts exactly as added; handed out once per boot, never again once done", () => {
  const flash = new Flash(null);
  const b1 = powerUp(flash);
  const binary: OutMessage = { topic: "t/\u00e6", payload: "\x00\xff\x80\r\n\"\\", qos: 0, retain: false, keep: true };
  b1.ring.add(energy(1));
  b1.ring.add(binary);
  b1.ring.add(energy(2));
  const first = b1.ring.next() as OutMessage;
  assert.equal(first.payload, energy(1).payload);
  b1.ring.done(first);
  assert.deepEqual(plain(b1.ring.next()), binary);
  assert.deepEqual(plain(b1.ring.next()), energy(2));
  assert.equal(b1.ring.next(), null, "each is handed out once per boot");

  // Restart: what was handed out and not done comes again, in order; what was done does not.
  const b2 = powerUp(flash);
  assert.deepEqual([b2.ring.next(), b2.ring.next(), b2.ring.next()].map(plain), [binary, energy(2), null]);
  assert.equal(b2.ring.dropped, 0);
  assert.deepEqual(flash.list(), [RING + "1"]);
});

test("a power cut at every byte of a record's write loses no message already kept and hands out no torn one",
  () => {
    const length = recordBytes(energy(3));
    for (let k = 0; k <= length; k++) {
      const flash = new Flash(null);
      const b1 = powerUp(flash);
      b1.ring.add(energy(1));
      b1.ring.add(energy(2));
      assert.deepEqual(deliver(b1).length, 2);
      b1.ring.add(energy(3));
      b1.ring.add(energy(4));
      cutAt(flash, b1, 1, k);
      b1.ring.add(energy(5));
      assert.equal(b1.off, true);

      const b2 = powerUp(flash);
      const expected = [energy(3).payload, energy(4).payload].concat(k >= length ? [energy(5).payload] : []);
      assert.deepEqual(handOut(b2), expected, "cut " + k + " bytes into " + length);
      // What the cut left is never written over: the next record goes on, and all of it survives the next restart.
      b2.ring.add(energy(6));
      assert.equal(b2.ring.dropped, 0, "cut at " + k);
      const b3 = powerUp(flash);
      assert.deepEqual(handOut(b3), expected.concat([energy(6).payload]), "after the next restart, cut at " + k);
    }
  });

test("a power cut while marking a message delivered: the mark counts, so it is not sent again", () => {
  for (const bytes of [0, 1]) {
    const flash = new Flash(null);
    const b1 = powerUp(flash);
    b1.ring.add(energy(1));
    b1.ring.add(energy(2));
    const m = b1.ring.next() as OutMessage;
    cutAt(flash, b1, 1, bytes);
    b1.ring.done(m);
    assert.equal(b1.off, true);
    assert.deepEqual(handOut(powerUp(flash)), [energy(2).payload], "cut " + bytes + " bytes into the mark");
  }
  // Without the mark (the power gone between the PUBACK and its write) the message goes again after the restart,
  // with its hour label: the one window where a subscriber can see an hour twice.
  const flash = new Flash(null);
  const b = powerUp(flash);
  b.ring.add(energy(1));
  b.ring.next();
  assert.deepEqual(handOut(powerUp(flash)), [energy(1).payload]);
});

let fullAfter = 0;

/** How many 4 KB messages a file takes: the add after them starts a new one. */
function fileHolds(): number {
  if (fullAfter > 0) return fullAfter;
  const flash = new Flash(null);
  const b = powerUp(flash);
  for (let h = 1; ; h++) {
    const before = flash.writes;
    b.ring.add(energy(h, 4000));
    if (h > 1 && flash.writes - before > 1) {
      fullAfter = h - 1;
      return fullAfter;
    }
  }
}

/** A ring one add short of a new file, with large messages (4 KB) so that a file fills after a few dozen; two of
 *  every three delivered. Returns the boot, the payloads still pending, and the message whose add starts a new
 *  file. */
function nearlyFull(flash: Flash): { b: Boot; pending: string[]; next: OutMessage } {
  const b = powerUp(flash);
  const pending: string[] = [];
  const n = fileHolds();
  for (let h = 1; h <= n; h++) {
    b.ring.add(energy(h, 4000));
    const m = b.ring.next() as OutMessage;
    if (h % 3 === 0) pending.push(m.payload);
    else b.ring.done(m);
  }
  return { b: b, pending: pending, next: energy(n + 1, 4000) };
}

test("a power cut at any write of a new file (each copy, its generation record, the record after): every " +
  "message not yet delivered survives exactly once, in order", () => {
  const reference = new Flash(null);
  const ref = nearlyFull(reference);
  const before = reference.writes;
  ref.b.ring.add(ref.next);
  const writes = reference.writes - before;
  assert.equal(writes, ref.pending.length + 1 + 1, "the copies, the generation record, then the record");
  assert.deepEqual(handOut(powerUp(reference)), ref.pending.concat([ref.next.payload]));
  const length = recordBytes(ref.next);
  for (let nth = 1; nth <= writes; nth++) {
    for (const bytes of [0, 5, 2000, 1e6]) {
      const flash = new Flash(null);
      const s = nearlyFull(flash);
      cutAt(flash, s.b, nth, bytes);
      s.b.ring.add(s.next);
      const kept = nth === writes && bytes >= length;
      const expected = s.pending.concat(kept ? [s.next.payload] : []);
      const b2 = powerUp(flash);
      assert.deepEqual(handOut(b2), expected, "cut at write " + nth + " of " + writes + ", " + bytes + " bytes in");
      b2.ring.add(energy(999));
      assert.equal(b2.ring.dropped, 0);
      assert.deepEqual(handOut(powerUp(flash)), expected.concat([energy(999).payload]),
        "after the next restart; cut at write " + nth + ", " + bytes + " bytes in");
    }
  }
});

test("messages in flight while a new file starts are marked in the new file when their PUBACK comes", () => {
  const flash = new Flash(null);
  const s = nearlyFull(flash);
  // After a restart the pending ones are handed out again, and are in flight when the next add starts a new file.
  const b = powerUp(flash);
  const inFlight: OutMessage[] = [];
  for (let m = b.ring.next(); m !== null; m = b.ring.next()) inFlight.push(m);
  assert.deepEqual(inFlight.map((m) => m.payload), s.pending);
  const before = flash.writes;
  b.ring.add(s.next);
  assert.ok(flash.writes - before > 1, "no new file");
  assert.deepEqual(handOut(b), [s.next.payload], "the copies are not handed out again in the same boot");
  for (const m of inFlight) b.ring.done(m);
  assert.deepEqual(handOut(powerUp(flash)), [s.next.payload]);
});

test("an outage longer than the ring holds: the oldest go first, counted; at least 7 days of hourly values stay",
  () => {
    const flash = new Flash(null);
    const b = powerUp(flash);
    const hours = 15 * 24;
    // The oldest is in flight when it is dropped: its late PUBACK marks nothing else.
    b.ring.add(energy(0));
    const oldest = b.ring.next() as OutMessage;
    for (let h = 1; h <= hours; h++) b.ring.add(energy(h));
    b.ring.done(oldest);
    const kept = handOut(powerUp(flash));
    const all = [energy(0).payload];
    for (let h = 1; h <= hours; h++) all.push(energy(h).payload);
    assert.ok(b.ring.dropped > 0, "nothing dropped in 15 days");
    assert.equal(b.ring.dropped + kept.length, all.length, "each message either kept or counted as dropped");
    assert.deepEqual(kept, all.slice(all.length - kept.length), "the newest kept, in order");
    assert.ok(kept.length >= 7 * 24, kept.length + " hourly values kept");
    assert.deepEqual(flash.list(), [RING + "0", RING + "1"], "two files, whatever the outage");
    for (const name of flash.list()) assert.equal((flash.read(name) as string).length, 98304);
    console.log("kept-ring: an hourly value takes " + recordBytes(energy(1)) + " bytes; after 15 days away " +
      kept.length + " stay (" + (kept.length / 24).toFixed(1) + " days), " + b.ring.dropped + " dropped");
  });

test("flash wear: an hourly value kept and delivered every hour for 120 days, next to the firmware's files", () => {
  // The firmware's own files take their share of Storage, which brings compaction sooner.
  const flash = new Flash(null, { ".bootcde": "f".repeat(65000), "han.fw1": "f".repeat(65000),
    "han.json": "{}".repeat(200) });
  const b = powerUp(flash);
  const days = 120;
  const writes = flash.writes;
  const bytes = flash.bytesWritten;
  for (let h = 1; h <= days * 24; h++) {
    b.ring.add(energy(h));
    assert.equal(deliver(b).length, 1);
  }
  const perDay = (flash.writes - writes) / days;
  const bytesPerDay = (flash.bytesWritten - bytes) / days;
  // Two writes an hour (the record, its mark) and a new file now and then.
  assert.ok(perDay > 48 && perDay < 49.5, perDay + " writes a day");
  assert.ok(flash.compactions >= 1, "no compaction in " + days + " days");
  const years = 10;
  const erasesPerSector = flash.compactions / days * 365 * years;
  assert.ok(erasesPerSector < 1000, erasesPerSector + " erase cycles per sector in 10 years");
  console.log("kept-ring: " + perDay.toFixed(2) + " Storage writes a day, " + Math.round(bytesPerDay) +
    " bytes programmed a day; " + flash.compactions + " compaction(s) in " + days + " days, so about " +
    Math.round(erasesPerSector) + " erase cycles per flash sector in " + years + " years (of ~100,000)");
});

test("QoS 2: a message keeps its packet identifier across restarts, and whether the broker has it", () => {
  const flash = new Flash(null);
  const b1 = powerUp(flash);
  const q2 = (h: number): OutMessage => Object.assign(energy(h), { qos: 2 });
  b1.ring.add(q2(1));
  b1.ring.add(q2(2));
  const [m1, m2] = [b1.ring.next() as OutMessage, b1.ring.next() as OutMessage];
  assert.ok((m1.id as number) >= 0x8000 && (m2.id as number) >= 0x8000 && m1.id !== m2.id, m1.id + " " + m2.id);
  assert.deepEqual([m1.qos, m1.rel, m2.rel], [2, false, false]);
  b1.ring.received(m1);
  // After a restart: the same identifiers; the first is known to be with the broker, so only its release goes.
  const b2 = powerUp(flash);
  const again = [b2.ring.next() as OutMessage, b2.ring.next() as OutMessage];
  assert.deepEqual(again.map((m) => [m.payload, m.id, m.rel]), [[m1.payload, m1.id, true], [m2.payload, m2.id, false]]);
  // Its identifier is its record's CRC, which a new file copies with it.
  const b3 = powerUp(flash);
  const first = b3.ring.next() as OutMessage;
  assert.deepEqual([first.id, first.rel], [m1.id, true]);
  b3.ring.done(first);
  assert.deepEqual(handOut(powerUp(flash))[0], m2.payload, "done after the PUBCOMP");
});

test("the last message kept again after a restart is taken once; after a power cut tore its record, it is kept anew",
  () => {
    const flash = new Flash(null);
    const b1 = powerUp(flash);
    b1.ring.add(energy(1));
    b1.ring.add(energy(2));
    const writes = flash.writes;
    const b2 = powerUp(flash);
    b2.ring.add(energy(2));
    assert.equal(flash.writes, writes, "the record it ends with");
    assert.deepEqual(handOut(powerUp(flash)), [energy(1).payload, energy(2).payload]);
    // energy(3) torn 100 bytes into its record: kept again at the next start (lib/publish/publisher.ts keepLast).
    const b3 = powerUp(flash);
    cutAt(flash, b3, 1, 100);
    b3.ring.add(energy(3));
    const b4 = powerUp(flash);
    assert.deepEqual(handOut(b4), [energy(1).payload, energy(2).payload]);
    b4.ring.add(energy(3));
    assert.deepEqual(handOut(powerUp(flash)), [energy(1).payload, energy(2).payload, energy(3).payload]);
  });
