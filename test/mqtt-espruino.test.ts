// The MQTT client bundled for the device: nothing in the bundle that Espruino cannot run, and in a context trimmed
// to Espruino's built-ins it writes and reports exactly what it does in Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { checkBundle } from "../scripts/check-bundle";
import { bundleForEspruino, runInEspruinoContext } from "../scripts/espruino/bundle";
import { createEspruinoContext } from "../scripts/espruino/context";
import { runMqttScript } from "./support/mqtt-espruino-entry";
import type { MqttTranscript } from "./support/mqtt-espruino-entry";

const ENTRY = fileURLToPath(new URL("./support/mqtt-espruino-entry.ts", import.meta.url));

test("the MQTT client bundle passes the Espruino bundle check", () => {
  assert.deepEqual(checkBundle(bundleForEspruino(ENTRY)), []);
});

test("bundled, in the Espruino-shaped context, the MQTT client gives the same transcript as in Node", () => {
  const node = runMqttScript();
  const context = createEspruinoContext();
  runInEspruinoContext(bundleForEspruino(ENTRY), context);
  const device = JSON.parse(runInEspruinoContext("JSON.stringify(__mqttGate.run())", context) as string) as
    MqttTranscript;
  assert.deepEqual(device, JSON.parse(JSON.stringify(node)));
  // The script must have reached the paths it is there for.
  const log = node.log.join("\n");
  for (const expected of ["connect", "close connection refused: bad user name or password",
    "close parse error: malformed PUBLISH", "close connection reset",
    "close no packet from the broker within 1.5 keep-alive periods", "message han/3f2a/cmd 72657374617274",
    "message han/3f2a/cmd 64696167", "w0 4002004e"]) {
    assert.ok(node.log.indexOf(expected) >= 0, expected + " in\n" + log);
  }
  assert.ok(node.log.some((line) => /^w4 3[a-f]/.test(line)), "a PUBLISH resent with DUP on the last connection");
  assert.equal((node.stats as { oversize: number }).oversize, 1);
  // Of the eight 420-byte readings published after the first 'drain', five went out (2 KB); the rest waited in the
  // queue for the next 'drain'.
  const reading = (line: string) => line.startsWith("w0 30") && line.endsWith("79797979");
  const drained = node.log.indexOf("drain");
  assert.equal(node.log.slice(0, drained).filter(reading).length, 5);
  assert.ok(node.log.slice(drained).filter(reading).length > 0, "nothing written after 'drain'");
  assert.ok(node.fuzz.packets > 100 && node.fuzz.errors > 100 && node.fuzz.incomplete > 100, JSON.stringify(node.fuzz));
  assert.ok(node.fuzz.maxBuffered < 256);
});
