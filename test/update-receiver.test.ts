// The device's side of a firmware update (lib/update/receiver.ts), against the host's messages
// (scripts/update.ts) and a flash that writes as Espruino's does (scripts/emulator/storage.ts): the image goes into
// the slot that does not run, is verified whole at commit and only then named the slot on trial; every image that
// is forged, for another device, replayed, cut short or altered is refused, counted and answered, and switches
// nothing. On trial, the new firmware makes itself the working one only once it has proved itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Flash, fileRange } from "../scripts/emulator/storage";
import { FakeClock } from "./support/fake-clock";
import { startUpdates, type Updater } from "../lib/update/receiver";
import { readRecord, recordText, copyName, slotName, type BootRecord } from "../lib/update/record";
import { beginMessage, chunkMessage, type DeviceState } from "../scripts/update";
import type { Device, Platform } from "../lib/device";

const SECRET = "cabinet-secret-0123456789";
const INSTALLED = 1764000000;
const sha256 = (s: string) => createHash("sha256").update(Buffer.from(s, "latin1")).digest("latin1");

interface Harness {
  u: Updater;
  flash: Flash;
  clock: FakeClock;
  logs: string[];
  answers: DeviceState[];
  counters: { readings: number; bytes_in: number };
  link: { up: boolean };
  reboots: () => number;
  send: (message: string | Buffer) => DeviceState;
  record: () => BootRecord | null;
}

function installed(extra?: Partial<BootRecord>): BootRecord {
  return Object.assign({ q: 0, g: 0, v: INSTALLED, t: -1, w: 0, n: 0, m: 0, h: INSTALLED, f: "", l: 0 }, extra);
}

function harness(o: { slot?: number | null; secret?: string | null; record?: BootRecord; free?: number }): Harness {
  const r = o.record || installed();
  const flash = new Flash(null, { [slotName(r.g)]: "old firmware", [copyName(r.q)]: recordText(r) });
  const clock = new FakeClock();
  const logs: string[] = [];
  const answers: DeviceState[] = [];
  const counters = { readings: 0, bytes_in: 0 };
  const link = { up: true };
  let reboots = 0;
  const platform = {
    clock,
    slot: o.slot === null ? undefined : o.slot === undefined ? r.g : o.slot,
    // As on the ESP32: a string read from Storage holds at most 65,535 bytes.
    readStore: (name: string, offset?: number, length?: number) => {
      const text = flash.read(name);
      return text === undefined ? undefined : fileRange(text, offset, length).substr(0, 65535);
    },
    writeStore: (name: string, text: string, offset?: number, size?: number) => {
      const error = flash.writeFile(name, text, offset || 0, size || 0);
      if (error) throw new Error(error);
    },
    sha256,
    memory: () => ({ free: o.free === undefined ? 8000 : o.free, total: 12000 }),
    reboot: () => { reboots++; },
  } as unknown as Platform;
  const device = { decoder: { counters }, publisher: { log: (t: string) => { logs.push(t); } },
    client: { isConnected: () => link.up } } as unknown as Device;
  const u = startUpdates(platform, device, "dev-a", o.secret === null ? undefined : o.secret || SECRET, "0.1.0",
    (json) => { answers.push(JSON.parse(json)); });
  const store = { readStore: platform.readStore, writeStore: platform.writeStore };
  return {
    u, flash, clock, logs, answers, counters, link, reboots: () => reboots,
    send: (message) => {
      const before = answers.length;
      u.handle(typeof message === "string" ? message : message.toString("latin1"));
      assert.equal(answers.length, before + 1, "one answer per message");
      return answers[answers.length - 1];
    },
    record: () => readRecord(store),
  };
}

const IMAGE = Buffer.from("print('new firmware');" + "x".repeat(5000), "latin1");

/** Sends the whole image as the host does, chunk by chunk, as big as the device asks. */
function sendAll(h: Harness, image: Buffer, chunk: number, upTo?: number): void {
  let at = 0;
  while (at < (upTo === undefined ? image.length : upTo)) {
    const a = h.send(chunkMessage(image, at, chunk));
    assert.equal(a.state, "receiving", JSON.stringify(a));
    assert.ok(a.at > at);
    at = a.at;
  }
}

test("an image longer than the longest string the device holds (a script with its parts) is verified piece by " +
  "piece, and one altered byte in its last piece is refused", () => {
  const big = Buffer.from("x".repeat(100000), "latin1");
  const h = harness({});
  h.send(beginMessage("dev-a", SECRET, INSTALLED + 60, big));
  sendAll(h, big, 2048);
  assert.equal(h.send(JSON.stringify({ op: "commit" })).state, "verified");
  const altered = Buffer.from(big);
  altered[99999] ^= 1;
  const other = harness({});
  other.send(beginMessage("dev-a", SECRET, INSTALLED + 60, big));
  sendAll(other, altered, 2048);
  const refused = other.send(JSON.stringify({ op: "commit" }));
  assert.deepEqual([refused.state, refused.why], ["refused", "the image does not match its signed SHA-256 (forged or damaged)"]);
});

