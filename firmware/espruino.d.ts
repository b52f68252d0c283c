// The Espruino APIs the firmware uses, and only those: the emulator (scripts/emulator) implements exactly this
// surface, so a call to anything else fails the type check before it can fail on the device.

interface EspruinoSerial {
  setup(baud: number, options: { rx: number; tx: number; bytesize: number; parity: string | null; stopbits: number }): void;
  /** What arrived while no 'data' listener was set (Espruino keeps up to 512 bytes), as a binary string. */
  read(): string;
}

interface EspruinoConsoleDevice {
  write(data: string): void;
  on(event: "data", fn: (data: string) => void): void;
  removeAllListeners(event: string): void;
}

interface EspruinoE {
  /** Moves the REPL to another device; force keeps it there when USB is (dis)connected. */
  setConsole(device: EspruinoConsoleDevice, options: { force: boolean }): void;
  enableWatchdog(timeoutSeconds: number, isAuto: boolean): void;
  /** Flags raised since the last call; the call clears them. */
  getErrorFlags(): string[];
  on(event: "errorFlag", fn: (flags: string[]) => void): void;
  /** Bytes as a binary string. */
  toString(bytes: Uint8Array): string;
  /** A binary string as bytes, natively. */
  toUint8Array(data: string): Uint8Array;
}

interface EspruinoCrypto {
  /** Digest of a binary string. */
  SHA256(message: string): ArrayBuffer;
}

interface EspruinoSocket {
  write(data: string): void;
  end(): void;
  on(event: string, fn: (a?: any) => void): void;
}

interface EspruinoNet {
  connect(options: { host: string; port: number; ca?: string }, onConnect: () => void): EspruinoSocket;
}

interface EspruinoWifi {
  connect(ssid: string, options: { password: string }, callback: (error: string | null) => void): void;
  disconnect(callback?: () => void): void;
  on(event: "connected" | "disconnected", fn: (details?: any) => void): void;
  /** `station` is "connected" or the last disconnect reason; the access point's fields only while connected. */
  getStatus(): { station: string; ssid?: string; rssi?: number; channel?: number };
  /** `zone` is a POSIX TZ string ("UTC0"): the ESP32 port throws on a number. */
  setSNTP(server: string, zone: string): void;
  setHostname(name: string): void;
}

interface EspruinoStorage {
  read(name: string): string | undefined;
  /** With `offset`: writes into the file in place, only where it is still erased; at offset 0 with `size`, first
   *  makes it `size` bytes long, erased (0xFF). */
  write(name: string, data: string, offset?: number, size?: number): boolean;
  erase(name: string): void;
}

interface EspruinoTelnet {
  setOptions(options: { mode: "on" | "off" }): void;
}

declare const E: EspruinoE;
declare const Serial2: EspruinoSerial;
/** The USB console's UART. */
declare const Serial1: EspruinoConsoleDevice;
/** One end of a loopback pair: a console device no person can reach. */
declare const LoopbackA: EspruinoConsoleDevice;
declare function require(name: "Storage"): EspruinoStorage;
declare function require(name: "Wifi"): EspruinoWifi;
declare function require(name: "net"): EspruinoNet;
declare function require(name: "tls"): EspruinoNet;
declare function require(name: "TelnetServer"): EspruinoTelnet;
declare function require(name: "crypto"): EspruinoCrypto;
declare function digitalWrite(pin: number, value: boolean): void;
declare function getSerial(): string;
/** Seconds since boot, with fractions. */
declare function getTime(): number;
declare function setTimeout(fn: () => void, ms: number): number;
declare function clearTimeout(id: unknown): void;
declare function setInterval(fn: () => void, ms: number): number;
declare function clearInterval(id: unknown): void;
declare function print(text: string): void;
declare function reset(): void;
declare function load(): void;
declare const process: { memory(): { free: number; usage: number; total: number } };
