// The ESP32 emulator for the firmware bundle: createEmulator() boots dist/firmware.js (or any bundle) in an
// Espruino-shaped context, fed by a byte source on Serial2 and talking to real brokers; servePty() puts its USB
// console on a pseudo-terminal for host tools. See ./emulator.ts.
import { Emulator, EmulatorOptions } from "./emulator";

export { Emulator } from "./emulator";
export type { EmulatorOptions, MemoryFigures, ResetReport, RealtimeRun, CallbackStats } from "./emulator";
export type { ByteSource } from "./uart";
export type { LineSettings, Transmission } from "./line";
export { meterSource, meterLine } from "./sources/meter";
export type { MeterSourceOptions } from "./sources/meter";
export { captureSource, parseHexCapture } from "./sources/capture";
export { serialPortSource } from "./sources/serialport";
export { withFaults } from "./sources/faults";
export { servePty, socatMissing } from "./pty";
export type { PtyConsole, UsbConsole } from "./pty";
export type { FaultySource } from "./sources/faults";

export function createEmulator(options: EmulatorOptions): Emulator {
  return new Emulator(options);
}
