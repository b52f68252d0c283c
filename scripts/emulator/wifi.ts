// require("Wifi") on the ESP32 as Espruino 2v29 has it (libs/network/esp32/jswrap_esp32_network.c at that release;
// A4 in ../shared/docs/espruino.md describes the later retrying connect()):
// - connect() tries the access point once. Success calls back with null and fires 'connected' ({ip, netmask, gw})
//   after 'associated'; failure never calls back, it only fires 'disconnected' ({ssid, mac, reason, msg}, the
//   ESP-IDF reason as a decimal string). Nothing reconnects by itself: the firmware has to call connect() again.
// - getDetails() tells whether the station is connected, never how well: the signal strength is getStatus().rssi,
//   present only while connected. Away from the access point both name the last disconnect reason instead.
// - setSNTP(server, zone) takes the zone as a POSIX TZ string and throws on anything else.
// The radio (association, SNTP, outages) is hardware and outlives a load(); the module object and its listeners
// belong to one boot. Unless a test names the access point, the first network the firmware asks for is taken to be
// in reach with the password it gives: a device flashed with its owner's configuration connects, as at home.
import { Host, Listeners } from "./host";

export interface WifiOptions {
  /** The access point in reach. Default: the network the firmware first asks for. Name one to test a missing
   *  network. */
  ssid?: string;
  /** Its password ("" for an open network). Default: the one the firmware first gives. Set one to test a wrong
   *  password. */
  password?: string;
  /** dBm while associated. Default -61. */
  rssi?: number;
  /** From connect() to the address. Default 1500 ms. */
  associateMs?: number;
  /** From connect() to giving up. Default 6000 ms. */
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
  /** Why the last attempt failed, in words, or null. */
  failure: string | null;
}

/** ESP-IDF disconnect reasons the firmware may see, with the names Espruino gives them. */
const REASON = { unknown: 0, assocLeave: 8, beaconTimeout: 200, noApFound: 201, authFail: 202 };
const REASON_NAME: { [code: number]: string } = { 0: "Unknown reason", 8: "ASSOC_LEAVE", 200: "BEACON_TIMEOUT",
  201: "NO_AP_FOUND", 202: "AUTH_FAIL" };

/** The emulated access point's radio identity, as getStatus() and the events report it. */
const BSSID = "24:0a:c4:5e:12:01";
const CHANNEL = 6;
const NO_BSSID = "00:00:00:00:00:00";

export class WifiRadio {
  readonly state: WifiState = { associated: false, ssid: null, hostname: null, sntpServer: null, attempts: 0,
    connects: 0, drops: 0, downUntil: -Infinity, failure: null };
  private readonly o: { ssid: string | null; password: string | null; rssi: number; associateMs: number;
    failMs: number; sntpMs: number };
  private attempt = 0;
  private lastReason = REASON.unknown;
  private host: Host | null = null;
  private listeners: Listeners | null = null;
  private api: object | null = null;

