// Commands on <base>/cmd: each accepted one acts. reboot and set never run unsigned; diag and identify do, each at
// most once every 2 s; a retained command never runs; a wrong HMAC, a command signed for another device, a replay,
// a counter far from the device's clock, or a configuration change while disabled is refused, counted, and never
// applied, and each kind of refusal is logged once until a command is accepted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { Commands, handleCommand, signPayload, signedPart } from "../lib/remote/commands";
import { hmacSha256 } from "../lib/remote/hmac";
import { toBytes, toHex } from "../lib/bytes";
import { applyChanges, validateConfig } from "../lib/config/validate";
import { commandPayload } from "../scripts/command";

const sha256 = (s: string) => createHash("sha256").update(Buffer.from(s, "latin1")).digest("latin1");
const SECRET = "installer-secret-0123456789";
const BASE = "han/cabinet-a";
/** The device's clock, set by SNTP. */
const NOW = Date.parse("2026-03-01T12:00:00Z");
const MINUTE = 60000;
const COUNTER_FILE = "han.cmdctr";

function setup(configChanges: boolean, secret: string | undefined, base = BASE) {
  const clock = { ms: NOW, now() { return this.ms; } };
  const files: Record<string, string> = {};
  const configured: { [path: string]: unknown }[] = [];
  const acted: string[] = [];
  const logs: string[] = [];
  const handler: Commands = { accepted: 0, refused: 0, logged: 0, ranAt: {}, o: { secret, configChanges, base, sha256, clock,
    store: { readStore: (name) => files[name], writeStore: (name, text) => { files[name] = text; } },
    log: (t) => logs.push(t) }, actions: {
    diag: () => acted.push("diag"),
    identify: () => acted.push("identify"),
    reboot: () => acted.push("reboot"),
    configure: (changes) => {
      configured.push(changes);
      if ("han.baud" in changes && changes["han.baud"] === 1234) return ["han.baud: must be one of auto, 2400"];
      acted.push("set " + JSON.stringify(changes));
      return [];
    },
  } };
  /** A command signed for this device, with a counter in ms. */
  const signed = (cmd: string, counter: number, changes?: unknown) =>
    signPayload(sha256, SECRET, JSON.stringify({ cmd, counter, changes }), base);
  const send = (payload: string) => handleCommand(handler, payload, false);
  const refusals = () => logs.filter((l) => l.startsWith("command refused"));
  return { handler, acted, logs, signed, send, refusals, clock, files, configured };
}

test("the HMAC is RFC 2104 HMAC-SHA256, short and long keys alike", () => {
  for (const key of ["k", SECRET, "x".repeat(100)]) {
    const msg = '{"cmd":"set","counter":7,"changes":{"output.rawTopic":true}}';
    assert.equal(toHex(toBytes(hmacSha256(sha256, key, msg))), createHmac("sha256", Buffer.from(key, "latin1"))
      .update(Buffer.from(msg, "latin1")).digest("hex"));
  }
});

test("diag and identify act unsigned; a signed reboot and a signed change act, and the counter is stored as its digits",
  () => {
    const s = setup(true, SECRET);
    assert.ok(s.send('{"cmd":"diag"}'));
    assert.ok(s.send('{"cmd":"identify"}'));
    assert.ok(s.send(s.signed("reboot", NOW - 5000)));
    assert.ok(s.send(s.signed("set", NOW - 4000, { "output.rawTopic": true })));
    assert.deepEqual(s.acted, ["diag", "identify", "reboot", 'set {"output.rawTopic":true}']);
    assert.equal(s.handler.accepted, 4);
    assert.equal(s.handler.refused, 0);
    assert.equal(s.files[COUNTER_FILE], String(NOW - 4000));
  });

