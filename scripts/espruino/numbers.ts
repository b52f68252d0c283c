// Espruino's number-to-text and JSON.stringify, as the interpreter (2v29) does them, for the Espruino-shaped
// context (./context.ts) and so for the emulator: what a test reads from them is what the device would send.
// The rules, from src/jsutils.c (ftoa_bounded_extra) and src/jswrap_json.c, checked against the real interpreter
// by test/espruino-numbers.test.ts:
// - numbers: digits by repeated division (no shortest round-trip), at most 11 decimals, a remainder below 1e-7
//   ends them, values within 1e-7 below an integer become it, exponents only from 1e21 ("10e+20") and below 1e-6;
//   toFixed rounds only its last digit and never carries into the digits before it ((0.96).toFixed(1) is "0.9");
// - JSON.stringify: the replacer is ignored, NaN and Infinity are null, undefined is null in arrays and at the top
//   and left out of objects, functions and accessor properties are left out of objects, typed arrays are arrays,
//   strings escape \b \t \n \f \r \" \\ and every other character below 32 or above 126 as \u00XX in upper case.

/** Espruino's number buffer (JS_NUMBER_BUFFER_SIZE): the text stops where it is full. */
const BUFFER = 70;

function digit(v: number): string {
  return v < 10 ? String.fromCharCode(48 + v) : String.fromCharCode(97 + v - 10);
}

/** C's (int) cast of a double, or null where the value does not fit a 32-bit int. */
function toInt32(x: number): number | null {
  return x >= 2147483648 || x <= -2147483649 ? null : Math.trunc(x);
}

/** ftoa_bounded_extra in base 10: `fractionalDigits` -1 for plain number text, n >= 0 for toFixed(n). */
function ftoa(value: number, fractionalDigits: number): string {
  if (isNaN(value)) return "NaN";
  if (!isFinite(value)) return value < 0 ? "-Infinity" : "Infinity";
  let len = BUFFER;
  let out = "";
  let val = value;
  if (val < 0) {
    if (--len <= 0) return out;
    out += "-";
    val = -val;
  }
  let exponent = 0;
  if (val > 0 && fractionalDigits < 0) {
    if (val >= 1e21) {
      while (val > 100000) { val /= 100000; exponent += 5; }
      while (val > 10) { val /= 10; exponent++; }
    } else if (val < 1e-6) {
      while (val < 1e-5) { val *= 100000; exponent -= 5; }
      while (val < 1) { val *= 10; exponent--; }
    }
  }
  const whole = toInt32(val);
  const nudged = toInt32(val + 0.0000001);
  if (whole !== null && nudged !== null && nudged === whole + 1) val = whole + 1;
  let d = 1;
  while (d * 10 <= val) d *= 10;
  while (d >= 1) {
    const v = Math.trunc(val / d);
    val -= v * d;
    if (--len <= 0) return out;
    out += digit(v);
    d /= 10;
  }
  if (fractionalDigits < 0 && val > 0 || fractionalDigits > 0) {
    let point = false;
    val *= 10;
    while (fractionalDigits < 0 && fractionalDigits > -12 && val > 0.0000001 || fractionalDigits > 0) {
      let v = Math.trunc(val + (fractionalDigits === 1 ? 0.5 : 0.00000001));
      val = (val - v) * 10;
      if (v === 10) v = 9;
      if (!point) {
        point = true;
        if (--len <= 0) return out;
        out += ".";
      }
      if (--len <= 0) return out;
      out += digit(v);
      fractionalDigits--;
    }
  }
  if (exponent && len > 5) out += "e" + (exponent > 0 ? "+" : "") + exponent;
  return out;
}

/** A number as Espruino prints it: String(n), n + "", and inside JSON. Integers that fit 32 bits are kept as
 *  integers by Espruino and print exactly; the rest goes through the float printer. */
export function espruinoNumberText(n: number): string {
  return n === Math.trunc(n) && n >= -2147483648 && n <= 2147483647 ? "" + (n === 0 ? 0 : n) : ftoa(n, -1);
}

/** Number.prototype.toFixed as Espruino has it: 0 to 20 decimals. */
export function espruinoToFixed(n: number, decimals: unknown): string {
  const d = Math.trunc(Number(decimals)) || 0;
  return ftoa(n, Math.max(0, Math.min(20, d)));
}

function hex(c: number, digits: number): string {
  let out = c.toString(16).toUpperCase();
  while (out.length < digits) out = "0" + out;
  return out;
}

const ESCAPES: { [c: number]: string } = { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r", 34: "\\\"", 92: "\\\\" };

/** A string in JSON, escaped as Espruino escapes it. Characters above 255 cannot exist on the ESP32; should a
 *  test's string hold one, it is written as Espruino's escaper would write it. */
export function espruinoQuote(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (ESCAPES[c] !== undefined) out += ESCAPES[c];
    else if (c < 32 || c > 126) out += "\\u" + hex(c, 4);
    else out += s.charAt(i);
  }
  return out + "\"";
}

function isTypedArray(v: object): v is ArrayLike<number> {
  return ArrayBuffer.isView(v) && !(Object.prototype.toString.call(v) === "[object DataView]");
}

function isArrayBuffer(v: object): v is ArrayBuffer {
  return Object.prototype.toString.call(v) === "[object ArrayBuffer]";
}

function json(value: unknown, key: string, open: object[], allowToJson: boolean): string {
  if (value === undefined) return "null";
  if (value === null) return "null";
  if (typeof value === "function") return "undefined";
  if (typeof value === "string") return espruinoQuote(value);
  if (typeof value === "number") return isFinite(value) ? espruinoNumberText(value) : "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value !== "object") return "undefined";
  // Espruino marks an object while it prints it, and prints " ... " where it meets it again.
  if (open.indexOf(value) >= 0) return " ... ";
  open.push(value);
  try {
    if (isArrayBuffer(value)) return json(new Uint8Array(value), key, open, true);
    if (isTypedArray(value)) {
      const parts: string[] = [];
      for (let i = 0; i < value.length; i++) parts.push(json(Number(value[i]), "" + i, open, true));
      return "[" + parts.join(",") + "]";
    }
    if (Array.isArray(value)) {
      const parts: string[] = [];
      for (let i = 0; i < value.length; i++) parts.push(json(value[i], "" + i, open, true));
      return "[" + parts.join(",") + "]";
    }
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (allowToJson && typeof toJSON === "function") {
      open.pop();
      // Espruino calls toJSON once, and prints what it returns without looking for another.
      return json(toJSON.call(value, key), key, open, false);
    }
    const parts: string[] = [];
    for (const name of Object.keys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, name) as PropertyDescriptor;
      if (descriptor.get || descriptor.set) continue;
      const item = descriptor.value;
      if (item === undefined || typeof item === "function") continue;
      parts.push(espruinoQuote(name) + ":" + json(item, name, open, true));
    }
    return "{" + parts.join(",") + "}";
  } finally {
    if (open[open.length - 1] === value) open.pop();
  }
}

/** JSON.stringify as Espruino has it. Espruino's indented layout is its own; indentation is not emulated, and
 *  asking for it is an error rather than a silent difference. */
export function espruinoStringify(value: unknown, _replacer?: unknown, space?: unknown): string {
  if (space !== undefined && space !== null && space !== 0 && space !== "") {
    throw new Error("JSON.stringify(value, replacer, space): Espruino's indented layout is not emulated");
  }
  return json(value, "", [], true);
}
