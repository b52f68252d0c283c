// The emulated ESP32's USB console on a pseudo-terminal, where a USB-serial adapter would show up: host tools
// (the `espruino` command-line tool, npm run flash) open the path like /dev/ttyUSB0. socat makes the pty (a link
// at the path asked for) and joins it to a TCP port of 127.0.0.1 where the emulator types what the host writes
// into Serial1 and sends back what the device prints there. The pty outlives the tools that open and close it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, lstatSync, rmSync } from "node:fs";
import net from "node:net";

/** The USB console as the pty needs it: an Emulator's `consoles`. */
export interface UsbConsole {
  /** What the device sends out of the USB port goes to `reader` until the returned function is called. */
  readUsb(reader: (text: string) => void): () => void;
  /** Bytes from the host, as a binary string. */
  type(text: string): void;
}

export interface PtyConsole {
  /** The link to the pty, as asked for. */
  path: string;
  /** Ends the pty (the link goes) and the TCP port. */
  close(): Promise<void>;
}

/** Why a pty cannot be made here, or null when it can. */
export function socatMissing(): string | null {
  const found = spawnSync("sh", ["-c", "command -v socat"]);
  return found.status === 0 ? null : "the `socat` binary is not installed (apt-get install -y socat)";
}

function linkExists(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch (e) {
    return false;
  }
}

/** Waits until `done()` holds, checking every 10 ms; false after `ms`. */
async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** Serves a USB console (an emulator's `consoles`) on a new pty linked at `path` (an existing link there is
 *  replaced). The emulator's clock must run (runRealtime) for the device to answer. */
export async function servePty(usb: UsbConsole, path: string): Promise<PtyConsole> {
  const missing = socatMissing();
  if (missing) throw new Error("cannot make a pty: " + missing);
  if (existsSync(path) && !linkExists(path)) throw new Error(path + " exists and is not a link: choose another path");
  rmSync(path, { force: true });
  let connection: net.Socket | null = null;
  let stopReading: (() => void) | null = null;
  const server = net.createServer(function (socket) {
    if (connection) connection.destroy();
    connection = socket;
    socket.setNoDelay(true);
    if (stopReading) stopReading();
    stopReading = usb.readUsb(function (text) { socket.write(Buffer.from(text, "latin1")); });
    socket.on("data", function (data: Buffer) { usb.type(data.toString("latin1")); });
    socket.on("error", function () { /* the pty went away; close() tidies up */ });
  });
  await new Promise<void>(function (resolve, reject) {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  let log = "";
  const socat: ChildProcess = spawn("socat", ["PTY,link=" + path + ",raw,echo=0", "TCP:127.0.0.1:" + port],
    { stdio: ["ignore", "ignore", "pipe"] });
  let exited = false;
  socat.on("exit", function () { exited = true; });
  if (socat.stderr) socat.stderr.on("data", function (d: Buffer) { log = (log + d.toString()).slice(-2000); });

  const close = async function (): Promise<void> {
    if (!exited) {
      const gone = new Promise<void>(function (resolve) { socat.once("exit", function () { resolve(); }); });
      socat.kill("SIGTERM");
      await gone;
    }
    if (stopReading) stopReading();
    if (connection) connection.destroy();
    await new Promise<void>(function (resolve) { server.close(function () { resolve(); }); });
    rmSync(path, { force: true });
  };
  const ready = await waitUntil(function () { return exited || (connection !== null && linkExists(path)); }, 5000);
  if (!ready || exited) {
    await close();
    throw new Error("socat did not make the pty at " + path + (log ? ": " + log.trim() : ""));
  }
  return { path: path, close: close };
}
