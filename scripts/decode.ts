// `npm run decode`: decodes hex frames, a file of hex lines, or a raw binary capture (file, serial port or stdin),
// and prints one JSON object per reading as soon as its frame is complete, then the decoder's counters.
import { createReadStream } from "node:fs";
import { parseCommandLine, runCli, UsageError } from "./cli";
import { HanDecoder, DecoderOptions } from "../lib/han-decoder";
import { createMbusReader } from "../lib/mbus/frame-reader";
import { ctFromPowers } from "../lib/meters/ct-from-powers";
import { fromHex } from "../lib/bytes";
import { LAYOUT_NAMES } from "../lib/meters/layouts";
import { SCHEMA } from "../lib/config/schema";
import type { Reading } from "../lib/reading";
import { axdrTree } from "./axdr-tree";
import { CaptureInput } from "./capture-input";
import { P1Decoder } from "../lib/p1/decoder";
import { nodeBlockCipher } from "./node-aes";
import { createUnwrap } from "../lib/dlms/unwrap";

/** The countries the device's configuration accepts (meter.country), so that decode scales as a device would. */
const COUNTRIES = SCHEMA.filter((f) => f.path === "meter.country")[0].choices as string[];

const USAGE = `usage: npm run --silent decode -- [--hex HEX ...] [FILE | -] [options]
  --hex HEX        a frame (7E ... 7E), LLC payload (E6 E7 00 ...) or APDU (0F ...) in hex; repeatable
  FILE             a text file of hex lines (one message per line, # comments), or a raw binary capture, or a
                   serial port; "-" or no FILE and no --hex reads standard input. Each reading is printed as
                   soon as its frame is complete; a line that is not hex is reported with its number and skipped
  --tree           also print each message's A-XDR tree
  --layout NAME    force a layout: auto, ${LAYOUT_NAMES.join(", ")} (default auto)
  --country CC     scaling profile country: ${COUNTRIES.join(", ")} (default NO)
  --ct             current-transformer meter (without it, a Kamstrup list that lacks the meter type is judged by
                   its own powers)
  --ct-ratio N     transformer ratio for meters that report secondary values (default 1)
  --max-frame N    largest HDLC frame in bytes (default 1024)
  --framing F      auto (default), hdlc or mbus: how binary input is framed; auto takes the framing of the first
                   valid frame (HDLC's CRCs, M-Bus's checksum). A hex line is a frame by its first byte (7E HDLC,
                   68 or 10 M-Bus), else an LLC payload (E6 E7 00) or a bare APDU
  --p1             the input is DSMR P1: found by itself when it starts with "/", or with --key when it starts with
                   DB and what the key opens is no DLMS APDU (Smarty's frames)
  --key HEX        an encrypted meter's AES-128 key (GUEK), 32 hex digits: DLMS (general-glo/ded-ciphering) or
                   P1 (Luxembourg's Smarty); without it an encrypted frame is refused as "no key"
  --auth-key HEX   its authentication key (GAK): every DLMS frame must then carry a valid tag (P1: default
                   Smarty's published one). A wrong key, a bad tag or a replayed frame counter is refused with
                   one line on standard error
--silent keeps npm's own lines off standard output, which then holds only JSON lines.`;

function fail(message: string): never {
  throw new UsageError(message);
}

function positiveNumber(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n > 0)) fail(`${name} must be a positive number, got "${text}"`);
  return n;
}

function readingJson(r: Reading): object {
  return Object.assign({ list: r.list, layout: r.layout, meter: r.meter, clock: r.clock }, r.values, { obis: r.obis });
}

/** Reads `file` (standard input when undefined) chunk by chunk until it ends, or until Ctrl-C. */
function readStream(file: string | undefined, onChunk: (chunk: Buffer) => void): Promise<void> {
  const stream = file === undefined ? process.stdin : createReadStream(file);
  return new Promise<void>((resolve, reject) => {
    // Ctrl-C ends a live capture: what came so far is decoded and the counters are printed.
    const stop = () => {
      stream.destroy();
      resolve();
    };
    process.once("SIGINT", stop);
    const done = () => process.removeListener("SIGINT", stop);
    stream.on("data", (chunk: Buffer) => onChunk(chunk));
    stream.on("end", () => {
      done();
      resolve();
    });
    stream.on("error", (e: NodeJS.ErrnoException) => {
      done();
      reject(new UsageError(`cannot read ${file || "standard input"}: ${e.code || e.message}`));
    });
  });
}

