// The emulator itself, with small programs in place of the firmware: Espruino's timer rules on the virtual clock,
// the wall clock before and after SNTP, loud errors for what is not emulated, the UART's line model, Wi-Fi, real
// sockets, Storage in a file, error flags, the watchdog, load() and reset(), the memory estimate, the consoles.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captureSource, createEmulator, Emulator, EmulatorOptions, parseHexCapture, serialPortSource }
  from "../scripts/emulator/index";
import type { ByteSource, LineSettings, Transmission } from "../scripts/emulator/index";

function run(code: string, options?: Partial<EmulatorOptions>): Emulator {
  return createEmulator(Object.assign({ code: code }, options));
}

/** What the program left in `globalThis.out`, copied out of its realm so that deepEqual compares values only. */
function out(emu: Emulator): unknown[] {
  return structuredClone(emu.global().out) as unknown[];
}

const E8E1: LineSettings = { baud: 2400, bytesize: 8, parity: "even", stopbits: 1 };
const E8N1: LineSettings = { baud: 2400, bytesize: 8, parity: "none", stopbits: 1 };

function lineSource(line: LineSettings, transmissions: Transmission[]): ByteSource {
  const pending = transmissions.slice();
  return {
    line: line,
    take: function (until) {
      const due = pending.filter(function (t) { return t.at <= until; });
      pending.splice(0, due.length);
      return due;
    },
    close: function () { /* nothing */ },
    describe: function () { return "test line"; },
  };
}

/** A program that opens Serial2 with `setup` and keeps every chunk, with the virtual time it came at. */
function receiver(setup: string): string {
  return "var out = []; Serial2.setup(2400, " + setup + "); Serial2.on('data', function (d) {" +
    " out.push([getTime(), d]); });";
}

function bytesOf(chunks: unknown[]): number[] {
  const all: number[] = [];
  for (const c of chunks as [number, string][]) for (let i = 0; i < c[1].length; i++) all.push(c[1].charCodeAt(i));
  return all;
}

function ones(b: number): number {
  let n = 0;
  for (let x = b; x; x >>= 1) n += x & 1;
  return n;
}

test("timers follow Espruino: unknown ids throw, a timeout is known while it runs, clearTimeout() clears all", async () => {
  const emu = run(`
    var out = [];
    var a = setTimeout(function () { out.push("a"); clearTimeout(a); }, 30);
    setTimeout(function () { try { clearTimeout(a); } catch (e) { out.push(e.message); } }, 40);
    setTimeout(function () { out.push("b"); }, 20);
    var n = 0;
    var i = setInterval(function () { out.push("i" + getTime().toFixed(2)); if (++n === 3) clearInterval(i); }, 100);
    setTimeout(function () { setTimeout(function () { out.push("never"); }, 10); clearTimeout(); }, 500);
  `);
  await emu.advance(1000);
  assert.deepEqual(out(emu), ["b", "a", "Unknown Timeout", "i0.10", "i0.20", "i0.30"]);
  assert.equal(emu.clock.timerCount(), 0);
  emu.close();
});

test("an uncaught error in a callback is printed and the loop goes on", async () => {
  const emu = run(`
    setTimeout(function () { throw new Error("boom"); }, 10);
    setTimeout(function () { console.log("still", "here", {n: 1}); }, 20);
  `);
  await emu.advance(100);
  assert.deepEqual(emu.console.uncaught, ["Error: boom"]);
  assert.ok(emu.console.has("Uncaught Error: boom"));
  assert.ok(emu.console.has("still here {\"n\":1}"));
  emu.close();
});

