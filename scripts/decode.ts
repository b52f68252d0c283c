// `npm run decode`: decodes hex frames, a file of hex lines, or a raw binary capture (file or stdin), and prints
// one JSON object per reading, then the decoder's counters.
import { parseArgs } from "node:util";
import { runCli, UsageError } from "./cli";
import { readFileSync } from "node:fs";
import { HanDecoder } from "../lib/han-decoder";
import { fromHex } from "../lib/bytes";
import { LAYOUT_NAMES } from "../lib/meters/layouts";
import type { Reading } from "../lib/reading";
import { axdrTree } from "./axdr-tree";

const USAGE = `usage: npm run decode -- [--hex HEX ...] [FILE | -] [options]
  --hex HEX        a frame (7E ... 7E), LLC payload (E6 E7 00 ...) or APDU (0F ...) in hex; repeatable
  FILE             a text file of hex lines (one message per line, # comments), or a raw binary capture;
                   "-" or no FILE and no --hex reads standard input
  --tree           also print each message's A-XDR tree
  --layout NAME    force a layout: auto, ${LAYOUT_NAMES.join(", ")} (default auto)
  --country CC     scaling profile country: NO, SE, DK, ... (default NO)
  --ct             current-transformer meter
  --ct-ratio N     transformer ratio for meters that report secondary values (default 1)
  --max-frame N    largest HDLC frame in bytes (default 1024)`;

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

/** Each line of hex text is one message; anything else in the file makes it binary. */
function hexLines(content: Buffer): string[] | null {
  const text = content.toString("latin1");
  const lines = text.split(/\r?\n/).map((l) => l.replace(/#.*$/, "").trim()).filter((l) => l.length > 0);
  return lines.every((l) => /^(0x)?[0-9a-fA-F\s:]+$/.test(l)) ? lines : null;
}

function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: {
      hex: { type: "string", multiple: true }, tree: { type: "boolean" }, layout: { type: "string" },
      country: { type: "string" }, ct: { type: "boolean" }, "ct-ratio": { type: "string" },
      "max-frame": { type: "string" }, help: { type: "boolean", short: "h" },
    } });
  } catch (e) {
    return fail((e as Error).message.split("\n")[0]);
  }
  const o = parsed.values;
  if (o.help) { console.log(USAGE); return 0; }
  if (parsed.positionals.length > 1) fail("give at most one FILE");
  const layout = o.layout || "auto";
  if (layout !== "auto" && !LAYOUT_NAMES.includes(layout)) {
    fail(`--layout must be one of auto, ${LAYOUT_NAMES.join(", ")}; got "${layout}"`);
  }
  if (o.country !== undefined && !/^[A-Z]{2}$/.test(o.country)) fail(`--country must be a two-letter code such as NO, SE, DK; got "${o.country}"`);
  const decoder = new HanDecoder({
    layout,
    maxFrameSize: positiveNumber("--max-frame", o["max-frame"]),
    scaling: { country: o.country, ct: o.ct, ctRatio: positiveNumber("--ct-ratio", o["ct-ratio"]) },
    onReading: (r) => console.log(JSON.stringify(readingJson(r))),
    onNotification: o.tree ? (apdu) => console.log(JSON.stringify({ tree: axdrTree(apdu.body) })) : undefined,
    onUnsupported: (why) => console.log(JSON.stringify({ unsupported: why })),
    onError: (why) => console.error(`decode error: ${why}`),
  });
  const feed = (bytes: Uint8Array) => {
    if (bytes.length === 0) return;
    if (bytes[0] === 0x7e) decoder.push(bytes);
    else decoder.decodeMessage(bytes);
  };
  const toBytes = (hex: string, where: string) => {
    try { return fromHex(hex); } catch (e) { return fail(`${where}: ${(e as Error).message}`); }
  };
  if (o.hex) {
    o.hex.forEach((h, i) => feed(toBytes(h, `--hex #${i + 1}`)));
  }
  const file = parsed.positionals[0];
  if (file !== undefined || !o.hex) {
    let content: Buffer;
    try {
      content = readFileSync(file === undefined || file === "-" ? 0 : file);
    } catch (e) {
      return fail(`cannot read ${file || "standard input"}: ${(e as NodeJS.ErrnoException).code || (e as Error).message}`);
    }
    const lines = hexLines(content);
    if (lines) lines.forEach((l, i) => feed(toBytes(l, `${file || "stdin"} line ${i + 1}`)));
    else decoder.push(new Uint8Array(content));
  }
  decoder.flush();
  console.log(JSON.stringify({ counters: decoder.counters }));
  return 0;
}

runCli("decode", () => main(process.argv.slice(2)));
