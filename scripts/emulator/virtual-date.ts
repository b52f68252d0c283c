// Date inside the context reads the emulated wall clock: Date.now(), new Date() and Date() give virtual time,
// while every other use (new Date(ms), Date.parse, the prototype methods) is the engine's own Date. The stand-in
// is compiled inside the context, so `new Date() instanceof Date` holds there; Reflect.construct comes from
// Node's realm because the context has no Reflect. The device's time zone is UTC (Espruino's E.setTimeZone
// defaults to 0), so the local-time methods are the UTC ones, whatever zone the host is in.
import vm from "node:vm";

const INSTALL = `(function (construct, wallNow, utc) {
  var Original = Date;
  var Virtual = function Date(a, b, c, d, e, f, g) {
    if (!new.target) return new Original(wallNow()).toString();
    return construct(Original, arguments.length === 0 ? [wallNow()] : arguments, new.target);
  };
  Object.getOwnPropertyNames(Original).forEach(function (key) {
    if (key !== "prototype" && key !== "length" && key !== "name") {
      Object.defineProperty(Virtual, key, Object.getOwnPropertyDescriptor(Original, key));
    }
  });
  Virtual.now = function now() { return wallNow(); };
  Virtual.prototype = Original.prototype;
  Object.defineProperty(Original.prototype, "constructor", { value: Virtual, writable: true, configurable: true });
  globalThis.Date = Virtual;
  var proto = Original.prototype;
  ["FullYear", "Month", "Date", "Day", "Hours", "Minutes", "Seconds", "Milliseconds"].forEach(function (part) {
    var get = utc["getUTC" + part], set = utc["setUTC" + part];
    proto["get" + part] = function () { return get.call(this); };
    if (set) proto["set" + part] = function () { return set.apply(this, arguments); };
  });
  proto.getTimezoneOffset = function () { return 0; };
})`;

/** Replaces the context's Date; `wallNow` gives the device's wall time in ms since 1970. */
export function installVirtualDate(context: vm.Context, wallNow: () => number): void {
  const install = vm.runInContext(INSTALL, context) as (construct: typeof Reflect.construct, now: () => number,
    utc: Date) => void;
  // Node's own methods: the context has lost setUTCHours, as Espruino lacks it.
  install(Reflect.construct, wallNow, Date.prototype);
}
