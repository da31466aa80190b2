import * as T from "./etf-tags.ts";
import type { JsonValue } from "./json.ts";

const utf8 = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A growable big-endian byte buffer. */
export class TermWriter {
  #bytes = new Uint8Array(256);
  #view = new DataView(this.#bytes.buffer);
  #length = 0;

  // Take the offset before touching #bytes or #view: reserving may replace both.
  #reserve(n: number): number {
    const at = this.#length;
    if (at + n > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, at + n));
      grown.set(this.#bytes.subarray(0, at));
      this.#bytes = grown;
      this.#view = new DataView(grown.buffer);
    }
    this.#length += n;
    return at;
  }

  u8(v: number): void {
    const at = this.#reserve(1);
    this.#bytes[at] = v;
  }

  u16(v: number): void {
    this.#number(2, "setUint16", v);
  }

  u32(v: number): void {
    this.#number(4, "setUint32", v);
  }

  i32(v: number): void {
    this.#number(4, "setInt32", v);
  }

  f64(v: number): void {
    this.#number(8, "setFloat64", v);
  }

  // The one place a number is written: the view is read only after reserving replaced it.
  #number(n: number, set: "setUint16" | "setUint32" | "setInt32" | "setFloat64", v: number): void {
    const at = this.#reserve(n);
    this.#view[set](at, v);
  }

  bytes(b: Uint8Array): void {
    const at = this.#reserve(b.length);
    this.#bytes.set(b, at);
  }

  result(): Uint8Array<ArrayBuffer> {
    return this.#bytes.slice(0, this.#length);
  }
}

/** Writes an atom as `ATOM_EXT`, which every OTP release reads (OTP 25 still writes it). */
export function writeAtom(w: TermWriter, name: "true" | "false" | "nil" | "infinity"): void {
  w.u8(T.ATOM_EXT);
  w.u16(name.length);
  for (let i = 0; i < name.length; i++) w.u8(name.charCodeAt(i));
}

/**
 * Writes a number as `term_to_binary` would: safe integers as SMALL_INTEGER_EXT, INTEGER_EXT or
 * SMALL_BIG_EXT, everything else (fractions, -0, integers too large to be exact) as a float.
 */
export function writeNumber(w: TermWriter, v: number): void {
  if (!Number.isFinite(v)) throw new TypeError(`${v} has no JSON form`);
  if (!Number.isSafeInteger(v) || Object.is(v, -0)) {
    w.u8(T.NEW_FLOAT_EXT);
    w.f64(v);
  } else if (v >= 0 && v <= 255) {
    w.u8(T.SMALL_INTEGER_EXT);
    w.u8(v);
  } else if (v >= -0x80000000 && v <= 0x7fffffff) {
    w.u8(T.INTEGER_EXT);
    w.i32(v);
  } else {
    let magnitude = Math.abs(v);
    const digits: number[] = [];
    while (magnitude > 0) {
      digits.push(magnitude % 256);
      magnitude = Math.floor(magnitude / 256);
    }
    w.u8(T.SMALL_BIG_EXT);
    w.u8(digits.length);
    w.u8(v < 0 ? 1 : 0);
    for (const d of digits) w.u8(d);
  }
}

function writeBinary(w: TermWriter, s: string): void {
  if (LONE_SURROGATE.test(s)) throw new TypeError("string holds a lone surrogate: not UTF-8");
  const bytes = utf8.encode(s);
  w.u8(T.BINARY_EXT);
  w.u32(bytes.length);
  w.bytes(bytes);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Writes a JSON value in Elixir's shape: strings as binaries, arrays as lists (a list of bytes as
 * STRING_EXT, as Erlang does), objects as maps with binary keys (in Erlang's order for binaries),
 * `true`/`false`/`null` as the atoms `true`/`false`/`nil`. A value without a JSON form is the
 * caller's mistake: `TypeError`. Properties whose value is `undefined` are skipped, as
 * `JSON.stringify` does.
 */
export function writeJson(w: TermWriter, value: JsonValue, depth = 0): void {
  if (value === null) {
    writeAtom(w, "nil");
  } else if (typeof value === "boolean") {
    writeAtom(w, value ? "true" : "false");
  } else if (typeof value === "number") {
    writeNumber(w, value);
  } else if (typeof value === "string") {
    writeBinary(w, value);
  } else if (typeof value === "object") {
    writeContainer(w, value, depth);
  } else {
    throw new TypeError(`a ${typeof value} has no JSON form`);
  }
}

function writeContainer(
  w: TermWriter,
  value: JsonValue[] | { [key: string]: JsonValue },
  depth: number,
): void {
  if (depth >= T.MAX_DEPTH) throw new TypeError(`value nested deeper than ${T.MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    if (value.length === 0) {
      w.u8(T.NIL_EXT);
      return;
    }
    if (value.length <= 0xffff && value.every(isByte)) {
      w.u8(T.STRING_EXT);
      w.u16(value.length);
      for (const b of value as number[]) w.u8(b);
      return;
    }
    w.u8(T.LIST_EXT);
    w.u32(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item === undefined) throw new TypeError("array holds undefined: no JSON form");
      writeJson(w, item, depth + 1);
    }
    w.u8(T.NIL_EXT);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError("only plain objects have a JSON form here");
  }
  const entries = Object.entries(value)
    .filter((entry): entry is [string, JsonValue] => entry[1] !== undefined)
    .map(([key, item]) => {
      if (LONE_SURROGATE.test(key)) throw new TypeError("key holds a lone surrogate: not UTF-8");
      return { key: utf8.encode(key), item };
    })
    .sort((a, b) => compareBytes(a.key, b.key));
  w.u8(T.MAP_EXT);
  w.u32(entries.length);
  for (const { key, item } of entries) {
    w.u8(T.BINARY_EXT);
    w.u32(key.length);
    w.bytes(key);
    writeJson(w, item, depth + 1);
  }
}

function isByte(v: unknown): boolean {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 255 && !Object.is(v, -0);
}
