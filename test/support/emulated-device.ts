// The firmware bundle running in the emulator against a real broker, as the emulator tests use it: the bundle
// (built once per process), a configuration for Storage, and a subscriber that records what reaches the broker.
import mqtt from "mqtt";
import { buildFirmware } from "../../scripts/build";
import { createEmulator, Emulator, EmulatorOptions } from "../../scripts/emulator/index";
import { before, after } from "node:test";
import { PASSWORD, USERNAME, startAedes, type Broker } from "./brokers";

let bundle: string | null = null;

/** dist/firmware.js as the build makes it (whatever its build problems: the emulator runs it all the same). */
export function firmwareBundle(): string {
  if (bundle === null) bundle = buildFirmware().code;
  return bundle;
}

/** A han.json that reaches the broker on `port`; the emulator provides the Wi-Fi network it names. */
export function deviceConfig(port: number, deviceId: string, extra?: { [group: string]: object }): string {
  const config: { [key: string]: unknown } = {
    deviceId: deviceId,
    wifi: { ssid: "han-test", password: "han-test-wifi" },
    mqtt: { url: "mqtt://127.0.0.1:" + port, username: USERNAME, password: PASSWORD },
  };
  for (const group of Object.keys(extra || {})) {
    config[group] = Object.assign({}, config[group] as object, (extra as { [group: string]: object })[group]);
  }
  return JSON.stringify(config);
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  /** Virtual ms of the emulator when the recorder saw it. */
  at: number;
}

/** Everything published under the subscribed filters, in order of arrival. */
export class Recorder {
  readonly messages: Received[] = [];
  now: () => number = function () { return 0; };
  private client: mqtt.MqttClient | null = null;
  private waiters: (() => void)[] = [];

  /** `qos` of the subscriptions: 1 unless given (2 to count a QoS 2 publisher's messages exactly once). */
  async start(port: number, filters: string[], qos?: 0 | 1 | 2): Promise<void> {
    const client = await mqtt.connectAsync("mqtt://127.0.0.1:" + port,
      { username: USERNAME, password: PASSWORD, reconnectPeriod: 200, clean: false, clientId: "recorder-" + port });
    const self = this;
    client.on("message", function (topic, payload, packet) {
      self.messages.push({ topic: topic, payload: payload.toString("utf8"), retain: !!packet.retain, at: self.now() });
      for (const wake of self.waiters.slice()) wake();
    });
    await client.subscribeAsync(filters.reduce(function (all: { [topic: string]: { qos: 0 | 1 | 2 } }, f) {
      all[f] = { qos: qos === undefined ? 1 : qos };
      return all;
    }, {}));
    this.client = client;
  }

  /** Resolves once `done()` holds, checking on every message: what the device published may still be on its way
   *  through the broker when the emulator stops. Rejects after `ms` of real time. */
  waitFor(done: () => boolean, what: string, ms?: number): Promise<void> {
    const waiters = this.waiters;
    return new Promise(function (resolve, reject) {
      if (done()) {
        resolve();
        return;
      }
      const timer = setTimeout(function () {
        waiters.splice(waiters.indexOf(check), 1);
        reject(new Error("waited in vain for " + what));
      }, ms || 5000);
      const check = function (): void {
        if (!done()) return;
        clearTimeout(timer);
        waiters.splice(waiters.indexOf(check), 1);
        resolve();
      };
      waiters.push(check);
    });
  }

  /** Resolves once the subscriber is connected (again, after a broker restart: it retries every 200 ms of real
   *  time, while the emulator's minutes can pass in less). */
  connected(): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error("the recorder is not started"));
    if (client.connected) return Promise.resolve();
    return new Promise(function (resolve) { client.once("connect", function () { resolve(); }); });
  }

  on(topic: string): Received[] {
    return this.messages.filter(function (m) { return m.topic === topic; });
  }

  json(topic: string): { [key: string]: unknown }[] {
    return this.on(topic).map(function (m) { return JSON.parse(m.payload); });
  }

  /** The retained messages under `filter`, as a new subscriber gets them, once there are `count` of them. */
  async retained(port: number, filter: string, count: number): Promise<Received[]> {
    const client = await mqtt.connectAsync("mqtt://127.0.0.1:" + port, { username: USERNAME, password: PASSWORD });
    const got: Received[] = [];
    const now = this.now;
    const enough = new Promise<void>(function (resolve, reject) {
      const timer = setTimeout(function () {
        reject(new Error("only " + got.length + " of " + count + " retained"));
      }, 5000);
      client.on("message", function (topic, payload, packet) {
        if (packet.retain) got.push({ topic: topic, payload: payload.toString("utf8"), retain: true, at: now() });
        if (got.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await client.subscribeAsync(filter, { qos: 1 });
    try {
      await enough;
    } finally {
      await client.endAsync(true);
    }
    return got;
  }

  async stop(): Promise<void> {
    if (this.client) await this.client.endAsync(true);
    this.client = null;
  }
}

/** The emulator with the bundle installed; the recorder's clock follows it. */
export function emulate(options: EmulatorOptions, recorder?: Recorder): Emulator {
  const emu = createEmulator(Object.assign({ code: firmwareBundle() }, options));
  if (recorder) recorder.now = function () { return emu.clock.now; };
  return emu;
}

/** An embedded broker and a recorder subscribed to `filters`, shared by the tests of one file: started before the
 *  first, stopped after the last. */
export function brokerForFile(filters: string[]): { broker: () => Broker; recorder: Recorder } {
  let broker: Broker | null = null;
  const recorder = new Recorder();
  before(async function () {
    broker = await startAedes();
    await recorder.start(broker.port, filters);
  });
  after(async function () {
    await recorder.stop();
    await (broker as Broker).dispose();
  });
  return { broker: function () { return broker as Broker; }, recorder: recorder };
}