test("item 1: without a secret, reboot and set never run: refused, counted, one log line for a flood", () => {
  const s = setup(true, undefined);
  for (let i = 0; i < 100; i++) {
    assert.equal(s.send('{"cmd":"reboot"}'), false);
    assert.equal(s.send(JSON.stringify({ cmd: "set", changes: { "output.rawTopic": true } })), false);
  }
  assert.deepEqual(s.acted, []);
  assert.equal(s.handler.refused, 200);
  assert.deepEqual(s.refusals(), ["command refused: reboot is never run unsigned; remote.secret is not set"]);

  const withSecret = setup(true, SECRET);
  for (let i = 0; i < 100; i++) assert.equal(withSecret.send('{"cmd":"reboot","counter":' + (NOW + i) + "}"), false);
  assert.deepEqual(withSecret.acted, []);
  assert.deepEqual(withSecret.refusals(), ["command refused: reboot unsigned: no hmac member at its end"]);
  // An accepted command makes the next refusal of that kind say so again.
  assert.ok(withSecret.send('{"cmd":"diag"}'));
  assert.equal(withSecret.send('{"cmd":"reboot"}'), false);
  assert.equal(withSecret.refusals().length, 2);
});

test("item 1: a retained command is never acted on, whatever it is; counted, logged once", () => {
  const s = setup(true, SECRET);
  const payloads = ['{"cmd":"diag"}', '{"cmd":"identify"}', s.signed("reboot", NOW), s.signed("set", NOW + 1,
    { "output.rawTopic": true })];
  for (let round = 0; round < 10; round++) {
    for (const payload of payloads) assert.equal(handleCommand(s.handler, payload, true), false, payload);
  }
  assert.deepEqual(s.acted, []);
  assert.equal(s.handler.refused, 40);
  assert.deepEqual(s.refusals(), ["command refused: a retained message on the command topic is never acted on"]);
  assert.equal(s.files[COUNTER_FILE], undefined, "a retained command uses up no counter");
});

test("item 1: 3,000 unsigned identify and diag at 1,000/s run once per 2 s each; the rest is counted, a line a burst",
  () => {
    const s = setup(true, SECRET);
    for (let i = 0; i < 3000; i++) {
      s.clock.ms = NOW + i;
      s.send(i % 2 === 0 ? '{"cmd":"identify"}' : '{"cmd":"diag"}');
    }
    assert.deepEqual(s.acted, ["identify", "diag", "identify", "diag"], "at 0 and 1 ms, at 2,000 and 2,001 ms");
    assert.equal(s.handler.refused, 2996);
    assert.deepEqual(s.refusals(), ["command refused: identify more often than every 2 s: dropped",
      "command refused: identify more often than every 2 s: dropped"]);
    // The device clock jumps back (SNTP correcting it): no wait of the jump's length follows.
    s.clock.ms = NOW - 3600000;
    assert.ok(s.send('{"cmd":"identify"}'));
  });

test("a wrong HMAC, a replay, an old counter, a disabled change are refused, counted, each kind logged once", () => {
  const s = setup(true, SECRET);
  const good = s.signed("set", NOW - 5, { "output.rawTopic": true });
  const tampered = JSON.parse(good);
  tampered.changes = { "output.rawTopic": false };
  const refused = [
    JSON.stringify(tampered),
    JSON.stringify({ ...JSON.parse(good), hmac: "00".repeat(32) }),
    JSON.stringify({ cmd: "reboot" }),
    "not json",
    '{"cmd":"format-flash"}',
  ];
  for (const payload of refused) assert.equal(s.send(payload), false, payload);
  assert.deepEqual(s.refusals(), [
    "command refused: set: wrong signature (another secret, or signed for another device)",
    "command refused: reboot unsigned: no hmac member at its end",
    "command refused: not JSON",
  ]);
  assert.ok(s.send(good));
  assert.equal(s.send(good), false, "replayed");
  assert.equal(s.send(s.signed("set", NOW - 6, { "output.rawTopic": true })), false, "older counter");
  assert.equal(s.handler.refused, refused.length + 2);
  assert.equal(s.acted.length, 1, "only the good command acted");
  assert.match(s.refusals().join("\n"), /set: counter \d+ already used \(replay\)/);

  const disabled = setup(false, SECRET);
  assert.equal(disabled.send(disabled.signed("set", NOW, { "output.rawTopic": true })), false);
  assert.match(disabled.logs[0], /disabled/);
  assert.equal(disabled.acted.length, 0);

  const noSecret = setup(true, "");
  assert.equal(noSecret.send(s.signed("set", NOW, { "output.rawTopic": true })), false);
  assert.equal(noSecret.send(s.signed("reboot", NOW)), false, "no secret: no signed command either");
});

