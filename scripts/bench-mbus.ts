// The framing part of `npm run bench`: the same lists through HDLC and through M-Bus (one frame, and split in
// segments of 64 bytes as a reassembly load), messages per second in Node, one message per push. The lists come
// from the project's own encoder.
import { HanDecoder } from "../lib/han-decoder";
import { createMbusReader } from "../lib/mbus/frame-reader";
import { encodeApdu, encodeFrame, ListSpec } from "./sim/layouts";
import { randomReading } from "./sim/random-reading";
import { createRng } from "./sim/random";
import { mbusTelegram, mbusSegments } from "./sim/mbus-writer";

const MIN_MS = 150;
/** The best of a few runs: the machine is shared, and a run that another process interrupted says nothing. */
const RUNS = 4;

function perSecond(framing: string, message: Uint8Array): number {
  let best = 0;
  for (let run = 0; run < RUNS; run++) {
    let count = 0;
    const decoder = new HanDecoder({ reader: framing === "mbus" ? createMbusReader : undefined, onReading: () => { count++; } });
    const start = process.hrtime.bigint();
    let elapsed = 0;
    let pushed = 0;
    while (elapsed < MIN_MS) {
      for (let i = 0; i < 200; i++) decoder.push(message);
      pushed += 200;
      elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    }
    if (count !== pushed) throw new Error(`bench messages did not all decode (${count}/${pushed}, ${framing})`);
    best = Math.max(best, pushed / (elapsed / 1000));
  }
  return best;
}

const SPECS: [string, ListSpec][] = [
  ["aidon list 2", { maker: "aidon", list: 2, phases: 3, wires: 4, country: "NO" }],
  ["kaifa list 3", { maker: "kaifa", list: 3, phases: 3, wires: 4, country: "NO" }],
  ["austrian list (EVN)", { maker: "generic", list: 3, phases: 3, wires: 4, country: "AT" }],
];

export function benchFramings(): void {
  console.log("\nFramings in Node (messages per second, one message per push; M-Bus split in 64-byte segments too)");
  const cell = (n: number) => Math.round(n).toLocaleString("en").padStart(12);
  console.log("list".padEnd(22) + "HDLC".padStart(12) + "M-Bus".padStart(12) + "M-Bus split".padStart(12) + "  segments");
  const rng = createRng(3);
  for (const [name, spec] of SPECS) {
    const input = randomReading(rng, spec);
    const apdu = encodeApdu(input);
    console.log(name.padEnd(22) + cell(perSecond("hdlc", encodeFrame(input))) + cell(perSecond("mbus", mbusTelegram(apdu))) +
      cell(perSecond("mbus", mbusTelegram(apdu, 64))) + String(mbusSegments(apdu, 64).length).padStart(10));
  }
}
