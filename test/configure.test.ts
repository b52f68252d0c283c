// npm run configure: without questions (--yes, --set) it writes a file the firmware's schema accepts, readable by
// its owner only (and says so; git ignores han.json), and shows it without secrets, a broker URL's user information
// included; a wrong value, or one that breaks the hardware, is refused with the field named and nothing written;
// asked questions, it takes answers piped in one per line, asks again after a wrong one, and stops when they run
// out. At a terminal (a pty made with socat) secrets are not shown while typed, and Ctrl-C cancels.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SCHEMA } from "../lib/config/schema";
import { validateConfig } from "../lib/config/validate";
import { socatMissing } from "../scripts/emulator/index";
import { runScript, startScript } from "./support/run-script";

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
    /configure: mqtt\.url: must be mqtt:\/\/host\[:port\] or mqtts:\/\/host\[:port\], port 1 to 65535; got "http:\/\/x"/);
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

test("han.json: written readable by its owner only even over a looser file, and configure says so", async function () {
  const out = join(dir, "han.json");
  writeFileSync(out, "{}\n");
  chmodSync(out, 0o644);
  const run = await runScript("scripts/configure.ts", ["--yes", "--set", "wifi.ssid=home", "--set", "mqtt.url=mqtt://10.0.0.2",
    "--set", "wifi.password=" + SECRET, "--out", out]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  assert.match(run.stdout, /configure: wrote .*han\.json, readable by its owner only \(mode 0600\): it holds the passwords/);
});

const root = fileURLToPath(new URL("..", import.meta.url));
const noGit = spawnSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: root }).status === 0 ? null :
  "this copy of the project is not a git work tree (or git is not installed)";
if (noGit) console.warn("configure.test.ts: the .gitignore test is SKIPPED: " + noGit);

test("git ignores han.json wherever it is, and the Storage files that hold a copy of it",
  { skip: noGit ? "SKIPPED: " + noGit : false }, function () {
  for (const file of ["han.json", "tools/han.json", "flash.json", "espruino.flash"]) {
    const ignored = spawnSync("git", ["check-ignore", "--no-index", "-q", file], { cwd: root });
    assert.equal(ignored.status, 0, file + " is not in .gitignore");
  }
});

test("values that break the hardware are refused, all at once, each naming the field and what it accepts", async function () {
  const out = join(dir, "hardware.json");
  const run = await runScript("scripts/configure.ts", ["--yes", "--set", "wifi.ssid=home", "--set", "mqtt.url=mqtt://10.0.0.2:0",
    "--set", "wifi.password=abc", "--set", "han.rx=6", "--set", "han.tx=34", "--set", "led=3", "--out", out]);
  assert.equal(run.code, 1);
  const lines = run.stderr.trim().split("\n");
  assert.deepEqual(lines, [
    "configure: led: must be a GPIO the ESP32 can drive: 0, 2, 4, 5, 12-19, 21-23, 25-27, 32, 33; got 3",
    "configure: wifi.password: must be empty (an open network) or 8 to 63 characters (WPA2); got a value that is not accepted",
    "configure: mqtt.url: must be mqtt://host[:port] or mqtts://host[:port], port 1 to 65535; got \"mqtt://10.0.0.2:0\"",
    "configure: han.rx: must be a GPIO the ESP32 can read: 0, 2, 4, 5, 13-19, 21-23, 25-27, 32-39; got 6",
    "configure: han.tx: must be a GPIO the ESP32 can drive: 0, 2, 4, 5, 12-19, 21-23, 25-27, 32, 33; got 34",
  ]);
  assert.equal(existsSync(out), false);
  for (const [set, error] of [["mqtt.url=mqtt://10.0.0.2:99999", /^configure: mqtt\.url: .*port 1 to 65535; got "mqtt:\/\/10\.0\.0\.2:99999"$/m],
    ["han.rx=2", /^configure: han\.rx: must differ from led$/m], ["wifi.password=" + "x".repeat(64), /^configure: wifi\.password: must be empty/m]] as const) {
    const one = await runScript("scripts/configure.ts", ["--yes", "--set", "wifi.ssid=home", "--set", "mqtt.url=mqtt://10.0.0.2",
      "--set", set, "--out", out]);
    assert.equal(one.code, 1, set);
    assert.match(one.stderr, error, set);
  }
  assert.equal(existsSync(out), false);
});

