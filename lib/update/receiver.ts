// Firmware updates over MQTT (docs/mqtt.md, "Firmware update"), the device's side. The host (scripts/update.ts)
// publishes to <base>/update a signed "begin", then the image in chunks ("<offset>\n<bytes>"), then "commit"; the
// device answers every message on <base>/update/state. The chunks go straight into the Storage slot the firmware
// does not run from, while the firmware goes on reading the meter and publishing. At commit the whole image must be
// there and match the SHA-256 the signature covers; only then does the boot record (./record.ts) name it the slot
// on trial, and the device restarts into it through the loader (firmware/loader.ts), in the pause after a meter
// frame. On trial, the new firmware proves itself (the broker reached, and a reading when the firmware before it
// had them) and makes itself the working one; otherwise the loader goes back, and the old firmware logs why.
// Refused: an image signed with another secret, for another device, not newer than the highest update accepted, cut
// short, or not matching its signed digest; each refusal is counted (diag updates_refused), logged and answered
// (the same one again at most once a second).
import type { Device, Platform } from "../device";
import { BootRecord, readRecord, writeRecord } from "./record";
import { receiver } from "./transfer";

export interface Updater {
  /** A message from <base>/update. */
  handle(payload: string): void;
  refused: number;
  /** The update number of the firmware that runs; null on a device started without the loader. */
  running: number | null;
  /** The boot record; null on a device started without the loader. */
  record: BootRecord | null;
}

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Proof {
  /** How often a firmware on trial looks whether it has proved itself, in ms. */
  PROOF_MS = 2000,
}

/** Starts the update handling of `device`; `send` publishes on <base>/update/state. */
export function startUpdates(platform: Platform, device: Device, deviceId: string, secret: string | undefined,
  firmware: string, send: (json: string) => void): Updater {
  const rec = platform.slot === undefined ? null : readRecord(platform);
  const u = { refused: 0, running: rec ? (rec.t === platform.slot ? rec.w : rec.v) : null, record: rec } as Updater;
  let receive: ((payload: string) => void) | null = null;
  u.handle = (payload) => {
    if (!receive) receive = receiver(platform, device, deviceId, secret, firmware, send, u);
    receive(payload);
  };
  if (rec && rec.l) {
    device.publisher.log("update failed: " + rec.f);
    rec.l = 0;
    writeRecord(platform, rec);
  }
  if (rec && rec.t >= 0 && rec.t === platform.slot) {
    const r = rec;
    const prove = function (): void {
      if (!device.client.isConnected() || r.m && device.decoder.counters.readings === 0) {
        platform.clock.setTimeout(prove, Proof.PROOF_MS);
        return;
      }
      r.g = r.t;
      r.v = r.w;
      r.t = -1;
      r.n = 0;
      writeRecord(platform, r);
      device.publisher.log("update " + r.v + " proved itself: han-reader " + firmware);
      send(JSON.stringify({ state: "confirmed", firmware, running: u.running, trial: false }));
    };
    platform.clock.setTimeout(prove, Proof.PROOF_MS);
  }
  return u;
}
