// The three conversions of Espruino's `E` object that firmware code uses to move between the binary strings the
// UART delivers and typed arrays. They follow the documented behaviour of Espruino's jswrap_espruino.c and build
// their results with the constructors of the context they serve, so `instanceof Uint8Array` holds there.

type Realm = { Uint8Array: Uint8ArrayConstructor; ArrayBuffer: ArrayBufferConstructor };

interface Repeated { data: unknown; count: number }
interface Deferred { callback: () => unknown }

function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === "[object ArrayBuffer]";
}

/** Espruino's argument walk for toUint8Array/toString: numbers give their low 8 bits, strings their char codes,
 *  arrays and typed arrays each element, `{data, count}` repeats, `{callback}` walks the callback's result. */
function forEachByte(value: unknown, emit: (byte: number) => void): void {
  if (typeof value === "string") {
    for (let i = 0; i < value.length; i++) emit(value.charCodeAt(i) & 0xff);
  } else if (Array.isArray(value)) {
    for (const item of value) forEachByte(item, emit);
  } else if (isArrayBuffer(value)) {
    forEachByte(new Uint8Array(value), emit);
  } else if (ArrayBuffer.isView(value)) {
    const view = value as unknown as ArrayLike<number>;
    if (typeof view.length === "number") {
      for (let i = 0; i < view.length; i++) emit(Number(view[i]) & 0xff);
    } else {
      forEachByte(new Uint8Array(value.buffer, value.byteOffset, value.byteLength), emit);
    }
  } else if (value !== null && typeof value === "object" && "count" in value && "data" in value) {
    const repeated = value as Repeated;
    for (let i = 0; i < repeated.count; i++) forEachByte(repeated.data, emit);
  } else if (value !== null && typeof value === "object" && "callback" in value) {
    forEachByte((value as Deferred).callback(), emit);
  } else {
    emit(Number(value) & 0xff);
  }
}

function collectBytes(args: unknown[]): number[] {
  const bytes: number[] = [];
  for (const arg of args) forEachByte(arg, function (byte) { bytes.push(byte); });
  return bytes;
}

export function makeEspruinoE(realm: Realm) {
  return {
    toUint8Array(...args: unknown[]): Uint8Array {
      const bytes = collectBytes(args);
      const out = new realm.Uint8Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) out[i] = bytes[i];
      return out;
    },
    toString(...args: unknown[]): string {
      const bytes = collectBytes(args);
      let out = "";
      for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]);
      return out;
    },
    /** Espruino returns undefined for anything but a string. */
    toArrayBuffer(str: unknown): ArrayBuffer | undefined {
      if (typeof str !== "string") return undefined;
      const buffer = new realm.ArrayBuffer(str.length);
      const view = new realm.Uint8Array(buffer);
      for (let i = 0; i < str.length; i++) view[i] = str.charCodeAt(i) & 0xff;
      return buffer;
    },
  };
}
