// The emulator by hand: boots a firmware bundle on the emulated ESP32 and runs it against a meter for a while.
//
//   npm run emulate -- --bundle dist/firmware.js --storage flash.json --meter aidon --phases 3 --speed 10 --for 600
//
// The HAN line is the simulated meter (--meter, --phases, --seed), a capture file (--capture, hex lines or raw
// bytes) or a real serial port (--serial-port /dev/ttyUSB0). Storage is the JSON file --storage (created if
// missing); --config puts a han.json into it first. --speed is how many virtual seconds pass per real second,
// 0 for as fast as possible. Everything the firmware prints goes to stderr, with the emulator's own notes.
//
// The emulated access point is the network the device's han.json names, with its password, unless --wifi-ssid or
// --wifi-password name another (to see what a wrong one does). The broker is whatever han.json names: the CLI
// prints it, and the `npm run monitor` command to watch it, at start and whenever a new han.json is flashed.
//
// With --pty PATH the device's USB console is a pseudo-terminal at PATH (made with socat), for the host tools:
//
//   npm run emulate -- --pty /tmp/ttyHAN --storage flash.json        # then: npm run flash -- --port /tmp/ttyHAN
//
// Without --bundle it then boots what Storage holds (nothing, on a fresh one: Espruino waiting at its prompt), in
// real time until Ctrl-C.
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createEmulator, captureSource, meterSource, serialPortSource, servePty } from "./index";
import type { ByteSource, PtyConsole } from "./index";
import { watchStorage } from "./watch";

const USAGE = "usage: npm run emulate -- [--bundle dist/firmware.js] [--storage FILE] [--config han.json]\n" +
  "  [--meter aidon|kaifa|kamstrup --phases 1|3 --seed N | --capture FILE | --serial-port PATH]\n" +
  "  [--speed N (0: as fast as possible)] [--for SECONDS] [--start ISO-DATE] [--poll MS] [--pty PATH]\n" +
  "  [--wifi-ssid NAME] [--wifi-password TEXT] (default: the network han.json names, with its password)\n";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      bundle: { type: "string" },
      pty: { type: "string" },
      storage: { type: "string" },
      config: { type: "string" },
      meter: { type: "string", default: "aidon" },
      phases: { type: "string", default: "3" },
      seed: { type: "string", default: "1" },
      capture: { type: "string" },
      "serial-port": { type: "string" },
      speed: { type: "string", default: "1" },
      for: { type: "string" },
      start: { type: "string" },
      poll: { type: "string" },
      "wifi-ssid": { type: "string" },
      "wifi-password": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const bundle = values.bundle || (values.pty ? undefined : "dist/firmware.js");
  if (bundle !== undefined && !existsSync(bundle)) {
    process.stderr.write("no bundle at " + bundle + " (npm run build writes dist/firmware.js)\n" + USAGE);
    return 2;
  }
  const maker = values.meter;
  if (maker !== "aidon" && maker !== "kaifa" && maker !== "kamstrup") {
    process.stderr.write("--meter must be aidon, kaifa or kamstrup\n" + USAGE);
    return 2;
  }
  const phases = values.phases === "1" ? 1 : 3;
  const startMs = values.start ? Date.parse(values.start) : Date.now();
  let source: ByteSource;
  if (values["serial-port"]) source = await serialPortSource(values["serial-port"]);
  else if (values.capture) source = captureSource({ file: values.capture, loop: true });
  else {
    source = meterSource({ maker: maker, phases: phases, wires: 4, country: "NO", seed: Number(values.seed),
      startMs: startMs });
  }
  const files: { [name: string]: string } = {};
  if (values.config) files["han.json"] = readFileSync(values.config, "utf8");

  process.stderr.write("emulating " + (bundle || "what Storage holds") + " fed by " + source.describe() + "\n");
  const wifi = { ssid: values["wifi-ssid"], password: values["wifi-password"] };
  const emu = createEmulator({ bundle: bundle, storage: values.storage, files: files, source: source,
    startMs: startMs, verbose: true, serialPollMs: values.poll ? Number(values.poll) : undefined, wifi: wifi });
  const stopWatching = watchStorage(emu.storage, wifi, function (text) { process.stderr.write(text + "\n"); }, 1000);
  // With a pty, host tools need the device to answer as it would: in real time, until stopped.
  const forMs = values.for !== undefined ? Number(values.for) * 1000 : values.pty ? undefined : 60000;
  const speed = values.pty ? 1 : Number(values.speed);
  let pty: PtyConsole | null = null;
  if (values.pty) {
    pty = await servePty(emu.consoles, values.pty);
    process.stderr.write("USB console on " + pty.path + " (115200 baud for the host tools)\n");
  }
  try {
    if (speed > 0) {
      // Ctrl-C ends a real-time run early, with the summary.
      const run = emu.runRealtime(speed, forMs);
      process.once("SIGINT", run.stop);
      await run.done;
      process.removeListener("SIGINT", run.stop);
    } else {
      await emu.advance(forMs as number);
    }
  } finally {
    stopWatching();
    if (pty) await pty.close();
  }

  const memory = emu.memory();
  const stats = emu.net.stats;
  process.stderr.write("\n" + (emu.clock.now / 1000).toFixed(1) + " s emulated; HAN bytes " +
    emu.serial.bytesDelivered + " in " + emu.serial.chunksDelivered + " chunks; sockets opened " + stats.opened +
    ", bytes out " + stats.bytesOut + "; resets " + emu.resets.length + "; uncaught errors " +
    emu.console.uncaught.length + "; variables " + memory.usage + " of " + memory.total + "\n");
  emu.close();
  return emu.console.uncaught.length > 0 ? 1 : 0;
}

main().then(function (code) { process.exitCode = code; }, function (error: Error) {
  process.stderr.write(error.message + "\n");
  process.exitCode = 1;
});