test("the wall clock counts from boot until SNTP sets it; Date follows it and is still Date", async () => {
  const start = Date.UTC(2024, 5, 1, 12, 0, 0);
  const emu = run(`
    var out = [];
    var wifi = require("Wifi");
    setTimeout(function () { out.push([getTime(), Date.now(), new Date().getTime(), typeof Date.UTC]); }, 1000);
    wifi.on("connected", function () { wifi.setSNTP("pool.ntp.org", "UTC0"); });
    wifi.connect("han-test", { password: "secret" }, function (error) { out.push(error); });
    setTimeout(function () {
      out.push([new Date().toISOString(), new Date(0).toISOString(), new Date() instanceof Date, typeof Date()]);
      out.push([new Date().getHours(), new Date().getTimezoneOffset()]);
    }, 10000);
  `, { startMs: start });
  // The device's zone is UTC wherever the host is.
  const zone = process.env.TZ;
  process.env.TZ = "America/New_York";
  try {
    await emu.advance(11000);
  } finally {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  }
  assert.deepEqual(out(emu)[0], [1, 1000, 1000, "undefined"]);
  assert.equal(out(emu)[1], null);
  assert.deepEqual(out(emu)[2], ["2024-06-01T12:00:10.000Z", "1970-01-01T00:00:00.000Z", true, "string"]);
  assert.deepEqual(out(emu)[3], [12, 0]);
  emu.close();
});

test("what the emulator lacks is a loud error that names it", async () => {
  const emu = run(`
    var out = [];
    [function () { return E.reboot; }, function () { return Serial3; }, function () { return require("http"); },
     function () { return require("nope"); }, function () { return require("Wifi").scan; },
     function () { return typeof Map; }].forEach(function (f) {
      try { out.push(f()); } catch (e) { out.push(e.message); }
    });
  `);
  assert.deepEqual(out(emu), ["Espruino API E.reboot is not emulated", "Espruino API Serial3 is not emulated",
    "Espruino API require(\"http\") is not emulated", "Module nope not found",
    "Espruino API Wifi.scan is not emulated", "undefined"]);
  emu.close();
});

test("UART: bytes arrive at the line rate, at most 256 per chunk, in the driver's polls", async () => {
  const bytes = Uint8Array.from({ length: 600 }, function (_, i) { return i & 0xff; });
  const fast: LineSettings = { baud: 115200, bytesize: 8, parity: "none", stopbits: 1 };
  const slow = run(receiver("{ rx: 16, tx: 17, parity: 'e' }"),
    { source: lineSource(E8E1, [{ at: 100, bytes: bytes.subarray(0, 3) }]) });
  await slow.advance(1000);
  // 11 bits at 2400 baud: 4.58 ms a byte; the driver looks every 5 ms.
  assert.deepEqual(out(slow).map(function (c) { return (c as [number, string])[0]; }), [0.105, 0.11, 0.115]);
  slow.close();
  const burst = run("var out = []; Serial2.setup(115200, {rx: 16, tx: 17});" +
    "Serial2.on('data', function (d) { out.push(d.length); });",
    { source: lineSource(fast, [{ at: 0, bytes: bytes }]), serialPollMs: 1000 });
  await burst.advance(2000);
  assert.deepEqual(out(burst), [256, 256, 88]);
  burst.close();
});

test("UART: 8E1 read as 8N1 delivers every byte as sent: the parity bit reads as a stop bit, errors are not flagged",
  async () => {
    const bytes = Uint8Array.from({ length: 256 }, function (_, i) { return i; });
    const emu = run(receiver("{ rx: 16, tx: 17 }"), { source: lineSource(E8E1, [{ at: 10, bytes: bytes }]) });
    await emu.advance(2000);
    const got = bytesOf(out(emu));
    assert.deepEqual(got, Array.from(bytes));
    assert.ok(got.some(function (b) { return ones(b) % 2 === 0; }), "bytes whose parity bit (0) fails the stop bit");
    emu.close();
  });

test("UART: a byte with the wrong parity arrives as sent (8O1 read as 8E1)", async () => {
  const bytes = Uint8Array.from([0x00, 0x01, 0x7e, 0xff, 0x55]);
  const emu = run(receiver("{ rx: 16, tx: 17, parity: 'e' }"),
    { source: lineSource({ baud: 2400, bytesize: 8, parity: "odd", stopbits: 1 }, [{ at: 10, bytes: bytes }]) });
  await emu.advance(1000);
  assert.deepEqual(bytesOf(out(emu)), Array.from(bytes));
  emu.close();
});

