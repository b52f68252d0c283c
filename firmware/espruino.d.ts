// The Espruino APIs the firmware uses, and only those: the emulator (scripts/emulator) implements exactly this
// surface, so a call to anything else fails the type check before it can fail on the device. Each function names
// its counterpart in @types/espruino, the typings generated from the interpreter's reference, and
// test/espruino-types.test.ts holds it to that counterpart (scripts/espruino/official-types.ts says how).

interface EspruinoSerial {
  /** @espruino Serial#setup */
  setup(baud: number, options: { rx: number; tx: number; bytesize: number; parity: string | null; stopbits: number }): void;
  /** What arrived while no 'data' listener was set (Espruino keeps up to 512 bytes), as a binary string.
   *  @espruino Serial#read */
  read(): string;
}

interface EspruinoConsoleDevice {
  /** @espruino Serial#write */
  write(data: string): void;
  /** @espruino Serial#on */
  on(event: "data", fn: (data: string) => void): void;
  /** @espruino-untyped src/jswrap_object.c */
  removeAllListeners(event: string): void;
}

interface EspruinoE {
  /** Moves the REPL to another device; force keeps it there when USB is (dis)connected.
   *  @espruino-untyped src/jswrap_espruino.c */
  setConsole(device: EspruinoConsoleDevice, options: { force: boolean }): void;
  /** @espruino-untyped src/jswrap_espruino.c */
  enableWatchdog(timeoutSeconds: number, isAuto: boolean): void;
  /** Flags raised since the last call; the call clears them.
   *  @espruino E.getErrorFlags */
  getErrorFlags(): string[];
  /** @espruino-untyped src/jswrap_object.c */
  on(event: "errorFlag", fn: (flags: string[]) => void): void;
  /** Bytes as a binary string.
   *  @espruino-untyped src/jswrap_espruino.c */
  toString(bytes: Uint8Array): string;
  /** A binary string as bytes, natively.
   *  @espruino E.toUint8Array */
  toUint8Array(data: string): Uint8Array;
}

interface EspruinoAES {
  /** The ESP32 build has the ECB and CTR modes.
   *  @espruino AES.encrypt */
  encrypt(data: Uint8Array, key: Uint8Array, options: { mode: string }): ArrayBuffer;
}

interface EspruinoCrypto {
  /** Digest of a binary string.
   *  @espruino-untyped libs/crypto/jswrap_crypto.c */
  SHA256(message: string): ArrayBuffer;
  AES: EspruinoAES;
}

interface EspruinoSocket {
  /** @espruino-untyped libs/network/jswrap_net.c */
  write(data: string): void;
  /** @espruino-differs Socket#end its argument is optional in libs/network/jswrap_net.c */
  end(): void;
  /** @espruino-untyped src/jswrap_object.c */
  on(event: string, fn: (a?: any) => void): void;
}

interface EspruinoNet {
  /** @espruino-differs net.connect its Socket lacks write and on, and requires end's argument */
  connect(options: { host: string; port: number; ca?: string }, onConnect: () => void): EspruinoSocket;
}

interface EspruinoWifi {
  /** @espruino Wifi.connect */
  connect(ssid: string, options: { password: string }, callback: (error: string | null) => void): void;
  /** @espruino-differs Wifi.disconnect the callback is optional in libs/network/jswrap_wifi.c */
  disconnect(callback?: () => void): void;
  /** @espruino Wifi.on */
  on(event: "connected" | "disconnected", fn: (details?: any) => void): void;
  /** `station` is "connected" or the last disconnect reason; the access point's fields only while connected.
   *  @espruino-differs Wifi.getStatus the ESP32 reports station, ssid, rssi and channel (libs/network/esp32/jswrap_esp32_network.c) */
  getStatus(): { station: string; ssid?: string; rssi?: number; channel?: number };
  /** `zone` is a POSIX TZ string ("UTC0"): the ESP32 port throws on a number.
   *  @espruino-differs Wifi.setSNTP the ESP32 port wants a POSIX TZ string and throws on a number */
  setSNTP(server: string, zone: string): void;
  /** @espruino Wifi.setHostname */
  setHostname(name: string): void;
}

interface EspruinoStorage {
  /** With `offset` and `length`: that range of the file, as a string backed by the flash.
   *  @espruino-untyped src/jswrap_storage.c */
  read(name: string, offset?: number, length?: number): string | undefined;
  /** With `offset`: writes into the file in place, only where it is still erased; at offset 0 with `size`, first
   *  makes it `size` bytes long, erased (0xFF).
   *  @espruino-untyped src/jswrap_storage.c */
  write(name: string, data: string, offset?: number, size?: number): boolean;
  /** @espruino-untyped src/jswrap_storage.c */
  erase(name: string): void;
}

interface EspruinoTelnet {
  /** @espruino TelnetServer.setOptions */
  setOptions(options: { mode: "on" | "off" }): void;
}

declare const E: EspruinoE;
declare const Serial2: EspruinoSerial;
/** The USB console's UART. */
declare const Serial1: EspruinoConsoleDevice;
/** One end of a loopback pair: a console device no person can reach. */
declare const LoopbackA: EspruinoConsoleDevice;
/** @espruino-untyped src/jswrap_modules.c */
declare function require(name: "Storage"): EspruinoStorage;
/** @espruino-untyped src/jswrap_modules.c */
declare function require(name: "Wifi"): EspruinoWifi;
/** @espruino-untyped src/jswrap_modules.c */
declare function require(name: "net"): EspruinoNet;
/** @espruino-untyped src/jswrap_modules.c */
declare function require(name: "tls"): EspruinoNet;
/** @espruino-untyped src/jswrap_modules.c */
declare function require(name: "TelnetServer"): EspruinoTelnet;
/** @espruino-untyped src/jswrap_modules.c */
declare function require(name: "crypto"): EspruinoCrypto;
/** @espruino-differs digitalWrite a pin number is taken where 1v95's typings want a Pin object */
declare function digitalWrite(pin: number, value: boolean): void;
/** @espruino getSerial */
declare function getSerial(): string;
/** Seconds since boot, with fractions.
 *  @espruino getTime */
declare function getTime(): number;
/** @espruino-untyped src/jswrap_interactive.c */
declare function setTimeout(fn: () => void, ms: number): number;
/** @espruino clearTimeout */
declare function clearTimeout(id: unknown): void;
/** @espruino-untyped src/jswrap_interactive.c */
declare function setInterval(fn: () => void, ms: number): number;
/** @espruino clearInterval */
declare function clearInterval(id: unknown): void;
/** @espruino print */
declare function print(text: string): void;
/** @espruino-differs reset its clearFlash argument is optional in src/jswrap_interactive.c */
declare function reset(): void;
/** @espruino load */
declare function load(): void;
declare const process: {
  /** @espruino-untyped src/jswrap_process.c */
  memory(): { free: number; usage: number; total: number };
};
