// The emulator by hand: boots a firmware bundle on the emulated ESP32 and runs it against a meter for a while.
//
//   tsx scripts/emulator/cli.ts --bundle dist/firmware.js --storage flash.json --meter aidon --phases 3 \
//       --speed 10 --for 600
//
// The HAN line is the simulated meter (--meter, --phases, --seed), a capture file (--capture, hex lines or raw
// bytes) or a real serial port (--serial-port /dev/ttyUSB0). Storage is the JSON file --storage (created if
// missing); --config puts a han.json into it first. --speed is how many virtual seconds pass per real second,
// 0 for as fast as possible. Everything the firmware prints goes to stderr.
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createEmulator, captureSource, meterSource, serialPortSource } from "./index";
import type { ByteSource } from "./index";

const USAGE = "usage: tsx scripts/emulator/cli.ts --bundle dist/firmware.js [--storage FILE] [--config han.json]\n" +
  "  [--meter aidon|kaifa|kamstrup --phases 1|3 --seed N | --capture FILE | --serial-port PATH]\n" +
  "  [--speed N (0: as fast as possible)] [--for SECONDS] [--start ISO-DATE] [--poll MS]\n";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      bundle: { type: "string", default: "dist/firmware.js" },
      storage: { type: "string" },
      config: { type: "string" },
      meter: { type: "string", default: "aidon" },
      phases: { type: "string", default: "3" },
      seed: { type: "string", default: "1" },
      capture: { type: "string" },
      "serial-port": { type: "string" },
      speed: { type: "string", default: "1" },
      for: { type: "string", default: "60" },
      start: { type: "string" },
      poll: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!existsSync(values.bundle)) {
    process.stderr.write("no bundle at " + values.bundle + " (npm run build writes dist/firmware.js)\n" + USAGE);
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

  process.stderr.write("emulating " + values.bundle + " fed by " + source.describe() + "\n");
  const emu = createEmulator({ bundle: values.bundle, storage: values.storage, files: files, source: source,
    startMs: startMs, verbose: true, serialPollMs: values.poll ? Number(values.poll) : undefined });
  const forMs = Number(values.for) * 1000;
  const speed = Number(values.speed);
  if (speed > 0) {
    // Ctrl-C ends a real-time run early, with the summary.
    const run = emu.runRealtime(speed, forMs);
    process.once("SIGINT", run.stop);
    await run.done;
    process.removeListener("SIGINT", run.stop);
  } else {
    await emu.advance(forMs);
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
