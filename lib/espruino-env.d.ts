// The type check of lib/ and firmware/ runs against the ES5 library so that APIs Espruino lacks (Map, Set,
// Array.from, Number.isFinite, ...) are compile errors. These are the later additions Espruino does have
// (../shared/docs/espruino.md, A2), declared here so that code may use them.

interface String {
  padStart(maxLength: number, fillString?: string): string;
  padEnd(maxLength: number, fillString?: string): string;
  startsWith(searchString: string, position?: number): boolean;
  endsWith(searchString: string, endPosition?: number): boolean;
  includes(searchString: string, position?: number): boolean;
  repeat(count: number): string;
}

interface Array<T> {
  includes(searchElement: T, fromIndex?: number): boolean;
  find(predicate: (value: T, index: number) => boolean): T | undefined;
  findIndex(predicate: (value: T, index: number) => boolean): number;
  fill(value: T, start?: number, end?: number): this;
}

interface ObjectConstructor {
  assign<T extends object, U>(target: T, source: U): T & U;
  values<T>(o: { [key: string]: T }): T[];
}

interface Math {
  sign(x: number): number;
}

/** Base64 to a binary string; Espruino and Node both have it. */
declare function atob(data: string): string;