test("a broker URL with a user name and password: refused, never echoed, and told where they go", async function () {
  const out = join(dir, "url.json");
  const url = "mqtt://han:" + SECRET + "@broker.lan:1883";
  const set = await runScript("scripts/configure.ts", ["--yes", "--set", "wifi.ssid=home", "--set", "mqtt.url=" + url,
    "--out", out]);
  assert.equal(set.code, 1);
  assert.match(set.stderr, /^configure: mqtt\.url: must be .*; got "mqtt:\/\/\*\*\*@broker\.lan:1883" \(the user name and password go in mqtt\.username and mqtt\.password\)$/m);
  assert.ok((set.stdout + set.stderr).indexOf(SECRET) < 0, "the password was printed");
  assert.equal(existsSync(out), false);

  // A han.json edited by hand: the question shows the URL masked, then the answer replaces it.
  writeFileSync(out, JSON.stringify({ wifi: { ssid: "home" }, mqtt: { url } }));
  const asked = await runScript("scripts/configure.ts", ["--out", out], { input: answers({
    "mqtt.url": ["", "mqtt://broker.lan"], "mqtt.username": ["han"], "mqtt.password": [SECRET] }) });
  assert.equal(asked.code, 0, asked.stdout + asked.stderr);
  assert.match(asked.stdout, /mqtt\.url: [^\n]*\[mqtt:\/\/\*\*\*@broker\.lan:1883\]: /);
  assert.ok((asked.stdout + asked.stderr).indexOf(SECRET) < 0, "the password was printed");
  assert.deepEqual(JSON.parse(readFileSync(out, "utf8")).mqtt, { url: "mqtt://broker.lan", username: "han", password: SECRET });
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
  assert.match(run.stdout, /mqtt\.url: must be mqtt:\/\/host\[:port\] or mqtts:\/\/host\[:port\], port 1 to 65535; got "broker\.local"/);
  assert.match(run.stdout, /han\.parity: must be one of auto, even, none, odd; got "sometimes"/);
  assert.deepEqual(JSON.parse(readFileSync(out, "utf8")), { wifi: { ssid: "cabin" },
    mqtt: { url: "mqtts://broker.local:8883" }, han: { parity: "even" }, console: { password: "door-Qv81" } });
  assert.ok(run.stdout.indexOf("door-Qv81") < 0);

  const short = await runScript("scripts/configure.ts", ["--out", join(dir, "short.json")], { input: "\nhome\n" });
  assert.equal(short.code, 2);
  assert.match(short.stderr, /the input ended before every question had its answer/);
  assert.equal(existsSync(join(dir, "short.json")), false);
});

/** Waits until `done()` holds, checking every 20 ms; false after `ms`. */
async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

test("--set: all errors at once (han.tx = han.rx among them), choices in any case, the form PATH=VALUE explained, " +
  "and the next step after writing", async function () {
  const out = join(dir, "all-at-once.json");
  const bad = await runScript("scripts/configure.ts", ["--yes", "--set", "wifi.ssid=home", "--set", "mqtt.url=mqtt://10.0.0.2",
    "--set", "mqtt.keepAlive=5", "--set", "han.rx=17", "--out", out]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^configure: mqtt\.keepAlive: must be a whole number from 10 to 3600; got 5$/m);
  assert.match(bad.stderr, /^configure: han\.tx: must differ from han\.rx$/m);
  assert.equal(existsSync(out), false);

  const form = await runScript("scripts/configure.ts", ["--yes", "--set", "wifi.ssid", "--out", out]);
  assert.equal(form.code, 2);
  assert.match(form.stderr, /^configure: --set wifi\.ssid: expected PATH=VALUE, e\.g\. --set wifi\.ssid=MyNetwork/);

  const good = await runScript("scripts/configure.ts", ["--yes", "--set", "wifi.ssid=home", "--set", "mqtt.url=mqtt://10.0.0.2",
    "--set", "meter.country=no", "--set", "han.parity=EVEN", "--out", out]);
  assert.equal(good.code, 0, good.stderr);
  const written = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(written.meter.country, "NO");
  assert.equal(written.han.parity, "even");
  assert.match(good.stdout, /configure: wrote .*all-at-once\.json, /);
  assert.match(good.stdout, /next, .*npm run flash -- --port \/dev\/ttyUSB0 --config .*all-at-once\.json/);
});

const opensslMissing = spawnSync("sh", ["-c", "command -v openssl"]).status === 0 ? null :
  "the `openssl` binary is not installed (apt-get install -y openssl)";
if (opensslMissing) console.warn("configure.test.ts: the certificate test is SKIPPED: " + opensslMissing);

