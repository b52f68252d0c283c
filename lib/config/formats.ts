// The text formats of configuration values, checked by code rather than regular expressions: Espruino's regex
// engine has no `?`, no quantified groups and no `/` inside a class (scripts/espruino/regex-support.js), and the
// same checks must hold on the device at boot and in the host tools.

export interface BrokerAddress {
  tls: boolean;
  host: string;
  port: number;
}

function isNameChar(c: number): boolean {
  return c >= 48 && c <= 57 || c >= 65 && c <= 90 || c >= 97 && c <= 122 || c === 95 || c === 45;
}

/** Space and control characters. */
function isBlank(c: number): boolean {
  return c <= 32 || c === 127;
}

/** Letters, digits, _ and -; at least one. */
export function isName(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (!isNameChar(text.charCodeAt(i))) return false;
  return true;
}

/** A topic to publish under: no wildcards, spaces or control characters, and no trailing /. */
export function isBaseTopic(text: string): boolean {
  if (text.length === 0 || text.charAt(text.length - 1) === "/") return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isBlank(c) || c === 35 || c === 43) return false;
  }
  return true;
}

function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** mqtt://host[:port][/] or mqtts://host[:port][/]; null for anything else. */
export function parseBrokerUrl(url: string): BrokerAddress | null {
  const tls = url.indexOf("mqtts://") === 0;
  if (!tls && url.indexOf("mqtt://") !== 0) return null;
  let rest = url.substr(tls ? 8 : 7);
  if (rest.charAt(rest.length - 1) === "/") rest = rest.substr(0, rest.length - 1);
  const colon = rest.indexOf(":");
  const host = colon >= 0 ? rest.substr(0, colon) : rest;
  if (host.length === 0) return null;
  // No @ either: user information belongs in mqtt.username and mqtt.password, where it is kept secret.
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (isBlank(c) || c === 47 || c === 64) return null;
  }
  if (colon < 0) return { tls, host, port: tls ? 8883 : 1883 };
  const portText = rest.substr(colon + 1);
  const port = isDigits(portText) ? parseInt(portText, 10) : 0;
  return port >= 1 && port <= 65535 ? { tls, host, port } : null;
}

/**
 * `text` with what stands between "//" (or its start, when it has none) and its last "@" replaced by ***: a URL's
 * user information may hold a password, typed with or without the scheme. Text without "@" is returned as it is.
 */
export function maskUrl(text: string): string {
  const at = text.lastIndexOf("@");
  if (at < 0) return text;
  // split, not indexOf: Espruino 2v29's String indexOf also "finds" a needle whose start ends the text.
  const scheme = text.split("//")[0].length;
  const from = scheme < at ? scheme + 2 : 0;
  return text.substr(0, from) + "***" + text.substr(at);
}

const BEGIN = "-----BEGIN CERTIFICATE-----";
const END = "-----END CERTIFICATE-----";

function isBase64Char(c: number): boolean {
  return c >= 65 && c <= 90 || c >= 97 && c <= 122 || c >= 48 && c <= 57 || c === 43 || c === 47;
}

/** The base64 text of a PEM body without its line breaks; null when anything else is in it. */
function base64Body(body: string): string | null {
  let out = "";
  let padding = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (isBlank(c)) continue;
    if (c === 61) padding++;
    else if (padding > 0 || !isBase64Char(c)) return null;
    out += body.charAt(i);
  }
  return out.length > 0 && out.length % 4 === 0 && padding <= 2 ? out : null;
}

/** True when `der` is one whole DER SEQUENCE (what an X.509 certificate is), judged by its header alone. */
function isDerSequence(der: string): boolean {
  if (der.length < 2 || der.charCodeAt(0) !== 0x30) return false;
  const first = der.charCodeAt(1);
  if (first < 0x80) return der.length === 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 3 || der.length < 2 + n) return false;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + der.charCodeAt(2 + i);
  return der.length === 2 + n + length;
}

/**
 * PEM certificates as the DER bytes Espruino's tls.connect takes for `ca` (a binary string; several
 * certificates one after the other, as mbedtls_x509_crt_parse reads a DER chain). Null when the text holds no
 * certificate, or a block that is not one. Text outside the BEGIN/END lines is ignored, as in any PEM file.
 */
export function certificatesDer(pem: string): string | null {
  let der = "";
  let at = pem.indexOf(BEGIN);
  if (at < 0) return null;
  while (at >= 0) {
    const end = pem.indexOf(END, at);
    if (end < 0) return null;
    const body = base64Body(pem.substring(at + BEGIN.length, end));
    if (body === null) return null;
    const one = atob(body);
    if (!isDerSequence(one)) return null;
    der += one;
    at = pem.indexOf(BEGIN, end);
  }
  return der;
}