test("UART: 8N1 read as 8E1: a burst's first byte intact, the rest out of step but delivered", async () => {
  const burst = [0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x07];
  const emu = run(receiver("{ rx: 16, tx: 17, parity: 'e' }"), {
    source: lineSource(E8N1, [{ at: 10, bytes: Uint8Array.from([0x01]) }, { at: 100, bytes: Uint8Array.from([0x03]) },
      { at: 200, bytes: Uint8Array.from(burst) }]),
  });
  await emu.advance(1000);
  const got = bytesOf(out(emu));
  assert.deepEqual(got.slice(0, 3), [0x01, 0x03, 0x41], "lone bytes and a burst's first byte, parity right or wrong");
  const rest = got.slice(3);
  assert.ok(rest.length >= burst.length / 2, "the receiver lost most of the burst: " + rest);
  assert.ok(rest.some(function (b) { return burst.indexOf(b) < 0; }), "bytes never sent: " + rest);
  emu.close();
});

test("UART: another baud gives garbage of the proportionate length", async () => {
  const bytes = Uint8Array.from({ length: 100 }, function (_, i) { return 0x7e ^ i; });
  const emu = run("var out = []; Serial2.setup(9600, {rx: 16, tx: 17, parity: 'e'});" +
    "Serial2.on('data', function (d) { out.push([0, d]); });",
    { source: lineSource(E8E1, [{ at: 0, bytes: bytes }]) });
  await emu.advance(2000);
  const got = bytesOf(out(emu));
  assert.equal(got.length, 400);
  assert.notDeepEqual(got.slice(0, 100), Array.from(bytes));
  emu.close();
});

test("Wi-Fi as on the ESP32 (2v29): a failed connect only fires 'disconnected', RSSI is in getStatus() while " +
  "connected, nothing reconnects by itself", async () => {
  const emu = run(`
    var out = [];
    var wifi = require("Wifi");
    function state() { var s = wifi.getStatus(), d = wifi.getDetails(); return [s.station, s.rssi, d.status, d.rssi]; }
    wifi.on("disconnected", function (d) { out.push(["disconnected", d.reason, d.msg, state()]); });
    wifi.on("connected", function (d) { out.push(["connected", d.netmask, state()]); });
    out.push(state());
    wifi.connect("han-test", { password: "wrong" }, function (error) { out.push(["first", error]); });
    setTimeout(function () {
      wifi.connect("han-test", { password: "secret" }, function (e) { out.push(["second", e]); });
    }, 10000);
  `, { wifi: { ssid: "han-test", password: "secret", rssi: -52 } });
  await emu.advance(15000);
  emu.wifi.drop(1000);
  await emu.advance(60000);
  assert.deepEqual(out(emu), [
    ["Unknown reason", undefined, "Unknown reason", undefined],
    ["disconnected", "202", "AUTH_FAIL", ["AUTH_FAIL", undefined, "AUTH_FAIL", undefined]],
    ["second", null],
    ["connected", "255.255.255.0", ["connected", -52, "connected", undefined]],
    ["disconnected", "200", "BEACON_TIMEOUT", ["BEACON_TIMEOUT", undefined, "BEACON_TIMEOUT", undefined]],
  ]);
  assert.equal(emu.wifi.state.associated, false);
  assert.deepEqual(emu.notes, ["Wi-Fi does not connect: wrong password for \"han-test\" (the emulated access " +
    "point's is set by the emulator's wifi option; npm run emulate -- --wifi-password)"]);
  emu.close();
});

test("Wi-Fi: unless told otherwise the emulator provides the network the firmware asks for, and says why another " +
  "does not connect", async () => {
  const emu = run(`
    var out = [];
    var wifi = require("Wifi");
    wifi.on("disconnected", function (d) { out.push(d.ssid + " " + d.msg); });
    wifi.connect("home", { password: "pw-1" }, function (e) {
      out.push("home " + e);
      wifi.connect("cabin", { password: "pw-1" });
    });
  `);
  await emu.advance(20000);
  assert.deepEqual(out(emu), ["home null", "cabin NO_AP_FOUND"]);
  assert.deepEqual(emu.notes, ["Wi-Fi: emulating access point \"home\", the network the device asked for",
    "Wi-Fi does not connect: no network \"cabin\" in reach: the emulated access point is \"home\" (the emulator's " +
    "wifi option; npm run emulate -- --wifi-ssid)"]);
  emu.close();
});