test("mqtt.ca is the name of a PEM file, read and checked, and asked only for mqtts://; questions are numbered",
  { skip: opensslMissing ? "SKIPPED: " + opensslMissing : false }, async function () {
  const made = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=han configure test"], { cwd: dir });
  assert.equal(made.status, 0, made.stderr.toString());
  const pem = readFileSync(join(dir, "ca.pem"), "utf8");
  writeFileSync(join(dir, "not-a-cert.pem"), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");

  const plain = join(dir, "plain.json");
  const asked = await runScript("scripts/configure.ts", ["--out", plain], { input: answers({
    "wifi.ssid": ["cabin"], "mqtt.url": ["mqtt://broker.local"] }) });
  assert.equal(asked.code, 0, asked.stdout + asked.stderr);
  assert.doesNotMatch(asked.stdout, /mqtt\.ca/, "mqtt.ca was asked for an mqtt:// broker");
  assert.match(asked.stdout, new RegExp("\\[question 1 of " + SCHEMA.length + "\\] deviceId: "));
  // The broker is mqtt://, so one question less from there on.
  const last = SCHEMA[SCHEMA.length - 1].path;
  assert.match(asked.stdout, new RegExp("\\[question " + (SCHEMA.length - 1) + " of " + (SCHEMA.length - 1) + "\\] " + last + ": "));

  const tls = join(dir, "tls.json");
  const withCa = await runScript("scripts/configure.ts", ["--out", tls], { input: answers({
    "wifi.ssid": ["cabin"], "mqtt.url": ["mqtts://broker.local:8883"],
    "mqtt.ca": [join(dir, "missing.pem"), join(dir, "not-a-cert.pem"), join(dir, "ca.pem")] }) });
  assert.equal(withCa.code, 0, withCa.stdout + withCa.stderr);
  assert.match(withCa.stdout, /mqtt\.ca: .*; the name of the file: /);
  assert.match(withCa.stdout, /mqtt\.ca: cannot read .*missing\.pem \(ENOENT\)/);
  assert.match(withCa.stdout, /mqtt\.ca: .*not-a-cert\.pem is not a certificate in PEM form/);
  assert.equal(JSON.parse(readFileSync(tls, "utf8")).mqtt.ca, pem);

  const set = await runScript("scripts/configure.ts", ["--yes", "--set", "wifi.ssid=x", "--set", "mqtt.url=mqtts://b",
    "--set", "mqtt.ca=" + join(dir, "not-a-cert.pem"), "--out", join(dir, "set-ca.json")]);
  assert.equal(set.code, 1);
  assert.match(set.stderr, /configure: mqtt\.ca: .*not-a-cert\.pem is not a certificate in PEM form/);
});

test("Ctrl-C (the signal, with piped answers) cancels: nothing written", async function () {
  const out = join(dir, "cancelled.json");
  let said = "";
  const run = startScript("scripts/configure.ts", ["--out", out], (text) => { said += text; });
  run.child.stdin.write("\n\n");
  assert.ok(await waitUntil(() => /wifi\.ssid: /.test(said), 15000), said);
  run.child.kill("SIGINT");
  const ended = await run.done;
  assert.equal(ended.code, 130);
  assert.equal(ended.stderr.trim(), "configure: cancelled, nothing written");
  assert.equal(existsSync(out), false);
});

const noPty = socatMissing();
if (noPty) console.warn("configure.test.ts: the terminal test is SKIPPED: " + noPty);

test("at a terminal, a password is not shown while typed, other answers are, and Ctrl-C cancels with nothing written",
  { skip: noPty ? "SKIPPED: " + noPty : false, timeout: 60000 }, async function () {
  const out = join(dir, "terminal.json");
  const root = fileURLToPath(new URL("..", import.meta.url));
  const command = [process.execPath, "--import", "tsx", "scripts/configure.ts", "--out", out].join(" ");
  const terminal = spawn("socat", ["STDIO", "EXEC:" + command + ",pty,setsid,ctty,stderr"], { cwd: root });
  let screen = "";
  terminal.stdout.on("data", (d: Buffer) => { screen += d.toString(); });
  const closed = new Promise((resolve) => terminal.on("close", resolve));
  try {
    // deviceId and led keep their defaults; the keys go in once each question is on the screen.
    for (const [question, keys] of [[1, "\r"], [2, "\r"], [3, "cabin\r"], [4, "pass-Zx9k\r"], [5, "\x03"]] as const) {
      assert.ok(await waitUntil(() => screen.indexOf("[question " + question + " of") >= 0, 20000),
        "question " + question + " never came:\n" + screen);
      terminal.stdin.write(keys);
    }
    await closed;
    assert.match(screen, /wifi\.ssid: .*cabin/);
    assert.ok(screen.indexOf("pass-Zx9k") < 0, "the password was shown:\n" + screen);
    assert.match(screen, /configure: cancelled, nothing written/);
    assert.equal(existsSync(out), false);
  } finally {
    terminal.kill();
  }
});
