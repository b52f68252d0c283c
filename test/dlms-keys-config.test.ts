// han.key and han.authKey (lib/config/schema.ts): 32 hex digits, optional, secret: a refused value is not echoed,
// and every shown configuration (redacted: the console banner, `npm run configure`) masks them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateConfig, redacted } from "../lib/config/validate";

const BASE = { wifi: { ssid: "x" }, mqtt: { url: "mqtt://h" } };
const KEY = "36C66639E48A8CA4D6BC8B282A793BBB";
const AUTH = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf";

test("han.key and han.authKey take 32 hex digits in either case, and may be left out", () => {
  const ok = validateConfig(Object.assign({ han: { key: KEY, authKey: AUTH } }, BASE));
  assert.deepEqual(ok.errors, []);
  assert.equal(ok.config?.han.key, KEY);
  assert.equal(ok.config?.han.authKey, AUTH);
  const none = validateConfig(BASE);
  assert.deepEqual(none.errors, []);
  assert.equal(none.config?.han.key, undefined);
});

test("a key that is not 32 hex digits is refused by name, with what is accepted, and not echoed", () => {
  for (const bad of [KEY.slice(1), KEY + "0", KEY.slice(1) + "g", 12345]) {
    for (const field of ["key", "authKey"]) {
      const r = validateConfig(Object.assign({ han: { [field]: bad } }, BASE));
      assert.equal(r.config, null);
      assert.deepEqual(r.errors, [`han.${field}: must be 32 hex digits (16 bytes); got a value that is not accepted`]);
    }
  }
});

test("the shown configuration masks both keys", () => {
  const r = validateConfig(Object.assign({ han: { key: KEY, authKey: AUTH } }, BASE));
  const text = JSON.stringify(redacted(r.config!));
  assert.ok(!text.includes(KEY) && !text.toLowerCase().includes(AUTH), text);
  assert.match(text, /"key":"\*\*\*","authKey":"\*\*\*"/);
});