test("a signed image goes into the other slot, is verified at commit and started on trial in the meter's pause", () => {
  const h = harness({});
  const status = h.send(JSON.stringify({ op: "status" }));
  assert.deepEqual([status.state, status.running, status.highest, status.trial, status.chunk], ["idle", INSTALLED, INSTALLED, false, 2048]);
  const update = INSTALLED + 60;
  const began = h.send(beginMessage("dev-a", SECRET, update, IMAGE));
  assert.deepEqual([began.state, began.update, began.at], ["receiving", update, 0]);
  h.counters.readings = 3;
  sendAll(h, IMAGE, began.chunk);
  assert.equal(h.flash.read(slotName(1)), IMAGE.toString("latin1"));
  assert.equal(h.record()?.t, -1, "nothing switches before commit");
  const verified = h.send(JSON.stringify({ op: "commit" }));
  assert.equal(verified.state, "verified");
  assert.deepEqual(h.record(), Object.assign(installed({ t: 1, w: update, m: 1, h: update }), { q: 1 }));
  assert.equal(h.flash.read(slotName(0)), "old firmware", "the running slot is untouched");
  // The restart waits for a reading, however long the meter takes within 15 s, from a short burst of bytes
  // followed by quiet: the longest pause there is before the next frame.
  const burst = (ms: number, readings: number): void => {
    for (let t = 0; t < ms; t += 100) {
      h.counters.bytes_in += 20;
      h.clock.advance(100);
    }
    h.counters.readings += readings;
  };
  h.clock.advance(5000);
  burst(300, 0);
  h.clock.advance(1000);
  assert.equal(h.reboots(), 0, "not after bytes without a reading");
  burst(1300, 2);
  h.clock.advance(1000);
  assert.equal(h.reboots(), 0, "not after two lists back to back: the next frame may be close");
  burst(300, 1);
  h.clock.advance(200);
  assert.equal(h.reboots(), 0, "not before the line is quiet");
  h.clock.advance(200);
  assert.equal(h.reboots(), 1);
  assert.equal(h.u.refused, 0);
  assert.deepEqual(h.logs, ["update " + update + " verified: restarting into it, on trial"]);
});

test("on a device that never read its meter the restart comes at once, and the new firmware need not read it", () => {
  const h = harness({});
  h.send(beginMessage("dev-a", SECRET, INSTALLED + 1, IMAGE));
  sendAll(h, IMAGE, 1024);
  assert.equal(h.send(JSON.stringify({ op: "commit" })).state, "verified");
  assert.equal(h.record()?.m, 0);
  h.clock.advance(200);
  assert.equal(h.reboots(), 0, "its answer goes out first");
  h.clock.advance(200);
  assert.equal(h.reboots(), 1);
});

test("a meter that sends only long bursts: the restart comes after one once 15 s have passed", () => {
  const h = harness({});
  h.counters.readings = 1;
  h.send(beginMessage("dev-a", SECRET, INSTALLED + 1, IMAGE));
  sendAll(h, IMAGE, 2048);
  h.send(JSON.stringify({ op: "commit" }));
  for (let s = 0; s < 20 && h.reboots() === 0; s++) {
    for (let t = 0; t < 1000; t += 100) {
      h.counters.bytes_in += 20;
      h.clock.advance(100);
    }
    h.counters.readings++;
    assert.equal(h.reboots(), 0, "not while bytes come in");
    h.clock.advance(500);
    assert.equal(h.reboots() > 0, s >= 9, "after the burst ending at " + (s + 1) * 1.5 + " s");
  }
});

test("a repeated or stray chunk is not written again; the answer says where the device is", () => {
  const h = harness({});
  h.send(beginMessage("dev-a", SECRET, INSTALLED + 5, IMAGE));
  assert.equal(h.send(chunkMessage(IMAGE, 0, 1000)).at, 1000);
  // The broker hands a QoS 1 chunk over again after a reconnect: written once only (the flash would refuse it).
  assert.equal(h.send(chunkMessage(IMAGE, 0, 1000)).at, 1000);
  assert.equal(h.send(chunkMessage(IMAGE, 3000, 1000)).at, 1000);
  assert.equal(h.send(chunkMessage(IMAGE, 1000, 1000)).at, 2000);
  assert.equal(h.u.refused, 0);
  // After a restart of the device there is no transfer: a chunk is answered with "idle", once a second at most.
  const fresh = harness({});
  assert.equal(fresh.send(chunkMessage(IMAGE, 0, 1000)).state, "idle");
  for (let i = 0; i < 9; i++) fresh.u.handle(chunkMessage(IMAGE, 0, 1000).toString("latin1"));
  assert.equal(fresh.answers.length, 1, "a flood of stray chunks gets one answer");
  fresh.clock.advance(1000);
  assert.equal(fresh.send(chunkMessage(IMAGE, 0, 1000)).state, "idle");
  assert.equal(fresh.flash.read(slotName(1)), undefined);
});

