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
import { sameText } from "../remote/hmac";
import { toBytes, toHex } from "../bytes";
import { BootRecord, readRecord, slotName, writeRecord } from "./record";
import { updateMac } from "./sign";

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
const enum Update {
  /** The largest image: the longest string Espruino runs from Storage. */
  MAX_LENGTH = 65535,
  /** Update numbers are whole seconds of the signer's clock (or above): twelve digits print exactly everywhere. */
  MAX_NUMBER = 999999999999,
  /** Chunk sizes: the largest, and the smallest the device still asks for when short of memory. */
  CHUNK = 2048,
  MIN_CHUNK = 256,
  /** A stray chunk, or a refusal like the one before, is answered at most once in this many ms: a flood of junk
   *  on <base>/update costs the device no flood of answers. */
  STRAY_MS = 1000,
  /** How often a firmware on trial looks whether it has proved itself, in ms. */
  PROOF_MS = 2000,
  /** After the switch: restart when the line has gone quiet for QUIET_MS after a burst of no more than SHORT_MS
   *  that gave a reading (a lone short list: the longest pause before the next; the lists due at one time come back
   *  to back), after any burst once WAIT_MS have passed; without a meter, once QUIET_MS have passed. */
  QUIET_MS = 300,
  SHORT_MS = 600,
  WAIT_STEP_MS = 100,
  WAIT_MS = 15000,
}

/** What handles the messages on <base>/update, made at the first one: a device that is not being updated does not
 *  hold it. */