// ---- DSMR P1 (lib/p1/decoder.ts): telegrams as the meter sends them, plain, or encrypted as Smarty's. ----

function aesKey(name: string, text: string | undefined): Uint8Array | undefined {
  if (text === undefined) return undefined;
  let key: Uint8Array | null = null;
  try { key = fromHex(text); } catch { key = null; }
  if (!key || key.length !== 16) fail(`${name} must be 32 hex digits (an AES-128 key); got "${text}"`);
  return key;
}

/** True when `bytes` at `at` (a DB) is a ciphered DLMS APDU under `key`: its plaintext begins with the tag of an
 *  APDU a meter pushes (Data-Notification 0F, general block transfer E0), where Smarty's begins with a telegram's
 *  "/". Both have general-glo-ciphering's header,
 *  DB 08 <title 8> <length> <security byte> <frame counter 4> <ciphertext>, and GCM's first plaintext byte is the
 *  first ciphertext byte XOR the first byte of AES(title || counter || 00000002). */
function opensToApdu(bytes: Uint8Array, at: number, key: Uint8Array): boolean {
  const form = bytes[at + 10];
  const sc = at + (form < 0x80 ? 11 : form === 0x81 ? 12 : form === 0x82 ? 13 : -1);
  if (bytes[at + 1] !== 8 || sc < at || bytes.length <= sc + 5) return false;
  const block = new Uint8Array(16);
  block.set(bytes.subarray(at + 2, at + 10), 0);
  block.set(bytes.subarray(sc + 1, sc + 5), 8);
  block[15] = 2;
  const first = bytes[sc + 5] ^ nodeBlockCipher(key)(block)[0];
  return first === 0x0f || first === 0xe0;
}

/** The P1 decoder, when the input is P1: asked for (--p1), or the input's first byte (skipping line ends) is "/",
 *  or, with --key, it is DB and the key does not open it to a DLMS APDU (a ciphered APDU given bare in hex goes to
 *  the DLMS path; a bare DB frame that opens to nothing is Smarty's under a wrong key, DLMS meters framing theirs
 *  in HDLC or M-Bus, and is refused as such). */
class P1Input {
  decoder: P1Decoder | null = null;
  private decided: boolean;
  private readonly key: Uint8Array | undefined;
  private readonly authKey: Uint8Array | undefined;

  constructor(forced: boolean, key: string | undefined, authKey: string | undefined) {
    this.key = aesKey("--key", key);
    this.authKey = aesKey("--auth-key", authKey);
    if (this.authKey && !this.key) fail("--auth-key needs --key");
    this.decided = forced;
    if (forced) this.start();
  }

  /** Takes bytes that are P1 (true); leaves others to the DLMS framings. */
  take(bytes: Uint8Array): boolean {
    if (!this.decided) {
      let i = 0;
      while (i < bytes.length && (bytes[i] === 0x0d || bytes[i] === 0x0a)) i++;
      if (i === bytes.length) return false;
      this.decided = true;
      if (bytes[i] === 0x2f || (this.key && bytes[i] === 0xdb && !opensToApdu(bytes, i, this.key))) this.start();
    }
    if (this.decoder) this.decoder.push(bytes);
    return this.decoder !== null;
  }

  /** The counters, and exit code 1 when no telegram was found. */
  end(name: string): number {
    const d = this.decoder!;
    d.flush();
    console.log(JSON.stringify({ framing: "p1", counters: d.counters }));
    if (d.counters.frames_ok > 0) return 0;
    // Refused frames have said why, each on its line.
    if (d.counters.decrypt_errors + d.counters.replays + d.counters.unsupported > 0) return 1;
    console.error(`decode: no P1 telegrams found in ${name} (${d.counters.bytes_in} bytes): a capture holds telegrams ` +
      "(/XXX5... ! and a CRC), as the meter sends them; a serial line needs 115200 8N1 (DSMR 4/5) or 9600 7E1 " +
      "(DSMR 2.2/3), and Smarty's frames the key (README.md, Reading a P1 port)");
    return 1;
  }

