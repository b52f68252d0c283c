// A device installed as `npm run flash` installs it (the update loader, the firmware in slot 0, the boot record),
// the firmware images the update tests send to it, and the host's update session driven by the emulator's clock.
import mqtt from "mqtt";
import { buildLoader, slotLayout } from "../../scripts/build";
import type { Emulator } from "../../scripts/emulator/index";
import { sendUpdate, type UpdateResult, type UpdateTarget } from "../../scripts/update";
import { firmwareBundle } from "./emulated-device";
import { mosquittoMissing, PASSWORD, startAedes, startMosquitto, USERNAME, type Broker } from "./brokers";

export const SECRET = "cabinet-secret-0123456789";
/** The update number npm run flash gave the installed firmware. */
export const INSTALLED = 1700000000;
const PACED_MS = 2000;

let loader: string | null = null;

/** Storage as npm run flash leaves it, with `config` as han.json. */
export function installedFiles(config: string): { [name: string]: string } {
  if (loader === null) loader = buildLoader().code;
  const files: { [name: string]: string } = { "han.json": config };
  for (const f of slotLayout(loader, firmwareBundle(), INSTALLED)) files[f.name] = f.data;
  return files;
}

/** Today's firmware as another version, changed by `edit` (a broken firmware for the rollback tests). */
export function firmwareImage(version: string, edit?: (code: string) => string): Buffer {
  const code = firmwareBundle().replace("\"0.1.0\"", JSON.stringify(version));
  return Buffer.from(edit ? edit(code) : code, "latin1");
}

/** mosquitto where it is installed (what the issue asks for), the embedded broker where it is not. */
export async function updateBroker(file: string): Promise<Broker> {
  const missing = mosquittoMissing();
  if (!missing) return startMosquitto();
  console.warn(file + ": mosquitto is not installed (" + missing + "): the update runs against the embedded broker");
  return startAedes();
}

/** A host-side client of `broker`, as npm run update connects. */
export function hostClient(broker: Broker): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(broker.url, { username: USERNAME, password: PASSWORD, reconnectPeriod: 100 });
}

/** Runs the emulator until `done()` holds, for `ms` of its time and at least a 50th of that on the real clock.
 *  An answer through a broker in another process takes real time, which the emulator cannot see coming: for the
 *  first PACED_MS of a wait its timeline moves at most 25 times as fast as the real clock (as fast as it can
 *  after that, when no answer is likely), so that a device does not live through minutes of meter frames between
 *  two chunks. `tick` runs at each step. */
export async function waitEmulated(emu: Emulator, done: () => boolean, ms: number, tick?: () => void): Promise<boolean> {
  const end = emu.clock.now + ms;
  const paced = emu.clock.now + PACED_MS;
  const realEnd = Date.now() + ms / 50;
  for (;;) {
    if (tick) tick();
    if (done()) return true;
    if (emu.clock.now >= end && Date.now() >= realEnd) return false;
    const pacing = emu.clock.now < paced;
    await emu.advance(pacing ? 25 : 100);
    if (pacing || emu.clock.now >= end) await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** npm run update's session against the emulated device `id` (base han/<id>), on the emulator's clock (see
 *  waitEmulated); `tick` runs at each step of its waits (a test's cuts). */
export function updateEmulated(emu: Emulator, client: mqtt.MqttClient, id: string, image: Buffer,
  tick?: () => void): Promise<UpdateResult> {
  const target: UpdateTarget = {
    client, base: "han/" + id, deviceId: id, secret: SECRET, image,
    waitFor: (done, ms) => waitEmulated(emu, done, ms, tick),
    now: () => emu.wallMs() / 1000,
    say: () => undefined,
  };
  return sendUpdate(target);
}