function receiver(platform: Platform, device: Device, deviceId: string, secret: string | undefined, firmware: string,
  send: (json: string) => void, u: Updater): (payload: string) => void {
  const clock = platform.clock;
  const counters = device.decoder.counters;
  const rec = u.record;
  /** The update under way: its number (0: none), length, signed digest in hex, bytes written, target slot. */
  let update = 0;
  let length = 0;
  let digest = "";
  let at = 0;
  let target = 0;
  let lastRefusal = "";
  /** When the device last answered what nobody under way asked for (clock ms). */
  let strayAt = -Update.STRAY_MS;
  /** The number the host gave its last message (begin, commit, status): answers carry it, so that a late answer
   *  to an earlier question is never taken for the answer to the last one. */
  let asked: number | null = null;

  function state(name: string, why: string | null): void {
    const m = platform.memory();
    let chunk = Update.CHUNK as number;
    // The chunk is held in a few copies at once (socket, packet, payload, the part written): at most a few tenths
    // of the free variables, ten bytes each.
    while (chunk > Update.MIN_CHUNK && m && chunk > m.free) chunk /= 2;
    send(JSON.stringify({ state: name, firmware, running: u.running, highest: rec ? rec.h : null,
      trial: !!rec && rec.t >= 0, failed: rec && rec.f ? rec.f : null, chunk, update: update || null, at, why, id: asked }));
  }

  /** Whether an answer to what nobody under way asked for is due (the first in STRAY_MS). */
  function strayDue(): boolean {
    const now = clock.now();
    if (now - strayAt < Update.STRAY_MS) return false;
    strayAt = now;
    return true;
  }

  function refuse(why: string): void {
    update = 0;
    u.refused++;
    // A flood of one mistake costs one log line and an answer a second; every refusal is counted all the same.
    const again = why === lastRefusal;
    if (!again) device.publisher.log("update refused: " + why);
    lastRefusal = why;
    if (!again || strayDue()) state("refused", why);
  }

  function begin(msg: { [key: string]: unknown }): void {
    const n = msg.update;
    const len = msg.length;
    const hash = typeof msg.sha256 === "string" ? msg.sha256.toLowerCase() : "";
    const mac = msg.mac;
    if (!rec) return refuse("no update loader: install it once over USB (npm run flash)");
    if (!secret) return refuse("remote.secret is not set");
    if (rec.t >= 0) return refuse("update " + rec.w + " is on trial");
    if (typeof n !== "number" || Math.floor(n) !== n || n < 1 || n > Update.MAX_NUMBER || typeof len !== "number" ||
      Math.floor(len) !== len || len < 1 || len > Update.MAX_LENGTH || hash.length !== 64 || !/^[0-9a-f]+$/.test(hash) ||
      typeof mac !== "string") {
      return refuse("begin needs update 1-" + Update.MAX_NUMBER + ", length 1-" + Update.MAX_LENGTH +
        ", sha256 and mac of 64 hex digits");
    }
    if (msg.device !== deviceId) return refuse("signed for another device, not " + deviceId);
    if (!sameText(mac.toLowerCase(), updateMac(platform.sha256, secret, deviceId, n, len, hash))) {
      return refuse("wrong signature");
    }
    if (n <= rec.h) return refuse("update " + n + " is not newer than " + rec.h + " (a replay?)");
    update = n;
    length = len;
    digest = hash;
    at = 0;
    // The slot that does not run: the one the record names, unless the loader found that file gone.
    target = 1 - (platform.slot as number);
    state("receiving", null);
  }

  function chunk(payload: string): void {
    const nl = payload.indexOf("\n");
    const offset = nl > 0 ? parseInt(payload.substr(0, nl), 10) : -1;
    // A repeat or a stray chunk is not written; the answer tells the host where to go on.
    if (update && offset !== at) return state("receiving", null);
    if (!update) return strayDue() ? state("idle", null) : undefined;
    const n = payload.length - nl - 1;
    if (n < 1 || at + n > length) return refuse("chunk past the end");
    try {
      platform.writeStore(slotName(target), payload.substr(nl + 1), at, length);
    } catch (e) {
      return refuse("flash write at byte " + at + ": " + (e as Error).message);
    }
    at += n;
    state("receiving", null);
  }

  function commit(): void {
    if (!update) return refuse("no update under way");
    if (at < length) return refuse("cut short: " + at + " of " + length + " bytes arrived");
    const image = platform.readStore(slotName(target));
    if (image === undefined || !sameText(toHex(toBytes(platform.sha256(image))), digest)) {
      return refuse("the image does not match its signed SHA-256 (forged or damaged)");
    }
    const r = rec as BootRecord;
    r.t = target;
    r.w = update;
    r.n = 0;
    r.m = counters.readings > 0 ? 1 : 0;
    r.h = update;
    r.f = "";
    r.l = 0;
    writeRecord(platform, r);
    update = 0;
    lastRefusal = "";
    device.publisher.log("update " + r.w + " verified: restarting into it, on trial");
    state("verified", null);
    // Restarted in the meter's pause, so that no frame comes while it restarts (the subscriber misses none).
    let readings = counters.readings;
    let bytes = counters.bytes_in;
    let quiet = 0;
    let burst = 0;
    let waited = 0;
    const wait = function (): void {
      waited += Update.WAIT_STEP_MS;
      if (counters.bytes_in === bytes) {
        quiet += Update.WAIT_STEP_MS;
      } else {
        if (quiet >= Update.QUIET_MS) {
          burst = 0;
          readings = counters.readings;
        }
        burst += Update.WAIT_STEP_MS;
        quiet = 0;
        bytes = counters.bytes_in;
      }
      if (quiet >= Update.QUIET_MS && (counters.readings !== readings && burst <= Update.SHORT_MS || !r.m ||
        waited >= Update.WAIT_MS)) {
        platform.reboot();
      } else {
        clock.setTimeout(wait, Update.WAIT_STEP_MS);
      }
    };
    clock.setTimeout(wait, Update.WAIT_STEP_MS);
  }

  function handle(payload: string): void {
    if (payload.charAt(0) !== "{") return chunk(payload);
    let msg: { [key: string]: unknown };
    try {
      msg = JSON.parse(payload);
    } catch (e) {
      return refuse("not JSON");
    }
    const op = typeof msg === "object" && msg !== null ? msg.op : null;
    asked = op && typeof msg.id === "number" ? msg.id : null;
    if (op === "status") state(update ? "receiving" : rec && rec.t >= 0 ? "trial" : "idle", null);
    else if (op === "begin") begin(msg);
    else if (op === "commit") commit();
    else refuse("op is none of status, begin, commit");
  }

  return handle;
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
        platform.clock.setTimeout(prove, Update.PROOF_MS);
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
    platform.clock.setTimeout(prove, Update.PROOF_MS);
  }
  return u;
}
