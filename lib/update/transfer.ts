// The transfer of a firmware update, the device's side (./receiver.ts starts it; docs/mqtt.md, "Firmware update"):
// begin, chunks and commit, checked against the signature and written into the slot that does not run. Made at the
// first message on <base>/update, and on the device a part of the firmware (scripts/espruino/parts.ts): only a
// device that is being updated holds its code.
import type { Device, Platform } from "../device";
import type { Updater } from "./receiver";
import { sameText } from "../remote/hmac";
import { toBytes, toHex } from "../bytes";
import { BootRecord, slotName, writeRecord } from "./record";
import { imageDigest, updateMac } from "./sign";

/** Written in where used: a module's own top-level consts would each hold device variables. */
const enum Update {
  /** The largest image (scripts/build.ts IMAGE_CAP_BYTES): two slots of it leave most of the ESP32's 896 KB of
   *  Storage to the rest. */
  MAX_LENGTH = 262144,
  /** Update numbers are whole seconds of the signer's clock (or above): twelve digits print exactly everywhere. */
  MAX_NUMBER = 999999999999,
  /** Chunk sizes: the largest, and the smallest the device still asks for when short of memory. */
  CHUNK = 2048,
  MIN_CHUNK = 256,
  /** A stray chunk, or a refusal like the one before, is answered at most once in this many ms: a flood of junk
   *  on <base>/update costs the device no flood of answers. */
  STRAY_MS = 1000,
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
export function receiver(platform: Platform, device: Device, deviceId: string, secret: string | undefined, firmware: string,
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
    const name = slotName(target);
    const image = imageDigest(platform.sha256, (from, n) => { return platform.readStore(name, from, n); }, length);
    if (!sameText(toHex(toBytes(image)), digest)) {
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

