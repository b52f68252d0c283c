// `npm run decode`: decodes hex frames, a file of hex lines, or a raw binary capture (file, serial port or stdin),
// and prints one JSON object per reading as soon as its frame is complete, then the decoder's counters.
import { createReadStream } from "node:fs";
import { parseCommandLine, runCli, UsageError } from "./cli";
import { HanDecoder } from "../lib/han-decoder";
import { fromHex } from "../lib/bytes";
import { LAYOUT_NAMES } from "../lib/meters/layouts";
import { SCHEMA } from "../lib/config/schema";
import type { Reading } from "../lib/reading";
import { axdrTree } from "./axdr-tree";
import { CaptureInput } from "./capture-input";

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
  --ct             current-transformer meter
  --ct-ratio N     transformer ratio for meters that report secondary values (default 1)
  --max-frame N    largest HDLC frame in bytes (default 1024)
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

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine({ args: argv, allowPositionals: true, options: {
    hex: { type: "string", multiple: true }, tree: { type: "boolean" }, layout: { type: "string" },
    country: { type: "string" }, ct: { type: "boolean" }, "ct-ratio": { type: "string" },
    "max-frame": { type: "string" },
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
  const decoder = new HanDecoder({
    layout,
    maxFrameSize: positiveNumber("--max-frame", o["max-frame"]),
    scaling: { country: country, ct: o.ct, ctRatio: positiveNumber("--ct-ratio", o["ct-ratio"]) },
    onReading: (r) => console.log(JSON.stringify(readingJson(r))),
    onNotification: o.tree ? (apdu) => console.log(JSON.stringify({ tree: axdrTree(apdu.body) })) : undefined,
    onUnsupported: (why) => console.log(JSON.stringify({ unsupported: why })),
    onError: (why) => console.error(`decode error: ${why}`),
  });
  /** Messages given whole (not as frames): an LLC payload or APDU counts as found like a frame does. */
  let messages = 0;
  const feed = (bytes: Uint8Array) => {
    if (bytes.length === 0) return;
    if (bytes[0] === 0x7e) {
      decoder.push(bytes);
    } else {
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
      bytes: (chunk) => decoder.push(chunk),
      badLine: (line, why) => console.error(`decode: ${name} line ${line}: ${why}; skipped`),
    });
    await readStream(file === "-" ? undefined : file, (chunk) => input.push(chunk));
    input.end();
  }
  decoder.flush();
  console.log(JSON.stringify({ counters: decoder.counters }));
  if (decoder.counters.frames_ok === 0 && messages === 0) {
    console.error(`decode: no frames found in ${o.hex && file === undefined ? "--hex" : name} ` +
      `(${decoder.counters.bytes_in} bytes): a capture holds HDLC frames (7E A0 ... 7E), as bytes or one frame ` +
      "in hex per line; a serial line needs the meter's settings (README.md, Decoding frames)");
    return 1;
  }
  return 0;
}

runCli("decode", () => main(process.argv.slice(2)));
