// The live terminal view of one dongle's topics, for `npm start` and `npm run monitor -- --live`: what the meter
// says now, the last hour's energy, and the device's health, redrawn as messages arrive under a header that the
// redraw keeps (which firmware, which broker). It fits an 80x24 terminal. Without a terminal (piped, redirected)
// it prints one plain line per message instead, with no screen control codes. The insights (lib/insights: capacity
// step, voltage quality, net power, consistency) are shown as the device publishes them on <base>/insights/...; until
// it does, they are worked out here from its power, instant and energy messages, by the same code.
import { createInsights, insightOptions, type Insights } from "../lib/insights/index";
import { SCHEMA } from "../lib/config/schema";
import type { Reading } from "../lib/reading";

interface State {
  status: string;
  meter: Record<string, unknown>;
  power: Record<string, unknown>;
  instant: Record<string, unknown>;
  energy: Record<string, unknown>;
  diag: Record<string, unknown>;
  log: string[];
  counts: Record<string, number>;
  /** The last payload on each insights topic, by its suffix ("capacity", "voltage/event", ...). */
  insights: Record<string, Record<string, unknown> | string>;
}

export interface LiveViewOptions {
  /** Lines drawn above the view at every redraw. */
  header?: string[];
  /** The last line, saying how it ends. */
  footer?: string;
  out?: NodeJS.WriteStream;
}

const LOG_LINES = 4;
const WIDTH = 80;

function num(v: unknown, digits: number, unit: string): string {
  return typeof v === "number" ? v.toFixed(digits) + " " + unit : "-";
}

function kwh(v: unknown): string {
  return typeof v === "number" ? (v / 1000).toFixed(3) + " kWh" : "-";
}

/** HH:MM or HH:MM:SS of an ISO time, which the device sends in UTC. */
function clock(v: unknown, length: number): string {
  return typeof v === "string" && v.length >= 19 ? v.slice(11, 11 + length) : "-";
}

function phases(s: Record<string, unknown>, stem: string, digits: number, unit: string): string {
  return ["l1", "l2", "l3"].map((p) => num(s[stem + "_" + p], digits, unit).padStart(10)).join(" ");
}

function energyLine(e: Record<string, unknown>): string {
  if (e.active_energy_import === undefined && e.active_energy_export === undefined) {
    return "energy        -  (the meter sends it at the top of each hour)";
  }
  return `energy import ${kwh(e.active_energy_import).padStart(14)}   export ${kwh(e.active_energy_export)}` +
    `   hour ${clock(e.hour_start, 5)}-${clock(e.hour_end, 5)} UTC`;
}

function field(o: Record<string, unknown> | string | undefined, key: string): unknown {
  return typeof o === "object" ? o[key] : undefined;
}

/** One line per insight, once any is known; the net power is the power topic's. */
function insightLines(i: State["insights"], p: Record<string, unknown>): string[] {
  if (Object.keys(i).length === 0) return [];
  const c = i.capacity, v = i.voltage, e = i["voltage/event"], n = i.net, k = i.consistency;
  const f = (o: Record<string, unknown> | string | undefined, key: string, unit: string) =>
    field(o, key) === undefined || field(o, key) === null ? "-" : field(o, key) + unit;
  const event = typeof e === "object" ? `  last: ${e.phase} ${e.worst} V ${clock(e.start, 5)}` : "";
  return [
    `capacity  step ${f(c, "step", "")} (${f(c, "step_from_kw", "")}-${f(c, "step_to_kw", "")} kW) avg ${f(c, "average_kw", "")}` +
      `  hour ${f(c, "hour_kwh", "")} > ${f(c, "projection_kwh", " kWh")}  room ${f(c, "headroom_w", " W")}` +
      (field(c, "alert") === true || i["capacity/alert"] === "ON" ? "  ALERT" : ""),
    `quality   day: ${f(v, "minutes_low", " min")} low, ${f(v, "minutes_high", "")} high, ${f(v, "events", "")} events` +
      `  ${f(v, "min", "")}-${f(v, "max", " V")}${event}`,
    `net       ${f(p, "active_power_net", " W")}  last hour ${f(n, "net_energy", " Wh")}  export hours ${f(n, "export_hours_today", "")}` +
      ` today, ${f(n, "export_hours_month", "")} month`,
    `check     hour ${f(k, "deviation_wh", " Wh")} ${f(k, "deviation_pct", " %")} (bound ${f(k, "bound_wh", " Wh")}),` +
      ` ${f(k, "coverage_pct", " %")} sampled${field(k, "flagged") === true ? " FLAGGED" : ""}; 30 d ${f(k, "deviation_30_pct", " %")}`,
  ];
}

