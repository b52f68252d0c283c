// require("Wifi") on the ESP32 (libs/network/esp32/jswrap_esp32_network.c, A4 in ../shared/docs/espruino.md):
// connect() tries the access point (the port retries three times) and calls back with null or an error, the
// station fires 'connected' once it has an address and 'disconnected' when the association ends, and nothing
// reconnects by itself: the firmware has to call connect() again. The radio (association, SNTP, outages) is
// hardware and outlives a load(); the module object and its listeners belong to one boot.
import { Host, Listeners } from "./host";

export interface WifiOptions {
  /** The access point in reach. Default "han-test" / "secret". */
  ssid?: string;
  password?: string;
  /** dBm while associated. Default -61. */
  rssi?: number;
  /** From connect() to the address. Default 1500 ms. */
  associateMs?: number;
  /** From connect() to giving up (three tries). Default 6000 ms. */
  failMs?: number;
  /** From association (or setSNTP, whichever is later) to the clock being set. Default 1000 ms. */
  sntpMs?: number;
}

export interface WifiState {
  associated: boolean;
  ssid: string | null;
  hostname: string | null;
  sntpServer: string | null;
  attempts: number;
  connects: number;
  drops: number;
  /** Virtual ms until which the access point is out of reach. */
  downUntil: number;
}

/** ESP-IDF disconnect reasons the firmware may see. */
const REASON = { beaconTimeout: 200, noApFound: 201, authFail: 202, assocLeave: 8 };

export class WifiRadio {
  readonly state: WifiState = { associated: false, ssid: null, hostname: null, sntpServer: null, attempts: 0,
    connects: 0, drops: 0, downUntil: -Infinity };
  private readonly o: Required<WifiOptions>;
  private attempt = 0;
  private host: Host | null = null;
  private listeners: Listeners | null = null;
  private api: object | null = null;

  constructor(options: WifiOptions | undefined, private readonly linkDown: () => void,
    private readonly setClock: () => void) {
    const o = options || {};
    this.o = { ssid: o.ssid || "han-test", password: o.password === undefined ? "secret" : o.password,
      rssi: o.rssi === undefined ? -61 : o.rssi, associateMs: o.associateMs || 1500, failMs: o.failMs || 6000,
      sntpMs: o.sntpMs || 1000 };
  }

  /** Test control: the access point goes away for `forMs` (virtual): the association drops, open sockets die,
   *  and connecting fails until it is back. */
  drop(forMs: number): void {
    const clock = this.requireHost().clock;
    this.state.downUntil = clock.now + forMs;
    this.state.drops++;
    if (this.state.associated) this.lose(REASON.beaconTimeout);
  }

  /** A hardware reset: the association is gone without an event (there is no firmware left to tell). */
  powerCycle(): void {
    this.attempt++;
    this.state.associated = false;
  }

  /** The module for one boot. */
  module(host: Host): object {
    this.host = host;
    this.listeners = new Listeners();
    this.attempt++;
    const self = this;
    const listeners = this.listeners;
    const api = host.loud("Wifi", Object.assign(listeners.methods(host, "Wifi"), {
      connect: function (ssid: unknown, options: { password?: unknown } | undefined, callback: unknown) {
        self.connect(String(ssid), options && typeof options.password === "string" ? options.password : "",
          callback);
      },
      disconnect: function (callback?: unknown) {
        self.attempt++;
        if (self.state.associated) self.lose(REASON.assocLeave);
        if (typeof callback === "function") self.later(0, function () { host.call(callback, api, []); });
      },
      getDetails: function (callback?: unknown) {
        const details = host.data(self.details());
        if (typeof callback === "function") self.later(0, function () { host.call(callback, api, [details]); });
        return details;
      },
      setSNTP: function (server: unknown) {
        self.state.sntpServer = String(server);
        if (self.state.associated) self.scheduleSntp();
      },
      setHostname: function (name: unknown) { self.state.hostname = String(name); },
      getHostname: function () { return self.state.hostname; },
    }));
    this.api = api;
    return api;
  }

  /** The listeners, for the memory estimate. */
  callbacks(): unknown[] {
    return this.listeners ? this.listeners.all() : [];
  }

  private details(): { [key: string]: unknown } {
    const s = this.state;
    return s.associated ? { status: "connected", ssid: s.ssid, rssi: this.o.rssi } : { status: "off" };
  }

  private connect(ssid: string, password: string, callback: unknown): void {
    const host = this.requireHost();
    this.state.attempts++;
    const attempt = ++this.attempt;
    // A new association replaces the old one, and the old one's sockets with it.
    if (this.state.associated) {
      this.state.associated = false;
      this.linkDown();
    }
    const clock = host.clock;
    const self = this;
    const reachable = ssid === this.o.ssid;
    const authorised = password === this.o.password;
    const finish = function (error: string | null, reason: number): void {
      if (attempt !== self.attempt) return;
      if (error === null) {
        self.state.associated = true;
        self.state.ssid = ssid;
        self.state.connects++;
        if (typeof callback === "function") host.call(callback, self.api, [null]);
        self.emit("connected", [host.data({ ip: "192.168.4.2", mask: "255.255.255.0", gw: "192.168.4.1" })]);
        if (self.state.sntpServer !== null) self.scheduleSntp();
      } else {
        self.emit("disconnected", [host.data({ ssid: ssid, reason: reason })]);
        if (typeof callback === "function") host.call(callback, self.api, [error]);
      }
    };
    const associateAt = clock.now + this.o.associateMs;
    if (reachable && authorised && associateAt >= this.state.downUntil) {
      this.later(this.o.associateMs, function () { finish(null, 0); });
    } else {
      const why = !reachable || clock.now + this.o.failMs < this.state.downUntil ? REASON.noApFound : REASON.authFail;
      this.later(this.o.failMs, function () {
        finish(why === REASON.authFail ? "auth_fail" : "no_ap_found", why);
      });
    }
  }

  /** The association ends: sockets die at once, the firmware hears of it from its event loop. */
  private lose(reason: number): void {
    this.state.associated = false;
    this.linkDown();
    const self = this;
    const ssid = this.state.ssid;
    this.later(0, function () { self.emit("disconnected", [self.requireHost().data({ ssid: ssid, reason: reason })]); });
  }

  private scheduleSntp(): void {
    const attempt = this.attempt;
    const self = this;
    this.later(this.o.sntpMs, function () {
      if (attempt === self.attempt && self.state.associated) self.setClock();
    });
  }

  private emit(event: string, args: unknown[]): void {
    if (this.listeners && this.host) this.listeners.emit(this.host, this.api, event, args);
  }

  /** A radio event, dropped if the boot that caused it is gone by then. */
  private later(ms: number, fn: () => void): void {
    const host = this.requireHost();
    const boot = host.boot;
    host.clock.after(ms, function () { if (host.boot === boot) fn(); });
  }

  private requireHost(): Host {
    if (this.host === null) throw new Error("Wi-Fi used before the firmware booted");
    return this.host;
  }
}
