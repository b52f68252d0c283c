// The live terminal view of one dongle's topics, for `npm start` and `npm run monitor -- --live`: what the meter
// says now, the last hour's energy, and the device's health, redrawn as messages arrive. Without a terminal it
// prints one line per message instead.

interface State {
  status: string;
  meter: Record<string, unknown>;
  power: Record<string, unknown>;
  instant: Record<string, unknown>;
  energy: Record<string, unknown>;
  diag: Record<string, unknown>;
  log: string[];
  counts: Record<string, number>;
}

const LOG_LINES = 5;

function num(v: unknown, digits: number, unit: string): string {
  return typeof v === "number" ? v.toFixed(digits) + " " + unit : "-";
}

function kwh(v: unknown): string {
  return typeof v === "number" ? (v / 1000).toFixed(3) + " kWh" : "-";
}

function phases(s: Record<string, unknown>, stem: string, digits: number, unit: string): string {
  return ["l1", "l2", "l3"].map((p) => num(s[stem + "_" + p], digits, unit).padStart(10)).join(" ");
}

export function renderView(base: string, s: State): string {
  const d = s.diag;
  const lines = [
    `\x1b[1mhan-reader\x1b[0m  ${base}  status: ${s.status === "online" ? "\x1b[32monline\x1b[0m" : s.status || "?"}`,
    `meter: ${s.meter.manufacturer ?? "?"} ${s.meter.type ?? ""}  id ${s.meter.id ?? "?"}  (${s.meter.list_version ?? "?"})`,
    "",
    `power import  ${num(s.power.active_power_import, 0, "W").padStart(10)}   export ${num(s.power.active_power_export, 0, "W")}` +
      `   at ${s.power.ts ?? "-"}`,
    `current       ${phases(s.instant, "current", 2, "A")}`,
    `voltage       ${phases(s.instant, "voltage", 1, "V")}`,
    `reactive      ${num(s.instant.reactive_power_import, 0, "var").padStart(10)} import ${num(s.instant.reactive_power_export, 0, "var")} export`,
    "",
    `energy import ${kwh(s.energy.active_energy_import).padStart(14)}   export ${kwh(s.energy.active_energy_export)}` +
      `   hour ${s.energy.hour_start ?? "-"} .. ${s.energy.hour_end ?? "-"}`,
    "",
    `frames ok ${d.frames_ok ?? "-"}  crc errors ${d.crc_errors ?? "-"}  bytes dropped ${d.bytes_dropped ?? "-"}` +
      `  serial ${d.serial ?? "-"}  uptime ${d.uptime ?? "-"} s  free ${d.free_memory ?? "-"} vars  rssi ${d.rssi ?? "-"}`,
    `messages: ${Object.entries(s.counts).map(([k, v]) => `${k} ${v}`).join("  ")}`,
    "",
    ...s.log.slice(-LOG_LINES).map((l) => "log: " + l),
  ];
  return lines.join("\n");
}

export interface LiveView {
  update(topic: string, payload: string): void;
  /** The text last drawn (for tests). */
  text(): string;
  close(): void;
}

export function createLiveView(base: string, out: NodeJS.WriteStream = process.stdout): LiveView {
  const s: State = { status: "", meter: {}, power: {}, instant: {}, energy: {}, diag: {}, log: [], counts: {} };
  const tty = out.isTTY === true;
  let dirty = false;
  const draw = () => {
    if (!dirty) return;
    dirty = false;
    out.write("\x1b[H\x1b[2J" + renderView(base, s) + "\n");
  };
  const timer = tty ? setInterval(draw, 250) : null;
  return {
    update(topic, payload) {
      if (!topic.startsWith(base + "/")) return;
      const kind = topic.slice(base.length + 1);
      s.counts[kind] = (s.counts[kind] || 0) + 1;
      if (!tty) out.write(`${new Date().toISOString()} ${topic} ${payload}\n`);
      if (kind === "status") s.status = payload;
      else if (kind === "log") s.log.push(payload), s.log.splice(0, Math.max(0, s.log.length - LOG_LINES));
      else if (kind === "meter" || kind === "power" || kind === "instant" || kind === "energy" || kind === "diag") {
        // Merged, not replaced: the fast list carries import power only, the 10-s list the rest.
        try { s[kind] = { ...s[kind], ...JSON.parse(payload) }; } catch { s.log.push(`unparsable ${kind}: ${payload.slice(0, 60)}`); }
      }
      dirty = true;
    },
    text: () => renderView(base, s),
    close() {
      if (timer) clearInterval(timer);
      draw();
    },
  };
}
