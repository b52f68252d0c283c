// The devices the console can live on: Serial1 (UART0, the USB console) and the loopback pair, whose two ends
// are joined (what is written to LoopbackA arrives as data on LoopbackB and the other way round). E.setConsole
// moves the REPL (./repl.ts). Data arriving at a device goes to its 'data' listeners when it has any, as on
// Espruino, and otherwise to the REPL if the console is there: what a person (or a host tool on the USB serial
// port) types at Serial1 reaches the REPL until the firmware takes the console away.
import { Host, Listeners } from "./host";
import { Evaluation, Repl } from "./repl";

/** How much USB output is kept for tests to read. */
const USB_KEPT = 65536;

export type ConsoleName = "Serial1" | "LoopbackA" | "LoopbackB";

export class ConsoleDevices {
  /** Where the REPL (and print) goes: Serial1 at boot. */
  current: ConsoleName = "Serial1";
  /** Everything sent out of the USB console: the firmware's Serial1.write, and print while the console is there. */
  usbOutput = "";
  private listeners: { [name: string]: Listeners } = {};
  private objects: { [name: string]: object } = {};
  private host: Host | null = null;
  private readonly repl: Repl;
  /** Whoever reads the USB serial port (the emulator's pty link). */
  private readonly usbReaders: ((text: string) => void)[] = [];

  constructor(evaluate: (code: string) => Evaluation) {
    const self = this;
    this.repl = new Repl(evaluate, function (text) { self.send(self.current, text); });
  }

  /** The three device objects for one boot. `prompt`: the REPL shows a prompt at once (after reset()). */
  install(host: Host, prompt?: boolean): { [name: string]: object } {
    this.host = host;
    this.current = "Serial1";
    this.listeners = {};
    this.objects = {};
    for (const name of ["Serial1", "LoopbackA", "LoopbackB"] as ConsoleName[]) this.objects[name] = this.device(host, name);
    this.repl.restarted(!!prompt);
    return this.objects;
  }

  /** E.setConsole(device): the device object back to its name. */
  setConsole(device: unknown): void {
    const host = this.requireHost();
    for (const name of Object.keys(this.objects)) {
      if (this.objects[name] === device) {
        this.current = name as ConsoleName;
        return;
      }
    }
    throw host.error("E.setConsole: not a console device the emulator knows (Serial1, LoopbackA, LoopbackB)");
  }

  /** What the interpreter prints (print, console.log, uncaught errors): on the console device. */
  printed(text: string): void {
    this.send(this.current, this.repl.framePrinted(text));
  }

  /** A person, or a host tool, types at the USB console. */
  type(text: string): void {
    this.arrive("Serial1", text);
  }

  /** Everything sent out of the USB console from now on also goes to `reader`; the returned function stops it. */
  readUsb(reader: (text: string) => void): () => void {
    const readers = this.usbReaders;
    readers.push(reader);
    return function () {
      const i = readers.indexOf(reader);
      if (i >= 0) readers.splice(i, 1);
    };
  }

  callbacks(): unknown[] {
    let out: unknown[] = [];
    for (const name of Object.keys(this.listeners)) out = out.concat(this.listeners[name].all());
    return out;
  }

  private device(host: Host, name: ConsoleName): object {
    const listeners = new Listeners();
    this.listeners[name] = listeners;
    const self = this;
    return host.loud(name, Object.assign(listeners.methods(host, name), {
      write: function (data: unknown) { self.send(name, typeof data === "string" ? data : String(data)); },
      print: function (data: unknown) { self.send(name, String(data)); },
      println: function (data: unknown) { self.send(name, String(data) + "\r\n"); },
    }));
  }

  private send(from: ConsoleName, text: string): void {
    if (from === "Serial1") {
      this.usbOutput = (this.usbOutput + text).slice(-USB_KEPT);
      for (const reader of this.usbReaders.slice()) reader(text);
    } else this.arrive(from === "LoopbackA" ? "LoopbackB" : "LoopbackA", text);
  }

  private arrive(at: ConsoleName, text: string): void {
    const host = this.requireHost();
    const listeners = this.listeners[at];
    const device = this.objects[at];
    const boot = host.boot;
    const self = this;
    host.clock.at(host.clock.now, function () {
      if (host.boot !== boot) return;
      if (listeners.count("data") === 0 && self.current === at) self.repl.input(text);
      else listeners.emit(host, device, "data", [text]);
    });
  }

  private requireHost(): Host {
    if (this.host === null) throw new Error("console used before the firmware booted");
    return this.host;
  }
}
