// `npm run monitor`: a broker that refuses it or is not there ends it with one line and exit code 1; connected, it
// prints one line per message until Ctrl-C, which ends it with exit code 0.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import mqtt from "mqtt";
import { startScript, type ScriptRun } from "./support/run-script";
import { PASSWORD, USERNAME, startAedes } from "./support/brokers";
import { startEmbeddedBroker } from "../scripts/mqtt-aedes";

const brokerReady = startAedes();
after(async () => { await (await brokerReady).dispose(); });

/** Runs monitor; a run still going after `ms` is ended with SIGKILL (code null), so a tool that hangs fails the
 *  test instead of stalling it. */
async function monitor(args: string[], ms: number): Promise<ScriptRun> {
  const started = startScript("scripts/monitor.ts", args);
  started.child.stdin.end();
  const timer = setTimeout(() => started.child.kill("SIGKILL"), ms);
  const r = await started.done;
  clearTimeout(timer);
  return r;
}

test("a wrong password ends monitor with the broker's refusal and exit code 1", { timeout: 60000 }, async () => {
  const broker = await brokerReady;
  const r = await monitor(["--broker", broker.url, "--user", USERNAME, "--password", "wrong"], 30000);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, `monitor: the broker at ${broker.url} refused the user name or password ` +
    "(Bad username or password)\n");
  assert.equal(r.stdout, "");
});

test("a broker that is not there ends monitor with one line and exit code 1", { timeout: 60000 }, async () => {
  const gone = await startEmbeddedBroker(0);
  await gone.close();
  const r = await monitor(["--broker", `mqtt://127.0.0.1:${gone.port}`], 30000);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, `monitor: cannot reach the broker at mqtt://127.0.0.1:${gone.port}: connection refused ` +
    "(nothing listens on that port)\n");
});

test("connected, monitor prints each message on a line and Ctrl-C ends it with exit code 0", { timeout: 60000 }, async () => {
  const broker = await brokerReady;
  const publisher = await mqtt.connectAsync(broker.url, { username: USERNAME, password: PASSWORD });
  await publisher.publishAsync("han/m1/status", "online", { qos: 1, retain: true });
  let seen: () => void = () => { /* set below */ };
  const printed = new Promise<void>((resolve) => { seen = resolve; });
  const started = startScript("scripts/monitor.ts", ["--broker", broker.url, "--user", USERNAME, "--password", PASSWORD],
    (text) => { if (text.includes("han/m1/status")) seen(); });
  started.child.stdin.end();
  await printed;
  started.child.kill("SIGINT");
  const r = await started.done;
  await publisher.endAsync();
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z R han\/m1\/status online\n$/);
  assert.match(r.stderr, /monitor: connected to mqtt:\/\/127\.0\.0\.1:\d+, watching han\/#; Ctrl-C to stop/);
});