test("a signed change that fails validation is refused with the field named, and nothing is applied", () => {
  const s = setup(true, SECRET);
  assert.equal(s.send(s.signed("set", NOW, { "han.baud": 1234 })), false);
  assert.match(s.logs[0], /han\.baud: must be one of/);
  assert.equal(s.acted.length, 0);
  assert.ok(!s.logs.join("").includes(SECRET));
});

test("item 5: a command signed for one device is refused by another that shares the secret", () => {
  const a = setup(true, SECRET, "han/dongle-a");
  const b = setup(true, SECRET, "han/dongle-b");
  const forA = commandPayload("set", { "output.rawTopic": true }, SECRET, NOW, "han/dongle-a");
  assert.ok(a.send(forA), a.logs.join("\n"));
  assert.equal(b.send(forA), false);
  assert.deepEqual(b.acted, []);
  assert.match(b.logs[0], /set: wrong signature/);
  assert.ok(b.send(commandPayload("set", { "output.rawTopic": true }, SECRET, NOW, "han/dongle-b")));
  // What is signed: the base topic, a newline, the command without its hmac member.
  const hmac = JSON.parse(forA).hmac;
  assert.equal(hmac, createHmac("sha256", SECRET).update("han/dongle-a\n" + signedPart(forA)).digest("hex"));
});

