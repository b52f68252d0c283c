// A broker URL may carry a user name and password (mqtt://user:password@host, as mqtt.js takes it): the host tools
// show such a URL with its user information masked (maskUrl, lib/config/formats.ts, the helper the device uses for
// its refusals too), wherever they print it: monitor's and start's refusals and connection errors, monitor's
// header, and the emulator's hint about the broker in han.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connectFailure } from "../scripts/mqtt-connect";
import { watchHint } from "../scripts/emulator/watch";
import { runScript } from "./support/run-script";

const SECRET = "brokerpw-Rx41Nq";
const USER = "urluser-Kd20Ve";

function leaked(text: string): boolean {
  return text.indexOf(SECRET) >= 0 || text.indexOf(USER) >= 0;
}

test("connection errors name the broker without its user information", () => {
  const url = "mqtt://" + USER + ":" + SECRET + "@broker.lan:1883";
  const cases: (Error & { code?: string | number })[] = [
    Object.assign(new Error("Connection refused: Not authorized"), { code: 5 }),
    Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
    Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }),
    new Error("connack timeout"),
    new Error("something else"),
  ];
  for (const e of cases) {
    const line = connectFailure(url, e, 10000);
    assert.match(line, /the broker at mqtt:\/\/\*\*\*@broker\.lan:1883/, line);
    assert.ok(!leaked(line), line);
  }
});

test("monitor and start: a refused or unreachable broker URL is shown masked", async () => {
  const unreachable = await runScript("scripts/monitor.ts", ["--broker", "mqtt://" + USER + ":" + SECRET + "@127.0.0.1:1"]);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /^monitor: cannot reach the broker at mqtt:\/\/\*\*\*@127\.0\.0\.1:1: /m);
  const wrongScheme = await runScript("scripts/monitor.ts", ["--broker", "http://" + USER + ":" + SECRET + "@127.0.0.1"]);
  assert.equal(wrongScheme.code, 2);
  assert.match(wrongScheme.stderr, /got "http:\/\/\*\*\*@127\.0\.0\.1"/);
  const start = await runScript("scripts/start.ts", ["--broker", "mqtt://" + USER + ":" + SECRET + "@127.0.0.1/x"]);
  assert.equal(start.code, 2);
  assert.match(start.stderr, /got "mqtt:\/\/\*\*\*@127\.0\.0\.1\/x"/);
  for (const run of [unreachable, wrongScheme, start]) assert.ok(!leaked(run.stdout + run.stderr), run.stderr);
});

test("the emulator's hint about han.json's broker shows its URL masked", () => {
  const hint = watchHint(JSON.stringify({ wifi: { ssid: "home" },
    mqtt: { url: "mqtt://" + USER + ":" + SECRET + "@10.0.0.2:1883" } }), {});
  assert.match(hint, /^broker: mqtt:\/\/\*\*\*@10\.0\.0\.2:1883 /m);
  assert.ok(!leaked(hint), hint);
});