test("Wi-Fi: setSNTP takes the zone as a string, as the ESP32 port does", async () => {
  const emu = run(`
    var out = [];
    var wifi = require("Wifi");
    [0, "UTC0"].forEach(function (zone) {
      try { wifi.setSNTP("pool.ntp.org", zone); out.push("ok"); } catch (e) { out.push(e.message); }
    });
  `);
  assert.deepEqual(out(emu), ["Zone is not a string", "ok"]);
  emu.close();
});

test("net: a real socket carries binary strings both ways; 16-bit characters are refused", async () => {
  const server = net.createServer(function (s) { s.pipe(s); });
  await new Promise<void>(function (resolve) { server.listen(0, "127.0.0.1", resolve); });
  const port = (server.address() as net.AddressInfo).port;
  const emu = run(`
    var out = [];
    var all = ""; for (var i = 0; i < 256; i++) all += String.fromCharCode(i);
    var wifi = require("Wifi");
    wifi.connect("han-test", { password: "secret" }, function () {
      var s = require("net").connect({ host: "127.0.0.1", port: ${port} }, function () {
        s.write(all);
        try { s.write("\\u20ac"); } catch (e) { out.push(e.message); }
      });
      var got = "";
      s.on("data", function (d) { got += d; if (got.length === 256) { out.push(got === all); s.end(); } });
      s.on("close", function () { out.push("closed"); });
    });
    var early = require("net").connect({ host: "127.0.0.1", port: ${port} }, function () { out.push("connected?"); });
    early.on("error", function (e) { out.push("error: " + e.message); });
  `);
  try {
    await emu.advanceUntil(function () { return out(emu).indexOf("closed") >= 0; }, 10000);
    assert.deepEqual(out(emu), ["error: no network",
      "socket.write: character 8364 at 0 does not fit Espruino's 8-bit strings", true, "closed"]);
  } finally {
    emu.close();
    server.close();
  }
});

