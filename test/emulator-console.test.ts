// The firmware's door on the emulated ESP32: telnet closed, the USB console behind the password prompt until the
// password is typed, and the watchdog armed, as the device boots from the bundle.
import { test } from "node:test";
import assert from "node:assert/strict";
import { emulate } from "./support/emulated-device";

const CONFIG = JSON.stringify({ wifi: { ssid: "han-test", password: "han-test-wifi" }, mqtt: { url: "mqtt://127.0.0.1:1" },
  console: { password: "open sesame" } });

test("boot: telnet off, the console locked behind the password until it is typed, the watchdog armed", async () => {
  const emu = emulate({ files: { "han.json": CONFIG } });
  try {
    assert.equal(emu.e.console.telnet, "off");
    assert.deepEqual(emu.e.console.watchdog && [emu.e.console.watchdog.timeoutMs, emu.e.console.watchdog.auto],
      [20000, true]);
    assert.equal(emu.consoles.current, "LoopbackA", "the REPL is still on the USB console");
    assert.ok(emu.consoles.usbOutput.indexOf("Console locked. Password: ") >= 0, emu.consoles.usbOutput);
    assert.ok(emu.console.has("console locked"));
    assert.ok(emu.consoles.usbOutput.indexOf("open sesame") < 0, "the password was printed");

    emu.consoles.type("guess\r");
    await emu.advance(1000);
    assert.equal(emu.consoles.current, "LoopbackA");
    emu.consoles.type("open sesame\r");
    await emu.advance(1000);
    assert.equal(emu.consoles.current, "Serial1");
    assert.ok(emu.consoles.usbOutput.indexOf("Unlocked.") >= 0, emu.consoles.usbOutput);
    assert.deepEqual(emu.console.uncaught, []);
  } finally {
    emu.close();
  }
});