  private start(): void {
    this.decoder = new P1Decoder({
      cipher: this.key ? nodeBlockCipher(this.key) : undefined, authKey: this.authKey,
      onReading: (r) => console.log(JSON.stringify(Object.assign(readingJson(r), r.times ? { times: r.times } : {}))),
      onError: (why) => console.error(`decode: ${why}`),
    });
  }
}

// ---- The DLMS framings: HDLC and M-Bus (lib/hdlc/, lib/mbus/). ----

const FRAMINGS = ["hdlc", "mbus"];
/** The reader each framing's decoder is given (DecoderOptions.reader); HDLC's is the decoder's own. */
const READER: { [framing: string]: DecoderOptions["reader"] } = { hdlc: undefined, mbus: createMbusReader };
/** Binary input held while its framing is unknown: more than a few frames of any meter. */
const SNIFF_MAX = 65536;

/** A decoder per framing, all made from the same options (one meter: they share its unwrap state), each when
 *  its first input comes; and binary input sent to the framing of its first valid frame, judged as the serial
 *  autodetector judges a line (lib/serial-autodetect.ts), the bytes held until then given to it from the start. */
class Framings {
  private readonly made: { [framing: string]: HanDecoder } = {};
  /** One quiet decoder per framing while binary input's framing is unknown; null once it is. */
  private sniffers: { [framing: string]: HanDecoder } | null = null;
  private chosen: string | null;
  private held: Uint8Array[] = [];
  private heldBytes = 0;

  constructor(private readonly options: DecoderOptions, framing: string) {
    this.chosen = framing === "auto" ? null : framing;
  }

  decoder(framing: string): HanDecoder {
    if (!this.made[framing]) this.made[framing] = new HanDecoder(Object.assign({}, this.options, { reader: READER[framing] }));
    return this.made[framing];
  }

  /** A frame given whole (a hex line): false when its first byte is no frame's, for an LLC payload or APDU. */
  frame(bytes: Uint8Array): boolean {
    const framing = bytes[0] === 0x7e ? "hdlc" : bytes[0] === 0x68 || bytes[0] === 0x10 ? "mbus" : null;
    if (framing) this.decoder(framing).push(bytes);
    return framing !== null;
  }

  /** Raw bytes of a binary capture, as they came. */
  bytes(chunk: Uint8Array): void {
    if (this.chosen) {
      this.decoder(this.chosen).push(chunk);
      return;
    }
    if (!this.sniffers) {
      this.sniffers = {};
      for (const f of FRAMINGS) this.sniffers[f] = new HanDecoder({ reader: READER[f], onReading: () => undefined });
    }
    this.held.push(chunk.slice());
    this.heldBytes += chunk.length;
    // Bytes in which no framing found a frame are noise to all: the oldest go, and are not decoded.
    while (this.heldBytes > SNIFF_MAX && this.held.length > 1) this.heldBytes -= (this.held.shift() as Uint8Array).length;
    for (const f of FRAMINGS) {
      this.sniffers[f].push(chunk);
      if (this.sniffers[f].counters.frames_ok > 0) {
        this.choose(f);
        return;
      }
    }
  }

  private choose(framing: string): void {
    this.chosen = framing;
    this.sniffers = null;
    const held = this.held;
    this.held = [];
    for (const h of held) this.decoder(framing).push(h);
  }

