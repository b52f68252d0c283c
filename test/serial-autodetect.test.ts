// Serial autodetection judged by what the frame reader makes of the bytes: valid frames keep a setting, bytes
// without frames (or damaged frames) condemn it, silence changes nothing, and a frame that may be luck proves nothing.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { SerialAutodetect, CANDIDATES, FRAMING_CANDIDATES, FramingDetect, JudgedReader, LineCounters, SerialSetting,
  serialText } from "../lib/serial-autodetect";
import { HanDecoder } from "../lib/han-decoder";
import { createMbusReader } from "../lib/mbus/frame-reader";
import { P1TelegramReader } from "../lib/p1/telegram-reader";
import { MeterSimulator, MeterOptions } from "../scripts/sim/meter";
import { converterFor, LineSettings } from "../scripts/emulator/line";

function counters(): LineCounters {
  return { bytes_in: 0, frames_ok: 0, hcs_errors: 0, fcs_errors: 0, length_errors: 0 };
}

test("starts at 2400 8E1, moves on only with evidence, locks on valid frames", () => {
  const d = new SerialAutodetect(null, null);
  const c = counters();
  assert.deepEqual(d.current, { baud: 2400, parity: "even" });
  assert.equal(d.judge(c), null, "silence");
  c.bytes_in += 300;
  assert.equal(d.judge(c), null, "too few bytes to judge: the window goes on");
  c.bytes_in += 400;
  assert.deepEqual(d.judge(c), { baud: 2400, parity: "none" }, "enough bytes and no frame");
  c.bytes_in += 100;
  assert.equal(d.judge(c), null);
  c.bytes_in += 100;
  assert.deepEqual(d.judge(c), { baud: 9600, parity: "even" }, "two windows of bytes without a frame, however few");
  d.judge(c);
  c.bytes_in += 250;
  c.frames_ok += 2;
  assert.equal(d.judge(c), null);
  assert.equal(d.locked, true);
  const report = d.report();
  assert.deepEqual(report.slice(0, 3).map((r) => [r.verdict, r.bytes, r.frames_ok]),
    [["no frames", 700, 0], ["no frames", 200, 0], ["working", 250, 2]]);
  assert.ok(report.slice(3).every((r) => r.verdict === "untried"));
});

test("damaged frames condemn a setting before many bytes have arrived", () => {
  const d = new SerialAutodetect(null, null);
  const c = counters();
  c.bytes_in += 200;
  c.fcs_errors += 2;
  c.length_errors += 1;
  assert.deepEqual(d.judge(c), { baud: 2400, parity: "none" });
});

test("a setting that worked survives a burst of noise, and is given up after three bad windows", () => {
  const d = new SerialAutodetect(null, { baud: 2400, parity: "none" });
  const c = counters();
  assert.deepEqual(d.current, { baud: 2400, parity: "none" }, "starts from the stored setting");
  c.bytes_in += 300; c.frames_ok += 2;
  d.judge(c);
  for (let i = 0; i < 2; i++) {
    c.bytes_in += 700;
    assert.equal(d.judge(c), null, "grace");
  }
  c.bytes_in += 700;
  assert.deepEqual(d.judge(c), { baud: 9600, parity: "even" });
  assert.equal(d.locked, false);
});

test("a configured setting is never changed, and the candidates wrap around", () => {
  const fixed = new SerialAutodetect({ baud: 115200, parity: "none" }, null);
  const c = counters();
  c.bytes_in += 5000;
  assert.equal(fixed.judge(c), null);
  const d = new SerialAutodetect(null, CANDIDATES[CANDIDATES.length - 1]);
  c.bytes_in += 5000;
  assert.deepEqual(d.judge(c), CANDIDATES[0]);
});

test("a valid frame among damaged ones is luck, not a setting: the window goes on, then the setting is given up", () => {
  const d = new SerialAutodetect(null, null);
  const c = counters();
  c.bytes_in += 5000; c.frames_ok += 1; c.fcs_errors += 6; c.length_errors += 2;
  assert.equal(d.judge(c), null);
  assert.equal(d.locked, false, "locked on one frame among eight damaged");
  c.bytes_in += 5000; c.fcs_errors += 7;
  assert.deepEqual(d.judge(c), { baud: 2400, parity: "none" });
  assert.deepEqual([d.report()[0].verdict, d.report()[0].frames_ok, d.report()[0].bytes], ["too few frames", 1, 10000]);
});

test("a lone valid frame with little else waits for the next frames to confirm it; two that outnumber the damaged " +
  "lock at once", () => {
  const d = new SerialAutodetect(null, null);
  const c = counters();
  c.bytes_in += 150; c.frames_ok += 1;
  for (let i = 0; i < 3; i++) {
    assert.equal(d.judge(c), null);
    assert.equal(d.locked, false, "locked on a single frame");
    c.bytes_in += 100;
  }
  c.frames_ok += 2;
  assert.equal(d.judge(c), null);
  assert.equal(d.locked, true);
  assert.deepEqual([d.report()[0].verdict, d.report()[0].frames_ok], ["working", 3]);

  const e = new SerialAutodetect(null, { baud: 2400, parity: "none" });
  const k = counters();
  k.bytes_in += 450; k.frames_ok += 2; k.hcs_errors += 1;
  assert.equal(e.judge(k), null);
  assert.equal(e.locked, true, "two valid frames and one damaged (a window that began mid-frame)");
});

