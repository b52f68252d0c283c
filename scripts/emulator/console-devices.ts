// The devices the console can live on: Serial1 (UART0, the USB console) and the loopback pair, whose two ends
// are joined (what is written to LoopbackA arrives as data on LoopbackB and the other way round). E.setConsole
// moves the REPL; while it is away from Serial1, what a person types at the USB console reaches Serial1's 'data'
// listeners instead. The REPL itself is not emulated.
import { Host, Listeners } from "./host";

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

  /** The three device objects for one boot. */
  install(host: Host): { [name: string]: object } {
    this.host = host;
    this.current = "Serial1";
    this.listeners = {};
    this.objects = {};
    for (const name of ["Serial1", "LoopbackA", "LoopbackB"] as ConsoleName[]) this.objects[name] = this.device(host, name);
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

  /** print() output. */
  printed(text: string): void {
    this.send(this.current, text + "\r\n");
  }

  /** A person types at the USB console. */
  type(text: string): void {
    if (this.current === "Serial1") {
      throw new Error("the console is on Serial1: typed text would go to the REPL, which is not emulated");
    }
    this.arrive("Serial1", text);
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
    if (from === "Serial1") this.usbOutput = (this.usbOutput + text).slice(-USB_KEPT);
    else this.arrive(from === "LoopbackA" ? "LoopbackB" : "LoopbackA", text);
  }

  private arrive(at: ConsoleName, text: string): void {
    const host = this.requireHost();
    const listeners = this.listeners[at];
    const device = this.objects[at];
    const boot = host.boot;
    host.clock.at(host.clock.now, function () {
      if (host.boot === boot) listeners.emit(host, device, "data", [text]);
    });
  }

  private requireHost(): Host {
    if (this.host === null) throw new Error("console used before the firmware booted");
    return this.host;
  }
}