test("forged, other-device, replayed, cut-short and altered images are refused and counted, and switch nothing", () => {
  const h = harness({});
  const refusals: [string, () => void, RegExp][] = [
    ["forged", () => h.send(beginMessage("dev-a", "another-secret-0123456", INSTALLED + 9, IMAGE)), /wrong signature/],
    ["for another device", () => h.send(beginMessage("dev-b", SECRET, INSTALLED + 9, IMAGE)), /signed for another device, not dev-a/],
    ["replayed", () => h.send(beginMessage("dev-a", SECRET, INSTALLED, IMAGE)),
      new RegExp("update " + INSTALLED + " is not newer than " + INSTALLED + " \\(a replay\\?\\)")],
    ["cut short", () => {
      h.send(beginMessage("dev-a", SECRET, INSTALLED + 9, IMAGE));
      sendAll(h, IMAGE, 2048, 4000);
      h.send(JSON.stringify({ op: "commit" }));
    }, /cut short: 4096 of 5022 bytes arrived/],
    ["altered", () => {
      const altered = Buffer.from(IMAGE);
      altered[4500] ^= 1;
      h.send(beginMessage("dev-a", SECRET, INSTALLED + 10, IMAGE));
      sendAll(h, altered, 2048);
      h.send(JSON.stringify({ op: "commit" }));
    }, /does not match its signed SHA-256/],
    ["not JSON", () => h.send("{nope"), /not JSON/],
    ["an unknown op", () => h.send(JSON.stringify({ op: "install" })), /op is none of status, begin, commit/],
    ["too long", () => h.send(beginMessage("dev-a", SECRET, INSTALLED + 11, Buffer.alloc(262145))),
      /begin needs update 1-999999999999, length 1-262144, sha256 and mac of 64 hex digits/],
    ["a commit of nothing", () => h.send(JSON.stringify({ op: "commit" })), /no update under way/],
  ];
  refusals.forEach(([what, act, why], i) => {
    act();
    const last = h.answers[h.answers.length - 1];
    assert.equal(last.state, "refused", what);
    assert.match(last.why || "", why, what);
    assert.equal(h.u.refused, i + 1, what + " counted");
    assert.match(h.logs[h.logs.length - 1], why, what + " logged");
  });
  assert.deepEqual(h.record(), installed(), "the record is as installed");
  assert.equal(h.reboots(), 0);
  // A flood of the same refusal is counted every time, logged once and answered once a second.
  const logged = h.logs.length;
  const answered = h.answers.length;
  for (let i = 0; i < 50; i++) {
    h.u.handle(beginMessage("dev-a", "another-secret-0123456", INSTALLED + 9, IMAGE));
    h.clock.advance(100);
  }
  assert.equal(h.u.refused, refusals.length + 50);
  assert.equal(h.logs.length, logged + 1);
  assert.equal(h.answers.length, answered + 6, "the first, then one a second over 5 s");
});

test("no update begins without the loader, without a secret, or while one is on trial", () => {
  const begin = beginMessage("dev-a", SECRET, INSTALLED + 1, IMAGE);
  assert.equal(harness({ slot: null }).send(begin).why, "no update loader: install it once over USB (npm run flash)");
  assert.equal(harness({ secret: null }).send(begin).why, "remote.secret is not set");
  const onTrial = harness({ record: installed({ t: 1, w: INSTALLED - 1, n: 1 }), slot: 0 });
  assert.equal(onTrial.send(begin).why, "update " + (INSTALLED - 1) + " is on trial");
});

test("on trial, the new firmware becomes the working one once it reached the broker and, as its predecessor did, " +
  "read the meter", () => {
  const update = INSTALLED + 30;
  const h = harness({ record: installed({ q: 3, t: 1, w: update, n: 1, m: 1, h: update }), slot: 1 });
  assert.equal(h.u.running, update);
  h.link.up = false;
  h.counters.readings = 2;
  h.clock.advance(30000);
  assert.equal(h.record()?.t, 1, "not without the broker");
  h.link.up = true;
  h.counters.readings = 0;
  h.clock.advance(30000);
  assert.equal(h.record()?.t, 1, "not without a reading");
  h.counters.readings = 1;
  h.clock.advance(2000);
  assert.deepEqual(h.record(), installed({ q: 4, g: 1, v: update, t: -1, w: update, n: 0, m: 1, h: update }));
  assert.equal(h.answers[h.answers.length - 1].state, "confirmed");
  assert.deepEqual(h.logs, ["update " + update + " proved itself: han-reader 0.1.0"]);
});

test("the firmware the loader went back to logs the failed update once", () => {
  const why = "update 5 crashed while it booted: Error: boom; back to update 4";
  const h = harness({ record: installed({ q: 7, f: why, l: 1 }) });
  assert.deepEqual(h.logs, ["update failed: " + why]);
  assert.deepEqual([h.record()?.l, h.record()?.f], [0, why]);
  assert.equal(h.send(JSON.stringify({ op: "status" })).failed, why);
  assert.deepEqual(harness({ record: installed({ q: 8, f: why, l: 0 }) }).logs, []);
});

test("the chunk the device asks for shrinks with its free memory", () => {
  const sizes = [8000, 1500, 700, 100].map((free) => harness({ free }).send(JSON.stringify({ op: "status" })).chunk);
  assert.deepEqual(sizes, [2048, 1024, 512, 256]);
});
