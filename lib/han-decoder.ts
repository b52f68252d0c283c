// The decoder: where HAN bytes enter and readings leave. Bytes -> FrameReader (HDLC) -> LLC -> Data-Notification
// (A-XDR) -> the maker's layout -> Reading. Nothing here throws at the caller: every rejected input is counted.
import { FrameReader, FrameCounters, FrameReaderOptions } from "./hdlc/frame-reader";
import { toBytes } from "./bytes";
import { readNotificationHeader, DataNotification } from "./dlms/notification";
import { APDU_DATA_NOTIFICATION, APDU_GENERAL_GLO_CIPHERING, APDU_GENERAL_DED_CIPHERING,
  APDU_GENERAL_BLOCK_TRANSFER } from "./dlms/tags";
import { readData } from "./dlms/axdr";
import { detectLayout, decodeLayout, layoutMaker, LAYOUT_NAMES } from "./meters/layouts";
import { readList } from "./meters/list-reader";
import { ReadingBuilder } from "./meters/reading-builder";
import type { Reading, MeterIdentity } from "./reading";
import type { ScalingProfile } from "./scaling";

export interface DecoderCounters extends FrameCounters {
  readings: number;
  unknown_layouts: number;
  decode_errors: number;
  unsupported: number;
}

/** A reader of one framing: bytes in, complete messages (LLC payloads or APDUs) out through onMessage. */
export interface ByteReader {
  counters: FrameCounters;
  push(bytes: Uint8Array): void;
  flush(): void;
}

export interface DecoderOptions {
  /** The reader of a framing other than HDLC (createMbusReader, lib/mbus/frame-reader.ts): given rather than
   *  looked up, so that a device carries only the readers its meter needs. */
  reader?: (options: FrameReaderOptions) => ByteReader;
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
  /** Opens the ciphered or block-transfer APDU at info[start..] (createUnwrap, lib/dlms/unwrap.ts): the APDU
   *  inside, or null while it awaits more blocks or when it refused one (counted in `counters`, logged there). */
  unwrap?: (info: Uint8Array, start: number, counters: DecoderCounters) => Uint8Array | null;
}

/** What an input is that this decoder recognises by its first byte but does not read yet; null for others. */
function unsupported(tag: number): string | null {
  switch (tag) {
    case APDU_GENERAL_GLO_CIPHERING: return "encrypted APDU (general-glo-ciphering)";
    case APDU_GENERAL_BLOCK_TRANSFER: return "general block transfer";
    case 0x68: return "M-Bus long frame";
    case 0x2f: return "DSMR/P1 ASCII telegram";
    default: return null;
  }
}

export class HanDecoder {
  counters: DecoderCounters;
  private reader: ByteReader;
  private profile: ScalingProfile;
  /** The layout the options force, or null to detect it. */
  private forced: string | null;
  private options: DecoderOptions;
  /** The identity from the last list that carried one: list 1 carries none, yet its readings belong to a meter. */
  private identity: MeterIdentity | null;

  constructor(options: DecoderOptions) {
    this.options = options;
    this.identity = null;
    // What the options leave out is that of a Norwegian direct-connected meter.
    const s = options.scaling || {};
    this.profile = { country: s.country || "NO", ct: s.ct === undefined ? false : s.ct, ctRatio: s.ctRatio || 1,
      ctCheck: s.ctCheck };
    const layout = options.layout || "auto";
    if (layout !== "auto" && LAYOUT_NAMES.indexOf(layout) < 0) {
      throw new Error("layout must be one of auto, " + LAYOUT_NAMES.join(", ") + "; got \"" + layout + "\"");
    }
    this.forced = layout === "auto" ? null : layout;
    const self = this;
    const sink: FrameReaderOptions = {
      maxFrameSize: options.maxFrameSize,
      onMessage (info) { self.deliver(info); },
      onFrame: options.onFrame,
    };
    this.reader = options.reader ? options.reader(sink) : new FrameReader(sink);
    // The reader's counters, and the decoder's own beside them.
    const c = this.reader.counters as DecoderCounters;
    c.readings = 0;
    c.unknown_layouts = 0;
    c.decode_errors = 0;
    c.unsupported = 0;
    this.counters = c;
  }

  /** Feeds a chunk of the byte stream, split anywhere. */
  push(chunk: string | Uint8Array): void {
    this.reader.push(typeof chunk === "string" ? toBytes(chunk) : chunk);
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
    // The LLC header E6 E7 00.
    if (info.length >= 3 && info[0] === 0xe6 && info[1] === 0xe7 && info[2] === 0x00) start = 3;
    let tag = info.length > start ? info[start] : -1;
    // Only what is wrapped: the unwrap counters appear on diag from the first such APDU, not from noise.
    if ((tag === APDU_GENERAL_GLO_CIPHERING || tag === APDU_GENERAL_DED_CIPHERING ||
      tag === APDU_GENERAL_BLOCK_TRANSFER) && this.options.unwrap) {
      const inner = this.options.unwrap(info, start, this.counters);
      if (!inner) return null;
      info = inner;
      start = 0;
      tag = info[0];
    }
    if (tag !== APDU_DATA_NOTIFICATION) {
      const why = unsupported(tag);
      if (why) {
        this.counters.unsupported++;
        if (this.options.onUnsupported) this.options.onUnsupported(why);
      } else {
        this.fail("not a DLMS Data-Notification (first byte 0x" + (tag & 255).toString(16) + ")");
      }
      return null;
    }
    let reading: Reading | null = null;
    try {
      const head = readNotificationHeader(info, start, info.length);
      // The lists as meters send them take the short way; the rest, and the tree for onNotification, the general.
      if (!this.forced && !this.options.onNotification) reading = readList(info, head.bodyAt, info.length, this.profile, head.time);
      if (!reading) {
        const apdu = { invokeId: head.invokeId, time: head.time, body: readData({ bytes: info, pos: head.bodyAt, end: info.length }, 0) };
        if (this.options.onNotification) this.options.onNotification(apdu);
        const layout = this.forced || detectLayout(apdu.body);
        if (!layout) {
          this.counters.unknown_layouts++;
          if (this.options.onError) this.options.onError("no known layout matches the list");
          return null;
        }
        const builder = new ReadingBuilder(layout, this.profile);
        decodeLayout(layout, apdu.body, builder);
        reading = builder.finish(apdu.time, layoutMaker(layout));
      }
    } catch (e) {
      this.fail((e as Error).message);
      return null;
    }
    // A list without the meter's identity takes that of the last list with one.
    const meter = reading.meter;
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
    this.counters.readings++;
    this.options.onReading(reading);
    return reading;
  }

  private fail(why: string): void {
    this.counters.decode_errors++;
    if (this.options.onError) this.options.onError(why);
  }
}
