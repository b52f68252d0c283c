// A real serial port as the line's byte source, through the `serialport` package (a devDependency): the host's
// UART frames the bytes, so the port is reopened with whatever settings the firmware sets up, and each chunk is
// stamped with the virtual time at which it arrived.
import type { LineSettings, Transmission } from "../line";
import type { ByteSource } from "../uart";

interface PortLike {
  on(event: "data", fn: (data: Buffer) => void): void;
  on(event: "error", fn: (error: Error) => void): void;
  close(fn?: (error: Error | null) => void): void;
  isOpen: boolean;
}

type PortConstructor = new (options: { path: string; baudRate: number; dataBits: 7 | 8; parity: string;
  stopBits: 1 | 2; autoOpen?: boolean }, callback?: (error: Error | null) => void) => PortLike;

/** Loads the package; fails with a message that says what to do when it cannot. */
async function loadSerialPort(): Promise<PortConstructor> {
  try {
    const module = await import("serialport") as unknown as { SerialPort: PortConstructor };
    return module.SerialPort;
  } catch (e) {
    throw new Error("the serial port source needs the `serialport` package, which could not be loaded (" +
      (e as Error).message + "); install it with `npm install --save-dev serialport`, or feed the emulator from " +
      "the meter simulator or a capture file instead");
  }
}

export async function serialPortSource(path: string, onError?: (message: string) => void): Promise<ByteSource> {
  const SerialPort = await loadSerialPort();
  let port: PortLike | null = null;
  let now: () => number = function () { return 0; };
  const arrived: Transmission[] = [];
  const report = onError || function (message: string) { process.stderr.write("serial port: " + message + "\n"); };
  const close = function (): void {
    if (port && port.isOpen) port.close();
    port = null;
  };
  return {
    line: null,
    live: true,
    attach: function (clock: () => number) { now = clock; },
    configure: function (rx: LineSettings) {
      close();
      const p = new SerialPort({ path: path, baudRate: rx.baud, dataBits: rx.bytesize, parity: rx.parity,
        stopBits: rx.stopbits }, function (error) { if (error) report("cannot open " + path + ": " + error.message); });
      p.on("data", function (data: Buffer) { arrived.push({ at: now(), bytes: Uint8Array.from(data) }); });
      p.on("error", function (error: Error) { report(error.message); });
      port = p;
    },
    take: function (untilMs: number): Transmission[] {
      let n = 0;
      while (n < arrived.length && arrived[n].at <= untilMs) n++;
      return arrived.splice(0, n);
    },
    close: close,
    describe: function () { return "serial port " + path; },
  };
}
