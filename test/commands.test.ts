// Commands on <base>/cmd: each accepted one acts; a wrong HMAC, a replay, or a configuration change while
// disabled is refused, counted and logged, and never applied.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { CommandHandler, signPayload, signedPart } from "../lib/remote/commands";
import { hmacSha256 } from "../lib/remote/hmac";
import { toBytes, toHex } from "../lib/bytes";
import { commandPayload } from "../scripts/command";

const sha256 = (s: string) => createHash("sha256").update(Buffer.from(s, "latin1")).digest("latin1");
const SECRET = "installer-secret-0123456789";

function setup(configChanges: boolean, secret: string | undefined = SECRET) {
  let counter = 0;
  const configured: { [path: string]: unknown }[] = [];
  const acted: string[] = [];
  const logs: string[] = [];
  const handler = new CommandHandler({ secret, configChanges, sha256, loadCounter: () => counter,
    saveCounter: (n) => { counter = n; }, log: (t) => logs.push(t) }, {
    diag: () => acted.push("diag"),
    identify: () => acted.push("identify"),
    reboot: () => acted.push("reboot"),
    configure: (changes) => {
      configured.push(changes);
      if ("han.baud" in changes && changes["han.baud"] === 1234) return ["han.baud: must be one of auto, 2400"];
      acted.push("set " + JSON.stringify(changes));
      return [];
    },
  });
  const signed = (cmd: string, n: number, changes?: unknown) =>
    signPayload(sha256, SECRET, JSON.stringify({ cmd, counter: n, changes }));
  return { handler, acted, logs, signed, counter: () => counter, configured };
}

test("the HMAC is RFC 2104 HMAC-SHA256, short and long keys alike", () => {
  for (const key of ["k", SECRET, "x".repeat(100)]) {
    const msg = '{"cmd":"set","counter":7,"changes":{"output.rawTopic":true}}';
    assert.equal(toHex(toBytes(hmacSha256(sha256, key, msg))), createHmac("sha256", Buffer.from(key, "latin1"))
      .update(Buffer.from(msg, "latin1")).digest("hex"));
  }
});

test("diag and identify act without a signature; a signed reboot and a signed change act", () => {
  const s = setup(true);
  assert.ok(s.handler.handle('{"cmd":"diag"}'));
  assert.ok(s.handler.handle('{"cmd":"identify"}'));
  assert.ok(s.handler.handle(s.signed("reboot", 1)));
  assert.ok(s.handler.handle(s.signed("set", 2, { "output.rawTopic": true })));
  assert.deepEqual(s.acted, ["diag", "identify", "reboot", 'set {"output.rawTopic":true}']);
  assert.equal(s.handler.accepted, 4);
  assert.equal(s.handler.refused, 0);
  assert.equal(s.counter(), 2);
});

test("a wrong HMAC, a replay, an old counter, a disabled change, an unsigned reboot are refused and counted", () => {
  const s = setup(true);
  const good = s.signed("set", 5, { "output.rawTopic": true });
  const tampered = JSON.parse(good);
  tampered.changes = { "output.rawTopic": false };
  const refused = [
    JSON.stringify(tampered),
    JSON.stringify({ ...JSON.parse(good), hmac: "00".repeat(32) }),
    JSON.stringify({ cmd: "reboot" }),
    "not json",
    '{"cmd":"format-flash"}',
  ];
  for (const payload of refused) assert.equal(s.handler.handle(payload), false, payload);
  assert.ok(s.handler.handle(good));
  assert.equal(s.handler.handle(good), false, "replayed");
  assert.equal(s.handler.handle(s.signed("set", 4, { "output.rawTopic": true })), false, "older counter");
  assert.equal(s.handler.refused, refused.length + 2);
  assert.equal(s.acted.length, 1, "only the good command acted");
  assert.equal(s.logs.filter((l) => l.startsWith("command refused")).length, s.handler.refused);
  assert.match(s.logs.join("\n"), /replay/);

  const disabled = setup(false);
  assert.equal(disabled.handler.handle(disabled.signed("set", 1, { "output.rawTopic": true })), false);
  assert.match(disabled.logs[0], /disabled/);
  assert.equal(disabled.acted.length, 0);

  const noSecret = setup(true, "");
  assert.equal(noSecret.handler.handle(s.signed("set", 9, { "output.rawTopic": true })), false);
  assert.ok(noSecret.handler.handle('{"cmd":"reboot"}'), "an open device reboots on request");
});

test("a signed change that fails validation is refused with the field named, and nothing is applied", () => {
  const s = setup(true);
  assert.equal(s.handler.handle(s.signed("set", 1, { "han.baud": 1234 })), false);
  assert.match(s.logs[0], /han\.baud: must be one of/);
  assert.equal(s.acted.length, 0);
  assert.ok(!s.logs.join("").includes(SECRET));
});

test("what `npm run command` sends is what the device accepts, once", () => {
  const s = setup(true);
  const payload = commandPayload("set", { "output.perValueTopics": true }, SECRET, 1764300000);
  assert.ok(s.handler.handle(payload));
  assert.equal(s.handler.handle(payload), false, "the same payload again is a replay");
  assert.ok(s.handler.handle(commandPayload("reboot", undefined, SECRET, 1764300001)));
  assert.equal(s.handler.handle(commandPayload("set", { "output.perValueTopics": true }, "another-secret-0123", 1764300002)),
    false, "signed with the wrong secret");
  assert.deepEqual(s.acted, ['set {"output.perValueTopics":true}', "reboot"]);
});

// Espruino's strings are 8-bit: the device sees the payload's UTF-8 bytes, one char each, and its JSON.stringify
// writes them back as \u00C3\u00B8 where Node writes "ø". The signature covers the bytes as sent, which both sides
// have alike.
const NON_ASCII = { "wifi.ssid": "Bjørnstad", "mqtt.username": "€ Ærø" };

test("a signed set with non-ASCII values, signed by `npm run command`, verifies on bytes as the device has them", () => {
  const s = setup(true);
  const payload = commandPayload("set", NON_ASCII, SECRET, 1764300100);
  assert.equal(payload, Buffer.from(payload, "latin1").toString("latin1"), "one char per byte");
  assert.ok(s.handler.handle(payload), s.logs.join("\n"));
  const utf8 = (text: string) => Buffer.from(text, "utf8").toString("latin1");
  assert.deepEqual(s.configured, [{ "wifi.ssid": utf8("Bjørnstad"), "mqtt.username": utf8("€ Ærø") }]);
});

test("the hmac member must end the payload: nothing after it, and no payload without it, is accepted", () => {
  const s = setup(true);
  const good = s.signed("set", 3, { "output.rawTopic": true });
  assert.equal(signedPart(good), '{"cmd":"set","counter":3,"changes":{"output.rawTopic":true}}');
  const moved = good.slice(0, -1) + ',"changes":{"output.rawTopic":false}}';
  const reordered = JSON.stringify({ hmac: JSON.parse(good).hmac, cmd: "set", counter: 3,
    changes: { "output.rawTopic": true } });
  for (const payload of [moved, reordered, good.replace("}", " }")]) {
    assert.equal(s.handler.handle(payload), false, payload);
  }
  assert.match(s.logs.join("\n"), /without the hmac member at its end/);
  assert.match(s.logs.join("\n"), /wrong signature/);
  assert.ok(s.handler.handle(good));
  assert.equal(s.acted.length, 1);
});