  /** `note` tells the person running the emulator what the firmware cannot see: why Wi-Fi does not connect. */
  constructor(options: WifiOptions | undefined, private readonly linkDown: () => void,
    private readonly setClock: () => void, private readonly note: (text: string) => void) {
    const o = options || {};
    this.o = { ssid: o.ssid === undefined ? null : o.ssid, password: o.password === undefined ? null : o.password,
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
        if (typeof ssid !== "string") throw host.error("No SSID provided");
        const password = options ? options.password : undefined;
        if (password !== undefined && typeof password !== "string") {
          throw host.error("Expecting options.password to be a string but got " + typeof password);
        }
        self.connect(ssid, password || "", callback);
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
      getStatus: function () { return host.data(self.status()); },
      setSNTP: function (server: unknown, zone: unknown) {
        if (typeof zone !== "string") throw host.error("Zone is not a string");
        if (typeof server !== "string") throw host.error("Server is not a string");
        self.state.sntpServer = server;
        if (self.state.associated) self.scheduleSntp();
      },
      setHostname: function (name: unknown) { self.state.hostname = String(name); },
      getHostname: function () { return self.state.hostname || ""; },
    }));
    this.api = api;
    return api;
  }

  /** The listeners, for the memory estimate. */
  callbacks(): unknown[] {
    return this.listeners ? this.listeners.all() : [];
  }

  private authMode(): string {
    return this.o.password === "" ? "open" : "wpa2";
  }

  private details(): { [key: string]: unknown } {
    const s = this.state;
    if (!s.associated) return { status: REASON_NAME[this.lastReason] };
    return { ssid: s.ssid, password: this.o.password, status: "connected", authMode: this.authMode() };
  }

  private status(): { [key: string]: unknown } {
    const s = this.state;
    // The firmware's first call is connect(), which puts the radio in station mode; the power save mode is the
    // ESP-IDF default.
    const mode = { mode: "STA", powersave: "min_modem" };
    if (!s.associated) return Object.assign({ station: REASON_NAME[this.lastReason] }, mode);
    return Object.assign({ station: "connected", ssid: s.ssid, bssid: BSSID, channel: CHANNEL, rssi: this.o.rssi,
      htMode: "HT20", authMode: this.authMode() }, mode);
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
    this.adopt(ssid, password);
    const clock = host.clock;
    const self = this;
    // The access point must still be there when the association would complete.
    const inReach = clock.now + this.o.associateMs >= this.state.downUntil;
    if (ssid === this.o.ssid && password === this.o.password && inReach) {
      this.later(this.o.associateMs, function () {
        if (attempt !== self.attempt) return;
        self.state.associated = true;
        self.state.ssid = ssid;
        self.state.connects++;
        self.state.failure = null;
        if (typeof callback === "function") host.call(callback, self.api, [null]);
        self.emit("associated", { ssid: ssid, mac: BSSID, channel: String(CHANNEL) });
        self.emit("connected", { ip: "192.168.4.2", netmask: "255.255.255.0", gw: "192.168.4.1" });
        if (self.state.sntpServer !== null) self.scheduleSntp();
      });
      return;
    }
    let reason = REASON.noApFound;
    let why: string;
    if (ssid !== this.o.ssid) {
      why = "no network \"" + ssid + "\" in reach: the emulated access point is \"" + this.o.ssid + "\" (the " +
        "emulator's wifi option; npm run emulate -- --wifi-ssid)";
    } else if (!inReach) {
      why = "access point \"" + ssid + "\" out of reach until " + Math.ceil(this.state.downUntil / 1000) +
        " s of emulated time (dropped by a test)";
    } else {
      reason = REASON.authFail;
      why = "wrong password for \"" + ssid + "\" (the emulated access point's is set by the emulator's wifi " +
        "option; npm run emulate -- --wifi-password)";
    }
    this.later(this.o.failMs, function () {
      if (attempt !== self.attempt) return;
      // Said once per cause: the firmware retries for ever.
      if (self.state.failure !== why) self.note("Wi-Fi does not connect: " + why);
      self.state.failure = why;
      self.lastReason = reason;
      self.emit("disconnected", { ssid: ssid, mac: NO_BSSID, reason: String(reason), msg: REASON_NAME[reason] });
    });
  }

  /** Takes what the firmware asks for as the access point, where the emulator was not told of one. */
  private adopt(ssid: string, password: string): void {
    if (this.o.ssid !== null && this.o.password !== null) return;
    if (this.o.ssid === null) this.o.ssid = ssid;
    if (this.o.password === null) this.o.password = password;
    this.note("Wi-Fi: emulating access point \"" + this.o.ssid + "\", the network the device asked for");
  }

  /** The association ends: sockets die at once, the firmware hears of it from its event loop. */
  private lose(reason: number): void {
    this.state.associated = false;
    this.lastReason = reason;
    this.linkDown();
    const self = this;
    const ssid = this.state.ssid;
    this.later(0, function () {
      self.emit("disconnected", { ssid: ssid, mac: BSSID, reason: String(reason), msg: REASON_NAME[reason] });
    });
  }

  private scheduleSntp(): void {
    const attempt = this.attempt;
    const self = this;
    this.later(this.o.sntpMs, function () {
      if (attempt === self.attempt && self.state.associated) self.setClock();
    });
  }

  private emit(event: string, details: { [key: string]: unknown }): void {
    if (this.listeners && this.host) this.listeners.emit(this.host, this.api, event, [this.host.data(details)]);
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