test("Storage lives in a file: what one boot writes, the next device reads", async () => {
  const dir = mkdtempSync(join(tmpdir(), "emulator-storage-"));
  const file = join(dir, "flash.json");
  try {
    const first = run(`var s = require("Storage"); s.write("a", "\\x00\\xff binary"); s.write("b", "x"); s.erase("b");`,
      { storage: file });
    first.close();
    const second = createEmulator({ storage: file,
      code: "var s = require('Storage'); var out = [s.read('a'), s.list(), s.read('b')];" });
    assert.deepEqual(out(second), ["\x00\xff binary", [".bootcde", "a"], undefined]);
    second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("error flags: getErrorFlags returns and clears them, 'errorFlag' fires once per new flag", async () => {
  const emu = run(`var out = []; E.on("errorFlag", function (f) { out.push(f); });`);
  emu.raiseErrorFlag("FIFO_FULL");
  emu.raiseErrorFlag("FIFO_FULL");
  await emu.advance(10);
  assert.deepEqual(out(emu), [["FIFO_FULL"]]);
  const e = emu.global().E as { getErrorFlags(): string[] };
  assert.deepEqual(structuredClone(e.getErrorFlags()), ["FIFO_FULL"]);
  assert.deepEqual(structuredClone(e.getErrorFlags()), []);
  emu.close();
});

test("a callback that outlasts the watchdog in real time resets the device, which boots again", async () => {
  let realMs = 0;
  const emu = run(`
    print("boot");
    E.enableWatchdog(2, true);
    setTimeout(function () { burn(3000); }, 100);
  `, { realNow: function () { return realMs; }, globals: { burn: function (ms: number) { realMs += ms; } } });
  await emu.advance(150);
  assert.equal(emu.resets.length, 1);
  assert.equal(emu.resets[0].reason, "watchdog");
  assert.ok(emu.console.has("WATCHDOG RESET: a timer callback ran 3000 ms"));
  assert.equal(emu.console.lines.filter(function (l) { return l === "boot"; }).length, 2);
  emu.close();
});

test("load() runs the boot code again in a fresh context; reset() leaves nothing running", async () => {
  const emu = run(`
    var s = require("Storage");
    var n = parseInt(s.read("boots") || "0", 10) + 1;
    s.write("boots", "" + n);
    globalThis.leftover = n;
    setTimeout(function () { if (n < 3) load(); else reset(); }, 100);
  `);
  await emu.advance(1000);
  assert.equal(emu.storage.read("boots"), "3");
  assert.deepEqual(emu.resets.map(function (r) { return r.reason; }), ["load", "load", "reset"]);
  assert.equal(emu.global().leftover, undefined);
  assert.equal(emu.clock.timerCount(), 0);
  emu.close();
});

test("process.memory(): the estimate follows what closures hold", async () => {
  const emu = run(`
    (function () {
      // Espruino sets up Array's methods at their first use: before the first estimate here.
      var kept = [];
      kept.push("start");
      setInterval(function () { kept.push("reading number " + kept.length); }, 1000);
    })();
  `, { memoryTotal: 5000 });
  const before = emu.memory();
  await emu.advance(100000);
  const after = emu.memory();
  assert.equal(before.total, 5000);
  assert.equal(after.free, 5000 - after.usage);
  // 100 more elements, each 1 variable for the element and 2 for its 17-character string.
  assert.equal(after.usage - before.usage, 300);
  emu.close();
});

test("consoles: print goes where E.setConsole put it; typing at USB reaches the REPL, or Serial1 once the REPL is away", async () => {
  const emu = run(`
    var out = [];
    print("on usb");
    E.setConsole(LoopbackA, { force: true });
    LoopbackB.on("data", function (d) { out.push("loopback got " + d.trim()); });
    Serial1.on("data", function (d) { out.push("typed " + d); Serial1.write("ok\\r\\n"); });
    print("hidden");
  `);
  const open = createEmulator({ code: "" });
  open.consoles.type("1+1\r");
  await open.advance(10);
  assert.equal(open.consoles.usbOutput, "1+1\r\n=2\r\n>");
  open.close();
  emu.consoles.type("secret");
  await emu.advance(10);
  assert.deepEqual(out(emu), ["loopback got hidden", "typed secret"]);
  assert.equal(emu.consoles.usbOutput, "on usb\r\nok\r\n");
  assert.equal(emu.consoles.current, "LoopbackA");
  emu.close();
});

test("a hex capture file is sent one frame per interval; comments and separators are ignored", async () => {
  const dir = mkdtempSync(join(tmpdir(), "emulator-capture-"));
  const file = join(dir, "capture.txt");
  try {
    writeFileSync(file, "# two frames\n7e a0 07\n\n7E:01:02:7E  # the second\n");
    assert.deepEqual(parseHexCapture("7e a0\nzz"), null);
    const emu = run(receiver("{ rx: 16, tx: 17, parity: 'e' }"),
      { source: captureSource({ file: file, intervalMs: 1000, startAtMs: 100 }), serialPollMs: 500 });
    await emu.advance(3000);
    assert.deepEqual(structuredClone(out(emu)), [[0.5, "\x7e\xa0\x07"], [1.5, "\x7e\x01\x02\x7e"]]);
    emu.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a serial port that cannot be opened is reported, not silently empty", async () => {
  let reported: (message: string) => void = function () { /* set below */ };
  const error = new Promise<string>(function (resolve) { reported = resolve; });
  const source = await serialPortSource("/dev/no-such-port", function (message) { reported(message); });
  const emu = run(receiver("{ rx: 16, tx: 17 }"), { source: source });
  try {
    assert.match(await error, /cannot open \/dev\/no-such-port/);
  } finally {
    emu.close();
  }
});

test("runRealtime: virtual time follows the real clock times the speed", async () => {
  let realMs = 0;
  const emu = run("var out = []; setInterval(function () { out.push(getTime()); }, 1000);",
    { realNow: function () { return realMs; } });
  const running = emu.runRealtime(100, 5000);
  realMs = 30;
  // The driver looks at the real clock every few milliseconds; with the clock held, time stops at 30 x 100.
  await new Promise<void>(function (resolve) {
    const check = function (): void { if (emu.clock.now >= 3000) resolve(); else setImmediate(check); };
    check();
  });
  assert.equal(emu.clock.now, 3000);
  realMs = 100;
  await running.done;
  assert.deepEqual(out(emu), [1, 2, 3, 4, 5]);
  emu.close();
});