// Framing and setting found together, over a modelled line: a simulated meter of each framing at its own
// setting, read at each candidate's setting (scripts/emulator/line.ts: a wrong parity or data size gives
// misframed bytes, a wrong baud rate garbage), judged window by window by the reader of the candidate's framing.
describe("the framing and the setting, found from the meter's own bytes", () => {
  const WINDOW_MS = 25000;
  const START = Date.UTC(2026, 2, 2, 8, 0, 0);
  const readers = {
    hdlc: (): JudgedReader => new HanDecoder({ onReading: () => undefined }),
    mbus: (): JudgedReader => new HanDecoder({ reader: createMbusReader, onReading: () => undefined }),
    p1: (): JudgedReader => new P1TelegramReader({ onTelegram: () => undefined }),
  };

  function lineOf(s: SerialSetting): LineSettings {
    return { baud: s.baud, bytesize: s.bits === 7 ? 7 : 8, parity: s.parity, stopbits: 1 };
  }

  /** Runs the line until the detector locks (or `windows` pass); returns the detector. */
  function detectOn(meter: MeterOptions, line: SerialSetting, make: typeof readers | Partial<typeof readers>,
    start: SerialSetting | null, windows: number): FramingDetect {
    const sim = new MeterSimulator(Object.assign({}, meter, { seed: 5, startMs: START }));
    const d = new FramingDetect(make as { [f: string]: () => JudgedReader }, null, start);
    let rx = converterFor(lineOf(line), lineOf(d.detect.current), 1);
    for (let w = 1; w <= windows && !d.detect.locked; w++) {
      const got: number[] = [];
      for (const f of sim.advanceTo(START + w * WINDOW_MS)) {
        f.bytes.forEach((b, i) => rx.char(b, 0, i === f.bytes.length - 1, (byte) => { got.push(byte); }));
      }
      d.push(new Uint8Array(got));
      if (d.judge()) rx = converterFor(lineOf(line), lineOf(d.detect.current), w);
    }
    return d;
  }

  const cases: [string, MeterOptions, SerialSetting][] = [
    ["HDLC 2400 8E1 (Aidon)", { maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 0, startMs: 0 },
      { baud: 2400, parity: "even" }],
    ["HDLC 2400 8N1 (Kamstrup)", { maker: "kamstrup", phases: 3, wires: 4, country: "NO", seed: 0, startMs: 0 },
      { baud: 2400, parity: "none" }],
    ["M-Bus 2400 8E1 (EVN)", { maker: "generic", phases: 3, wires: 4, country: "AT", seed: 0, startMs: 0,
      framing: "mbus" }, { baud: 2400, parity: "even", framing: "mbus" }],
    ["M-Bus 9600 8E1", { maker: "generic", phases: 3, wires: 4, country: "AT", seed: 0, startMs: 0, framing: "mbus",
      mbusBaud: 9600 }, { baud: 9600, parity: "even", framing: "mbus" }],
    ["DSMR 5 P1 115200 8N1", { maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 0, startMs: 0,
      framing: "p1" }, { baud: 115200, parity: "none", framing: "p1" }],
    ["DSMR 2.2 P1 9600 7E1", { maker: "aidon", phases: 3, wires: 4, country: "NO", seed: 0, startMs: 0,
      framing: "p1", p1Version: "2.2" }, { baud: 9600, parity: "even", bits: 7, framing: "p1" }],
  ];

  for (const [name, meter, setting] of cases) {
    test(`${name}: found from the first candidate, and from every other one`, () => {
      for (const start of [null].concat(FRAMING_CANDIDATES as never[]) as (SerialSetting | null)[]) {
        const d = detectOn(meter, setting, readers, start, 40);
        const from = start ? serialText(start) + " " + (start.framing || "hdlc") : "the first";
        assert.ok(d.detect.locked, `${name} from ${from}: not locked; tried ${JSON.stringify(d.detect.report())}`);
        // An 8E1 line read at 8N1 delivers every byte intact (the module's header): where that candidate comes
        // first, it is kept.
        const found = d.detect.current;
        const alike = setting.parity === "even" && !setting.bits && found.parity === "none" &&
          found.baud === setting.baud && found.framing === setting.framing && !found.bits;
        if (!alike) assert.deepEqual(found, setting, `${name} from ${from}`);
        const working = d.detect.report().filter((r) => r.verdict === "working");
        assert.deepEqual(working.map((r) => [r.framing, r.baud, r.parity, r.bits]),
          [[found.framing, found.baud, found.parity, found.bits]], "the report names framing and setting");
      }
    });
  }

  test("a framing without a reader at hand is not tried: an M-Bus meter stays unfound by an HDLC-only device", () => {
    const d = detectOn(cases[2][1], cases[2][2], { hdlc: readers.hdlc }, null, 20);
    assert.equal(d.detect.locked, false);
    assert.ok(d.detect.report().every((r) => r.framing === undefined), "only HDLC candidates");
    assert.deepEqual(new FramingDetect({ hdlc: readers.hdlc }, null, null).detect.report().length, CANDIDATES.length);
  });

  test("a fixed setting of a framing without a reader is refused by name", () => {
    assert.throws(() => new FramingDetect({ hdlc: readers.hdlc }, { baud: 9600, parity: "even", framing: "mbus" }, null),
      /framing must be one of hdlc; got "mbus"/);
  });

  test("diag shows the setting with its data bits", () => {
    assert.deepEqual(FRAMING_CANDIDATES.map(serialText), ["2400 8E1", "2400 8N1", "2400 8E1", "9600 8E1", "115200 8N1",
      "9600 7E1", "9600 8E1", "9600 8N1", "115200 8N1", "115200 8E1"]);
  });
});