  /** End of input: flushes, prints each decoder's counters (HDLC's when none had input), and tells what was found. */
  end(): { frames: number; bytes: number } {
    if (this.held.length > 0) this.choose("hdlc");
    let used = Object.keys(this.made).filter((f) => this.made[f].counters.bytes_in > 0);
    if (used.length === 0) used = ["hdlc"];
    let frames = 0;
    let bytes = 0;
    for (const f of used) {
      const d = this.decoder(f);
      d.flush();
      console.log(JSON.stringify({ framing: f, counters: d.counters }));
      frames += d.counters.frames_ok;
      bytes += d.counters.bytes_in;
    }
    return { frames, bytes };
  }
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine({ args: argv, allowPositionals: true, options: {
    hex: { type: "string", multiple: true }, tree: { type: "boolean" }, layout: { type: "string" },
    country: { type: "string" }, ct: { type: "boolean" }, "ct-ratio": { type: "string" },
    "max-frame": { type: "string" }, framing: { type: "string" }, p1: { type: "boolean" }, key: { type: "string" },
    "auth-key": { type: "string" },
  } }, USAGE);
  if (!parsed) return 0;
  const o = parsed.values;
  if (parsed.positionals.length > 1) fail("give at most one FILE");
  const layout = o.layout || "auto";
  if (layout !== "auto" && !LAYOUT_NAMES.includes(layout)) {
    fail(`--layout must be one of auto, ${LAYOUT_NAMES.join(", ")}; got "${layout}"`);
  }
  const country = o.country === undefined ? undefined : o.country.toUpperCase();
  if (country !== undefined && COUNTRIES.indexOf(country) < 0) {
    fail(`--country must be one of ${COUNTRIES.join(", ")}; got "${o.country}"`);
  }
  const dlmsKey = aesKey("--key", o.key) || null;
  const framing = o.framing || "auto";
  if (FRAMINGS.indexOf(framing) < 0 && framing !== "auto") {
    fail(`--framing must be one of auto, ${FRAMINGS.join(", ")}; got "${framing}"`);
  }
  const framings = new Framings({
    unwrap: createUnwrap({ key: dlmsKey, authKey: aesKey("--auth-key", o["auth-key"]) || null,
      cipher: dlmsKey ? nodeBlockCipher(dlmsKey) : undefined, onRefused: (why) => console.error(`decode: refused: ${why}`) }),
    layout,
    maxFrameSize: positiveNumber("--max-frame", o["max-frame"]),
    scaling: { country: country, ct: o.ct, ctRatio: positiveNumber("--ct-ratio", o["ct-ratio"]),
      ctCheck: o.ct ? undefined : ctFromPowers },
    onReading: (r) => console.log(JSON.stringify(readingJson(r))),
    onNotification: o.tree ? (apdu) => console.log(JSON.stringify({ tree: axdrTree(apdu.body) })) : undefined,
    onUnsupported: (why) => console.log(JSON.stringify({ unsupported: why })),
    onError: (why) => console.error(`decode error: ${why}`),
  }, framing);
  const decoder = framings.decoder("hdlc");
  /** Messages given whole (not as frames): an LLC payload or APDU counts as found like a frame does. */
  let messages = 0;
  const p1 = new P1Input(o.p1 === true, o.key, o["auth-key"]);
  const feed = (bytes: Uint8Array) => {
    if (bytes.length === 0 || p1.take(bytes)) return;
    if (!framings.frame(bytes)) {
      messages++;
      decoder.decodeMessage(bytes);
    }
  };
  if (o.hex) {
    o.hex.forEach((h, i) => {
      try { feed(fromHex(h)); } catch (e) { fail(`--hex #${i + 1}: ${(e as Error).message}`); }
    });
  }
  const file = parsed.positionals[0];
  const name = file === undefined || file === "-" ? "standard input" : file;
  if (file !== undefined || !o.hex) {
    const input = new CaptureInput({
      message: feed,
      bytes: (chunk) => { if (!p1.take(chunk)) framings.bytes(chunk); },
      badLine: (line, why) => console.error(`decode: ${name} line ${line}: ${why}; skipped`),
    });
    await readStream(file === "-" ? undefined : file, (chunk) => input.push(chunk));
    input.end();
  }
  if (p1.decoder) return p1.end(o.hex && file === undefined ? "--hex" : name);
  const found = framings.end();
  if (found.frames === 0 && messages === 0) {
    console.error(`decode: no frames found in ${o.hex && file === undefined ? "--hex" : name} ` +
      `(${found.bytes} bytes): a capture holds HDLC frames (7E A0 ... 7E) or M-Bus frames (68 L L 68 ... 16), as ` +
      "bytes or one frame in hex per line; a serial line needs the meter's settings (README.md, Decoding frames)");
    return 1;
  }
  return 0;
}

runCli("decode", () => main(process.argv.slice(2)));
