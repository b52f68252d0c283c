// npm run configure: without questions (--yes, --set) it writes a file the firmware's schema accepts, readable by
// its owner only, and shows it without secrets; a wrong value is refused with the field named and nothing written;
// asked questions, it takes answers piped in one per line, asks again after a wrong one, and stops when they run
// out.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SCHEMA } from "../lib/config/schema";
import { validateConfig } from "../lib/config/validate";
import { runScript } from "./support/run-script";

const dir = mkdtempSync(join(tmpdir(), "han-configure-"));
after(function () { rmSync(dir, { recursive: true, force: true }); });

const SECRET = "mqtt-secret-Xw7q";

test("--yes --set writes a valid han.json for its owner only, and prints it without secrets", async function () {
  const out = join(dir, "set.json");
  const run = await runScript("scripts/configure.ts", ["--yes", "--set", "wifi.ssid=home", "--set", "mqtt.url=mqtt://10.0.0.2",
    "--set", "mqtt.password=" + SECRET, "--set", "han.baud=2400", "--set", "meter.ct=yes", "--out", out]);
  assert.equal(run.code, 0, run.stderr);
  const written = JSON.parse(readFileSync(out, "utf8"));
  assert.deepEqual(written, { wifi: { ssid: "home" }, mqtt: { url: "mqtt://10.0.0.2", password: SECRET },
    han: { baud: 2400 }, meter: { ct: true } });
  assert.ok(validateConfig(written).config);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  assert.match(run.stdout, /"password":"\*\*\*"/);
  assert.ok((run.stdout + run.stderr).indexOf(SECRET) < 0, "the secret was printed");
});

test("a wrong value is refused with the field named, exit 1, and nothing written", async function () {
  const out = join(dir, "refused.json");
  const bad = await runScript("scripts/configure.ts", ["--yes", "--set", "wifi.ssid=home", "--set", "mqtt.url=http://x",
    "--set", "remote.secret=" + "short", "--out", out]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr,
    /configure: mqtt\.url: must be mqtt:\/\/host, mqtt:\/\/host:1883 or mqtts:\/\/host:8883; got "http:\/\/x"/);
  assert.match(bad.stderr, /configure: remote\.secret: must be text of at least 16 characters; got a value that is not accepted/);
  assert.ok(bad.stderr.indexOf("short") < 0, "a secret's refused value was printed");
  assert.equal(existsSync(out), false);

  const missing = await runScript("scripts/configure.ts", ["--yes", "--set", "wifi.ssid=home", "--out", out]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /configure: mqtt\.url: required/);

  const unknown = await runScript("scripts/configure.ts", ["--yes", "--set", "mqtt.pasword=x", "--out", out]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no field "mqtt\.pasword"/);

  const push = await runScript("scripts/configure.ts", ["--yes", "--push", "--out", out]);
  assert.equal(push.code, 2);
  assert.match(push.stderr, /--push needs --port/);
  assert.equal(existsSync(out), false);
});

/** One answer per question, in the schema's order: blank (keep the default) unless given. */
function answers(given: { [path: string]: string[] }): string {
  return SCHEMA.map(function (f) { return (given[f.path] || [""]).join("\n"); }).join("\n") + "\n";
}

test("questions answered through standard input, a wrong answer asked again", async function () {
  const out = join(dir, "asked.json");
  const run = await runScript("scripts/configure.ts", ["--out", out], { input: answers({
    "wifi.ssid": ["", "cabin"],
    "mqtt.url": ["broker.local", "mqtts://broker.local:8883"],
    "han.parity": ["sometimes", "even"],
    "console.password": ["door-Qv81"],
  }) });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /wifi\.ssid: Wi-Fi network name; text of at least 1 characters: {3}required\n/);
  assert.match(run.stdout, /mqtt\.url: must be mqtt:\/\/host, mqtt:\/\/host:1883 or mqtts:\/\/host:8883; got "broker\.local"/);
  assert.match(run.stdout, /han\.parity: must be one of auto, even, none, odd; got "sometimes"/);
  assert.deepEqual(JSON.parse(readFileSync(out, "utf8")), { wifi: { ssid: "cabin" },
    mqtt: { url: "mqtts://broker.local:8883" }, han: { parity: "even" }, console: { password: "door-Qv81" } });
  assert.ok(run.stdout.indexOf("door-Qv81") < 0);

  const short = await runScript("scripts/configure.ts", ["--out", join(dir, "short.json")], { input: "\nhome\n" });
  assert.equal(short.code, 2);
  assert.match(short.stderr, /the input ended before every question had its answer/);
  assert.equal(existsSync(join(dir, "short.json")), false);
});
