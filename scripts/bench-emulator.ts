// Figures from the firmware bundle on the emulated ESP32, printed (never pass/fail): the bundle's size, the time
// from a frame's arrival on Serial2 to its readings' publishes leaving for the broker (the 'data' callback does it
// all, synchronously), how fast the emulation runs, and the emulated memory figures. V8 times, not the device's:
// compare them between builds, not with the ESP32.
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { buildFirmware, firmwareSize } from "./build";
import { createEmulator, meterSource } from "./emulator/index";
import { startEmbeddedBroker } from "./mqtt-aedes";

const START = Date.UTC(2024, 0, 15, 0, 0, 0);
/** Virtual time per maker: long enough for the hourly list and a few diag rounds. */
const RUN_MS = 10 * 60000;

function row(cells: string[], widths: number[]): string {
  return cells.map(function (c, i) { return i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]); }).join("  ");
}

export async function benchEmulator(): Promise<void> {
  const build = buildFirmware();
  console.log("\nFirmware bundle: " + firmwareSize(build) +
    (build.problems.length > 0 ? "; build problems: " + build.problems.join("; ") : ""));
  const broker = await startEmbeddedBroker(0);
  const widths = [14, 7, 12, 12, 10, 12, 9, 9];
  console.log("\nThe bundle on the emulated ESP32, " + RUN_MS / 60000 + " virtual minutes per meter (3 phases), " +
    "frames handed over whole (5-s UART polls)");
  console.log(row(["meter", "frames", "ms/frame", "max ms", "MQTT kB", "virtual x", "vars", "free"], widths));
  try {
    for (const maker of ["aidon", "kaifa", "kamstrup"] as const) {
      let frames = 0;
      const emu = createEmulator({
        code: build.code,
        startMs: START,
        serialPollMs: 5000,
        files: {
          "han.json": JSON.stringify({ wifi: { ssid: "han-test", password: "han-test-wifi" },
            mqtt: { url: "mqtt://127.0.0.1:" + broker.port } }),
          "han.serial": JSON.stringify({ baud: 2400, parity: maker === "kamstrup" ? "none" : "even" }),
        },
        source: meterSource({ maker: maker, phases: 3, wires: 4, country: "NO", seed: 3, startMs: START,
          onFrame: function () { frames++; } }),
      });
      const real = process.hrtime.bigint();
      await emu.advance(RUN_MS);
      const realMs = Number(process.hrtime.bigint() - real) / 1e6;
      const serial = emu.callbacks.serial;
      const memory = emu.memory();
      console.log(row([maker, String(frames), (serial.totalMs / Math.max(1, frames)).toFixed(3),
        serial.maxMs.toFixed(2), (emu.net.stats.bytesOut / 1024).toFixed(1), Math.round(RUN_MS / realMs) + "x",
        String(memory.usage), memory.free + "/" + memory.total], widths));
      if (emu.console.uncaught.length > 0) console.log("  uncaught: " + emu.console.uncaught.join("; "));
      emu.close();
    }
  } finally {
    await broker.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  benchEmulator().catch(function (error: Error) {
    console.error(error.message);
    process.exitCode = 1;
  });
}
