// What the host tools say when a serial port cannot be used, where a test cannot provoke it for real: permission
// denied needs a user other than root, whom the tests may run as.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkPort, DeviceLinkError, noEspruino, portProblem, toolError, toolProblem } from "../scripts/device-link";

function failure(fn: () => void): DeviceLinkError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DeviceLinkError, String(e));
    return e;
  }
  throw new Error("no failure");
}

test("permission denied says to join the dialout group, from the operating system or from the espruino tool", () => {
  for (const e of [portProblem("/dev/ttyUSB0", { code: "EACCES" }),
    toolProblem("/dev/ttyUSB0", "Error: Error: Permission denied, cannot open /dev/ttyUSB0\n    at ...")]) {
    assert.ok(e);
    assert.equal(e.kind, "permission");
    assert.match(e.message, /permission denied on \/dev\/ttyUSB0: add yourself to the dialout group/);
    assert.match(e.message, /\(sudo usermod -aG dialout \$USER\), then log out and in again/);
  }
});

test("a missing port, a file that is no port, and a port the tool cannot open each say what to do", () => {
  const dir = mkdtempSync(join(tmpdir(), "han-link-"));
  try {
    assert.match(failure(() => checkPort(join(dir, "ttyUSB9"))).message, /^no such port .*ttyUSB9: plug the ESP32 in/);
    writeFileSync(join(dir, "file"), "");
    assert.match(failure(() => checkPort(join(dir, "file"))).message, /is not a serial port: give the ESP32's USB serial port/);
    // A character device, readable and writable, but no terminal.
    assert.match(failure(() => checkPort("/dev/null")).message, /^\/dev\/null is not a serial port/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(toolProblem("/dev/ttyUSB1", "Error: No such file or directory, cannot open /dev/ttyUSB1")?.kind, "no-port");
  assert.match(portProblem("/dev/ttyUSB1", { code: "ENXIO" })?.message || "", /no device answers behind it \(ENXIO\): plug/);
  assert.match(toolProblem("/dev/ttyUSB1", "Unable to connect!")?.message || "", /not in use by another program/);
  assert.equal(toolProblem("/dev/ttyUSB1", "--] >HAN-STORED 1 2"), null);
  // What the tool says when the port is no terminal: an uncaught error, then Node's version last.
  const crash = "node:internal/process/promises:391\n    triggerUncaughtException(err, true);\n    ^\n\n" +
    "Error: Error: Inappropriate ioctl for device setting custom baud rate of 115200\n" +
    "Emitted 'error' event on SerialPort instance at:\n    at SerialPort._error (index.js:79:18)\n\nNode.js v20.20.2\n";
  assert.match(toolProblem("/dev/null", crash)?.message || "", /^\/dev\/null is not a serial port/);
  assert.equal(toolError(crash.replace(/Inappropriate ioctl for device/, "Something new")),
    "Something new setting custom baud rate of 115200");
});

test("no Espruino answering gives the esptool commands for the port", () => {
  const message = noEspruino("/dev/ttyUSB3").message;
  assert.match(message, /no Espruino answering on \/dev\/ttyUSB3 at 115200 baud/);
  assert.match(message, /esptool\.py --chip esp32 --port \/dev\/ttyUSB3 erase_flash/);
  assert.match(message, /esptool\.py --chip esp32 --port \/dev\/ttyUSB3 --baud 921600 write_flash .* 0x10000 espruino_esp32\.bin/);
  // A locked console answers with its password prompt, so silence is never blamed on the lock.
  assert.doesNotMatch(message, /password/);
});