test("item 5: after a reinstall wiped the counter, a command signed over 10 minutes ago is refused; without a set " +
  "clock, every signed command waits", () => {
  const s = setup(true, SECRET);
  const captured = s.signed("reboot", NOW);
  const recent = s.signed("reboot", NOW + 1);
  assert.ok(s.send(captured));
  // The reinstall: Storage erased; the clock, set again by SNTP, has moved on.
  delete s.files[COUNTER_FILE];
  s.clock.ms = NOW + 10 * MINUTE + 2;
  assert.equal(s.send(captured), false);
  assert.match(s.logs[s.logs.length - 1], /reboot: counter \d+ is more than 10 minutes from the device's clock/);
  assert.equal(s.send(recent), false, "signed 10 minutes and 1 ms ago");
  assert.ok(s.send(s.signed("reboot", s.clock.ms)), "the owner's next command");
  assert.deepEqual(s.acted, ["reboot", "reboot"]);

  // What a reinstall leaves: a command signed under 10 minutes before it runs once more, then never.
  const soon = setup(true, SECRET);
  const recorded = soon.signed("reboot", NOW);
  assert.ok(soon.send(recorded));
  delete soon.files[COUNTER_FILE];
  soon.clock.ms = NOW + 5 * MINUTE;
  assert.ok(soon.send(recorded));
  assert.equal(soon.send(recorded), false);

  const unset = setup(true, SECRET);
  unset.clock.ms = 42000;
  assert.equal(unset.send(unset.signed("reboot", 41000)), false);
  assert.equal(unset.send(unset.signed("reboot", NOW)), false);
  assert.deepEqual(unset.refusals(), ["command refused: reboot: the clock is not set yet (SNTP)"]);
  assert.deepEqual(unset.acted, []);
});

test("item 10: counters that are not whole ms within 10 minutes of the clock are refused; 2^53 locks no one out; " +
  "a stored counter reads back as itself", () => {
  const s = setup(true, SECRET);
  for (const counter of [1e21, 2 ** 53, Number.MAX_SAFE_INTEGER, NOW + 10 * MINUTE + 1, NOW - 10 * MINUTE - 1,
    1, NOW + 0.5]) {
    assert.equal(s.send(s.signed("reboot", counter)), false, String(counter));
  }
  assert.equal(s.send(s.signed("reboot", "" + NOW as unknown as number)), false, "a counter in quotes");
  assert.equal(s.send(signPayload(sha256, SECRET, '{"cmd":"reboot","counter":1e999}', BASE)), false,
    "a counter JSON reads as Infinity");
  assert.equal(s.files[COUNTER_FILE], undefined);
  assert.deepEqual(s.acted, []);
  assert.ok(s.send(s.signed("reboot", NOW + 10 * MINUTE)), "10 minutes ahead: still accepted");
  assert.equal(s.files[COUNTER_FILE], String(NOW + 10 * MINUTE));
  assert.equal(s.send(s.signed("reboot", NOW + 10 * MINUTE)), false, "the stored counter, read back");
  s.clock.ms = NOW + 10 * MINUTE + 1;
  assert.ok(s.send(s.signed("reboot", s.clock.ms)), "the owner, 10 minutes later at most");

  // What an earlier firmware stored for 1e21 reads as no counter: the clock's floor applies.
  const old = setup(true, SECRET);
  old.files[COUNTER_FILE] = "1e+21";
  assert.equal(old.send(old.signed("reboot", NOW - 10 * MINUTE - 1)), false);
  assert.ok(old.send(old.signed("reboot", NOW)));
  assert.equal(old.files[COUNTER_FILE], String(NOW));
});

test("item 10: a change through __proto__, prototype or constructor is refused by validation, and no prototype " +
  "changes", () => {
  const raw = { wifi: { ssid: "x" }, mqtt: { url: "mqtt://b" } };
  assert.ok(validateConfig(raw).config);
  try {
    for (const path of ["__proto__.polluted", "constructor.prototype.polluted", "mqtt.__proto__.polluted",
      "__proto__"]) {
      const applied = applyChanges(raw, { [path]: path === "__proto__" ? { polluted: true } : true });
      assert.equal(applied.result.config, null, path);
      assert.deepEqual(applied.result.errors, [path + ": unknown field"]);
      assert.equal(({} as { polluted?: unknown }).polluted, undefined, path);
      assert.equal((applied.raw as { polluted?: unknown }).polluted, undefined, path);
    }
    assert.deepEqual(raw, { wifi: { ssid: "x" }, mqtt: { url: "mqtt://b" } });
  } finally {
    delete (Object.prototype as { polluted?: unknown }).polluted;
  }
});

test("what `npm run command` sends is what the device accepts, once", () => {
  const s = setup(true, SECRET);
  const payload = commandPayload("set", { "output.perValueTopics": true }, SECRET, NOW, BASE);
  assert.ok(s.send(payload));
  assert.equal(s.send(payload), false, "the same payload again is a replay");
  assert.ok(s.send(commandPayload("reboot", undefined, SECRET, NOW + 1, BASE)));
  assert.equal(s.send(commandPayload("set", { "output.perValueTopics": true }, "another-secret-0123", NOW + 2, BASE)),
    false, "signed with the wrong secret");
  assert.deepEqual(s.acted, ['set {"output.perValueTopics":true}', "reboot"]);
});

// Espruino's strings are 8-bit: the device sees the payload's UTF-8 bytes, one char each, and its JSON.stringify
// writes them back as \u00C3\u00B8 where Node writes "ø". The signature covers the bytes as sent, which both sides
// have alike; a base topic is signed as its bytes too.
const NON_ASCII = { "wifi.ssid": "Bjørnstad", "mqtt.username": "€ Ærø" };

test("a signed set with non-ASCII values, signed by `npm run command`, verifies on bytes as the device has them", () => {
  const utf8 = (text: string) => Buffer.from(text, "utf8").toString("latin1");
  const s = setup(true, SECRET, utf8("hus/måler"));
  const payload = commandPayload("set", NON_ASCII, SECRET, NOW, "hus/måler");
  assert.equal(payload, Buffer.from(payload, "latin1").toString("latin1"), "one char per byte");
  assert.ok(s.send(payload), s.logs.join("\n"));
  assert.deepEqual(s.configured, [{ "wifi.ssid": utf8("Bjørnstad"), "mqtt.username": utf8("€ Ærø") }]);
});

test("the hmac member must end the payload: nothing after it, and no payload without it, is accepted", () => {
  const s = setup(true, SECRET);
  const good = s.signed("set", NOW, { "output.rawTopic": true });
  assert.equal(signedPart(good), '{"cmd":"set","counter":' + NOW + ',"changes":{"output.rawTopic":true}}');
  const moved = good.slice(0, -1) + ',"changes":{"output.rawTopic":false}}';
  const reordered = JSON.stringify({ hmac: JSON.parse(good).hmac, cmd: "set", counter: NOW,
    changes: { "output.rawTopic": true } });
  const spaced = good.replace("}", " }");
  assert.equal(s.send(moved), false);
  assert.equal(s.send(reordered), false);
  assert.match(s.logs.join("\n"), /no hmac member at its end/);
  assert.equal(s.send(spaced), false);
  assert.match(s.logs.join("\n"), /wrong signature/);
  assert.ok(s.send(good));
  assert.equal(s.acted.length, 1);
});