/** The view as plain lines, each at most `width` characters. */
function renderView(base: string, s: State, o?: { header?: string[]; footer?: string; width?: number }): string[] {
  const d = s.diag;
  // The insights take the place of the reactive power, the message counts and half the log: 80x24 still holds it.
  const insights = insightLines(s.insights, s.power);
  const shown = insights.length > 0;
  const lines = (o && o.header ? o.header.concat([""]) : []).concat([
    `han-reader  ${base}  status: ${s.status || "?"}`,
    `meter: ${s.meter.manufacturer ?? "?"} ${s.meter.type ?? ""}  id ${s.meter.id ?? "?"}  (${s.meter.list_version ?? "?"})`,
    "",
    `power import  ${num(s.power.active_power_import, 0, "W").padStart(10)}   export ${num(s.power.active_power_export, 0, "W")}` +
      `   at ${clock(s.power.ts, 8)} UTC`,
    `current       ${phases(s.instant, "current", 2, "A")}`,
    `voltage       ${phases(s.instant, "voltage", 1, "V")}`,
  ], shown ? [] : [`reactive      ${num(s.instant.reactive_power_import, 0, "var").padStart(10)} import  ` +
      `${num(s.instant.reactive_power_export, 0, "var")} export`], [energyLine(s.energy)], insights, [
    "",
    `frames ok ${d.frames_ok ?? "-"}  crc errors ${d.crc_errors ?? "-"}  bytes dropped ${d.bytes_dropped ?? "-"}` +
      `  serial ${d.serial ?? "-"}`,
    `uptime ${d.uptime ?? "-"} s  free ${d.free_memory ?? "-"} vars  rssi ${d.rssi ?? "-"}`,
  ], shown ? [] : [`messages: ${Object.entries(s.counts).map(([k, v]) => `${k} ${v}`).join("  ")}`], [
    "",
  ], s.log.slice(shown ? -LOG_LINES / 2 : -LOG_LINES).map((l) => "log: " + l), o && o.footer ? ["", o.footer] : []);
  const width = (o && o.width) || WIDTH;
  return lines.map((l) => l.length > width ? l.slice(0, width - 3) + "..." : l);
}

/** The insights worked out here, with the schema's defaults and no Storage, from the device's own messages: each
 *  power, instant or energy payload as a reading at the device's time of reception (`ts`). */
function hostInsights(): (kind: string, payload: Record<string, unknown>) => { suffix: string; payload: string }[] {
  const defaults: Record<string, Record<string, unknown>> = {};
  for (const f of SCHEMA) {
    const [group, name] = f.path.split(".");
    if (name !== undefined && f.def !== undefined) (defaults[group] = defaults[group] || {})[name] = f.def;
  }
  const insights: Insights = createInsights(insightOptions(defaults as unknown as Parameters<typeof insightOptions>[0]),
    { readStore: () => undefined, writeStore: () => {} });
  return (kind, payload) => {
    const now = typeof payload.ts === "string" ? Date.parse(payload.ts) : NaN;
    if (isNaN(now)) return [];
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(payload)) if (typeof v === "number" && !k.endsWith("_live")) values[k] = v;
    const reading: Reading = { list: kind === "energy" ? 3 : 2, layout: "", clock: null, values, obis: {},
      meter: { id: null, type: null, list_version: null, manufacturer: null } };
    return insights.onReading(reading, now);
  };
}

export interface LiveView {
  update(topic: string, payload: string): void;
  close(): void;
}

export function createLiveView(base: string, options?: LiveViewOptions): LiveView {
  const o = options || {};
  const out = o.out || process.stdout;
  const s: State = { status: "", meter: {}, power: {}, instant: {}, energy: {}, diag: {}, log: [], counts: {},
    insights: {} };
  let host: ReturnType<typeof hostInsights> | null = hostInsights();
  const insight = (suffix: string, payload: string) => {
    try { s.insights[suffix] = payload.startsWith("{") ? JSON.parse(payload) : payload; } catch { /* shown as "-" */ }
  };
  const tty = out.isTTY === true;
  let dirty = tty;
  const draw = () => {
    if (!dirty) return;
    dirty = false;
    const lines = renderView(base, s, { header: o.header, footer: o.footer, width: out.columns || WIDTH });
    // Bold name, green "online": added after the lines were cut to the width, which counts characters.
    const title = lines.findIndex((l) => l.startsWith("han-reader  "));
    lines[title] = lines[title].replace(/^han-reader/, "\x1b[1mhan-reader\x1b[0m")
      .replace(/status: online$/, "status: \x1b[32monline\x1b[0m");
    out.write("\x1b[H\x1b[2J" + lines.join("\n") + "\n");
  };
  const timer = tty ? setInterval(draw, 250) : null;
  if (tty) draw();
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
        try {
          const parsed = JSON.parse(payload);
          s[kind] = { ...s[kind], ...parsed };
          if (host && kind !== "meter" && kind !== "diag") for (const m of host(kind, parsed)) insight(m.suffix, m.payload);
        } catch { s.log.push(`unparsable ${kind}: ${payload.slice(0, 60)}`); }
      } else if (kind.startsWith("insights/")) {
        // The device publishes them itself: its own figures, kept through its restarts, replace these.
        host = null;
        insight(kind.slice("insights/".length), payload);
      }
      dirty = tty;
    },
    close() {
      if (timer) clearInterval(timer);
      draw();
    },
  };
}
