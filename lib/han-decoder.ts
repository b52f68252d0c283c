// The decoder: where HAN bytes enter and readings leave. Bytes -> FrameReader (HDLC) -> LLC -> Data-Notification
// (A-XDR) -> the maker's layout -> Reading. Nothing here throws at the caller: every rejected input is counted.
import { FrameReader, FrameCounters, newFrameCounters } from "./hdlc/frame-reader";
import { toBytes } from "./bytes";
import { readDataNotification, DataNotification, APDU_DATA_NOTIFICATION, APDU_GENERAL_GLO_CIPHERING,
  APDU_GENERAL_BLOCK_TRANSFER } from "./dlms/notification";
import { detectLayout, layoutByName, Layout } from "./meters/layouts";
import { ReadingBuilder } from "./meters/reading-builder";
import type { Reading, MeterIdentity } from "./reading";
import { ScalingProfile, DEFAULT_SCALING } from "./scaling";

export interface DecoderCounters extends FrameCounters {
  readings: number;
  unknown_layouts: number;
  decode_errors: number;
  unsupported: number;
}

export interface DecoderOptions {
  /** Largest HDLC frame accepted, flags included (default 1024). */
  maxFrameSize?: number;
  /** "auto" (default) or a layout name from lib/meters/layouts.ts. */
  layout?: string;
  scaling?: Partial<ScalingProfile>;
  onReading: (reading: Reading) => void;
  /** Every frame that passed HCS and FCS, for a raw-frame topic. Valid until the callback returns. */
  onFrame?: (frame: Uint8Array) => void;
  /** A well-formed message this decoder cannot read yet (encrypted, block transfer, ...). */
  onUnsupported?: (why: string) => void;
  /** Every Data-Notification parsed, before its layout is applied (for `npm run decode -- --tree`). */
  onNotification?: (apdu: DataNotification) => void;
  /** A message that failed to decode, with the reason, for the log. */
  onError?: (why: string) => void;
}

const LLC = [0xe6, 0xe7, 0x00];

/** Inputs recognised by their first byte that this decoder does not read yet. */
const UNSUPPORTED_INPUTS: { [tag: number]: string } = {};
UNSUPPORTED_INPUTS[APDU_GENERAL_GLO_CIPHERING] = "encrypted APDU (general-glo-ciphering)";
UNSUPPORTED_INPUTS[APDU_GENERAL_BLOCK_TRANSFER] = "general block transfer";
UNSUPPORTED_INPUTS[0x68] = "M-Bus long frame";
UNSUPPORTED_INPUTS[0x2f] = "DSMR/P1 ASCII telegram";

export class HanDecoder {
  counters: DecoderCounters;
  private reader: FrameReader;
  private profile: ScalingProfile;
  private forced: Layout | null;
  private options: DecoderOptions;
  /** The identity from the last list that carried one: list 1 carries none, yet its readings belong to a meter. */
  private identity: MeterIdentity | null;

  constructor(options: DecoderOptions) {
    this.options = options;
    this.identity = null;
    const s = options.scaling || {};
    this.profile = {
      country: s.country || DEFAULT_SCALING.country,
      ct: s.ct === undefined ? DEFAULT_SCALING.ct : s.ct,
      ctRatio: s.ctRatio || DEFAULT_SCALING.ctRatio,
    };
    const layout = options.layout || "auto";
    this.forced = layout === "auto" ? null : layoutByName(layout);
    if (layout !== "auto" && !this.forced) throw new Error("unknown layout: " + layout);
    const self = this;
    this.reader = new FrameReader({
      maxFrameSize: options.maxFrameSize,
      onMessage (info) { self.deliver(info); },
      onFrame: options.onFrame,
    });
    const c = newFrameCounters() as DecoderCounters;
    c.readings = 0;
    c.unknown_layouts = 0;
    c.decode_errors = 0;
    c.unsupported = 0;
    this.counters = c;
    this.reader.counters = c;
  }

  /** Feeds a chunk of the HDLC byte stream, split anywhere. */
  push(chunk: string | Uint8Array): void {
    this.reader.push(toBytes(chunk));
  }

  /** End of input: a frame still incomplete is counted as a length error. */
  flush(): void {
    this.reader.flush();
  }

  /** Decodes one message that arrives without HDLC: a bare LLC payload (E6 E7 00 ...) or an APDU (0F ...).
   *  Other framings (M-Bus, DSMR) and encrypted or block-transfer APDUs are counted as unsupported. */
  decodeMessage(bytes: Uint8Array): Reading | null {
    this.counters.bytes_in += bytes.length;
    return this.deliver(bytes);
  }

  private deliver(info: Uint8Array): Reading | null {
    let start = 0;
    if (info.length >= 3 && info[0] === LLC[0] && info[1] === LLC[1] && info[2] === LLC[2]) start = 3;
    const tag = info.length > start ? info[start] : -1;
    if (tag !== APDU_DATA_NOTIFICATION) {
      const why = UNSUPPORTED_INPUTS[tag];
      if (why) {
        this.counters.unsupported++;
        if (this.options.onUnsupported) this.options.onUnsupported(why);
      } else {
        this.fail("not a DLMS Data-Notification (first byte 0x" + (tag & 255).toString(16) + ")");
      }
      return null;
    }
    let reading: Reading;
    try {
      const apdu = readDataNotification(info, start, info.length);
      if (this.options.onNotification) this.options.onNotification(apdu);
      const layout = this.forced || detectLayout(apdu.body);
      if (!layout) {
        this.counters.unknown_layouts++;
        if (this.options.onError) this.options.onError("no known layout matches the list");
        return null;
      }
      const builder = new ReadingBuilder(layout.name, this.profile);
      layout.decode(apdu.body, builder, this.profile);
      reading = builder.finish(apdu.time, layout.manufacturer);
    } catch (e) {
      this.fail((e as Error).message);
      return null;
    }
    this.rememberIdentity(reading.meter);
    this.counters.readings++;
    this.options.onReading(reading);
    return reading;
  }

  private rememberIdentity(meter: MeterIdentity): void {
    const known = this.identity;
    if (meter.id !== null) {
      this.identity = { id: meter.id, type: meter.type, list_version: meter.list_version,
        manufacturer: meter.manufacturer };
    } else if (known) {
      meter.id = known.id;
      meter.type = known.type;
      meter.list_version = known.list_version;
      meter.manufacturer = known.manufacturer;
    }
  }

  private fail(why: string): void {
    this.counters.decode_errors++;
    if (this.options.onError) this.options.onError(why);
  }
}
