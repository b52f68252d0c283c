// The emulated ESP32 refuses the GPIOs the real one cannot give the HAN UART or the LED, in the way the board
// fails: Espruino's ESP32 port hands Serial2's pins to ESP-IDF's uart_set_pin and ignores its answer
// (targets/esp32/jshardwareUart.c), so a pin the driver refuses (tx on an input-only or absent GPIO, rx on an absent
// one) prints ESP-IDF's error and nothing is received, while a flash pin (6-11) is taken from the flash and the
// chip crashes: the emulator throws there, as it does for the console's pins (1, 3), whose loss it does not model.
// The pins the emulator accepts are exactly those the configuration accepts, and a configuration naming a flash
// pin never reaches the UART.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, meterSource, type Emulator } from "../scripts/emulator/index";
import { validateConfig } from "../lib/config/validate";
import { emulate } from "./support/emulated-device";

const START = Date.UTC(2024, 0, 15, 12, 0, 0);

/** A program that opens Serial2 on `rx` and `tx` and counts what arrives, fed by a meter sending every 2 s. */
function receiver(rx: number | undefined, tx: number | undefined): Emulator {
  const pins = (rx === undefined ? "" : "rx: " + rx + ", ") + (tx === undefined ? "" : "tx: " + tx + ", ");
  return createEmulator({
    code: "var got = 0; Serial2.setup(2400, { " + pins + "parity: 'e' }); Serial2.on('data', function (d) { got += d.length; });",
    startMs: START,
    source: meterSource({ maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 5, startMs: START }),
  });
}

interface Outcome { received: number; uncaught: string[]; console: string }

async function outcome(rx: number | undefined, tx: number | undefined): Promise<Outcome> {
  const emu = receiver(rx, tx);
  try {
    await emu.advance(10000);
    return { received: Number(emu.global().got), uncaught: emu.console.uncaught.slice(), console: emu.console.text() };
  } finally {
    emu.close();
  }
}

test("Serial2 on a flash pin (6-11) crashes the ESP32: the emulator throws, naming the pin, and nothing is received",
  async () => {
  for (let pin = 6; pin <= 11; pin++) {
    const asRx = await outcome(pin, 17);
    assert.deepEqual(asRx.uncaught, ["Error: Serial2 rx on GPIO " + pin + ": it drives the ESP32's SPI flash; taken " +
      "from it, the chip crashes at its next flash access (and again at every boot)"], "rx " + pin);
    assert.equal(asRx.received, 0, "rx " + pin);
    const asTx = await outcome(16, pin);
    assert.match(asTx.uncaught.join("\n"), new RegExp("^Error: Serial2 tx on GPIO " + pin + ": it drives the ESP32's SPI flash"));
    assert.equal(asTx.received, 0, "tx " + pin);
  }
});

test("Serial2 on the console's pins (1, 3) fails loudly; digitalWrite on a flash pin too", async () => {
  assert.match((await outcome(3, 17)).uncaught.join("\n"), /^Error: Serial2 rx on GPIO 3: it is the USB console's RX/);
  assert.match((await outcome(16, 1)).uncaught.join("\n"), /^Error: Serial2 tx on GPIO 1: it is the USB console's TX/);
  const emu = createEmulator({ code: "digitalWrite(2, 1); digitalWrite(9, 1);", startMs: START });
  try {
    assert.deepEqual(emu.console.uncaught, ["Error: digitalWrite on GPIO 9: it drives the ESP32's SPI flash; taken " +
      "from it, the chip crashes at its next flash access (and again at every boot)"]);
    assert.equal(emu.pins[2], true);
    assert.equal(emu.pins[9], undefined);
  } finally {
    emu.close();
  }
});

test("pins ESP-IDF refuses (tx input-only or absent, rx absent): its error on the console, nothing received; " +
  "numbers Espruino has no pin for leave the default pins", async () => {
  for (const [rx, tx, refused] of [[16, 34, "tx_io_num"], [16, 24, "tx_io_num"], [20, 17, "rx_io_num"],
    [29, 39, "tx_io_num"]] as const) {
    const o = await outcome(rx, tx);
    assert.deepEqual(o.uncaught, [], rx + "/" + tx);
    assert.match(o.console, new RegExp("^E \\(\\d+\\) uart: uart_set_pin: " + refused + " error$", "m"), rx + "/" + tx);
    assert.equal(o.received, 0, rx + "/" + tx);
  }
  for (const [rx, tx] of [[40, 17], [16, 99], [undefined, undefined]] as const) {
    const o = await outcome(rx, tx);
    assert.deepEqual(o.uncaught, [], rx + "/" + tx);
    assert.ok(o.received > 0, rx + "/" + tx + ": the default pins receive");
  }
});

test("the GPIOs the emulated UART works on are exactly those the configuration accepts for han.rx and han.tx, " +
  "but for the strapping pin 12 as han.rx", async () => {
  const config = (rx: number, tx: number) => validateConfig({ wifi: { ssid: "x" }, mqtt: { url: "mqtt://b" }, led: 0,
    han: { rx, tx } }).errors.filter((e) => !/must differ/.test(e)).length === 0;
  for (let pin = 0; pin <= 39; pin++) {
    const other = pin === 17 ? 18 : 17;
    const asRx = await outcome(pin, other);
    // The UART reads on 12 once the chip runs, but the HAN line idles high, and 12 high at reset selects 1.8 V
    // flash: the ESP32 would not boot with the dongle plugged in.
    if (pin === 12) assert.equal(config(pin, other), false, "rx on the strapping pin 12 accepted");
    assert.equal(asRx.received > 0 && asRx.uncaught.length === 0, config(pin, other) || pin === 12, "rx on GPIO " + pin);
    const asTx = await outcome(16 === pin ? 18 : 16, pin);
    assert.equal(asTx.received > 0 && asTx.uncaught.length === 0, config(16 === pin ? 18 : 16, pin), "tx on GPIO " + pin);
  }
});

test("the firmware with han.rx on a flash pin: the configuration is refused at boot, naming the field and the GPIOs " +
  "that fit, and GPIO 6 is never routed", async () => {
  const emu = emulate({
    startMs: START,
    files: { "han.json": JSON.stringify({ wifi: { ssid: "han-test", password: "han-test-wifi" },
      mqtt: { url: "mqtt://127.0.0.1:1" }, han: { rx: 6 } }) },
    source: meterSource({ maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 5, startMs: START }),
  });
  try {
    await emu.advance(60000);
    assert.ok(emu.console.has("config error: han.rx: must be a GPIO the ESP32 can read: 0, 2, 4, 5, 13-19, 21-23, " +
      "25-27, 32-39; got 6"), emu.console.text());
    assert.deepEqual(emu.serial.setups.filter((s) => s.rx === 6), []);
    assert.deepEqual(emu.console.uncaught, []);
  } finally {
    emu.close();
  }
});
