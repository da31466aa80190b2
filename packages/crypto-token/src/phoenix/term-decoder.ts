import * as T from "./etf-tags.ts";
import type { JsonValue } from "./json.ts";
import { invalid } from "./refuse.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A cursor over untrusted bytes: every length is checked against what is left before use. */
export class TermReader {
  #pos = 0;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.#bytes.length - this.#pos;
  }

  need(n: number): void {
    if (n > this.remaining) throw invalid("term truncated");
  }

  /** Checks that `n` bytes are left, moves past them and returns where they start. */
  #advance(n: number): number {
    this.need(n);
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  u8(): number {
    return this.#bytes[this.#advance(1)] as number;
  }

  peek(): number {
    this.need(1);
    return this.#bytes[this.#pos] as number;
  }

  u16(): number {
    return this.#view.getUint16(this.#advance(2));
  }

  u32(): number {
    return this.#view.getUint32(this.#advance(4));
  }

  i32(): number {
    return this.#view.getInt32(this.#advance(4));
  }

  f64(): number {
    return this.#view.getFloat64(this.#advance(8));
  }

  take(n: number): Uint8Array {
    const at = this.#advance(n);
    return this.#bytes.subarray(at, at + n);
  }

  end(): void {
    if (this.remaining !== 0) throw invalid("trailing bytes after the term");
  }
}

/** The four atom tags: how many bytes give the name's length, and whether the name is UTF-8. */
const ATOM_FORMS = new Map<number, { lengthBytes: 1 | 2; isUtf8: boolean }>([
  [T.ATOM_EXT, { lengthBytes: 2, isUtf8: false }],
  [T.SMALL_ATOM_EXT, { lengthBytes: 1, isUtf8: false }],
  [T.ATOM_UTF8_EXT, { lengthBytes: 2, isUtf8: true }],
  [T.SMALL_ATOM_UTF8_EXT, { lengthBytes: 1, isUtf8: true }],
]);

/** Reads the atom at the cursor and returns its name, or `undefined` (cursor unmoved) if none. */
export function readAtom(r: TermReader): string | undefined {
  const form = ATOM_FORMS.get(r.peek());
  if (form === undefined) return undefined;
  r.u8();
  const bytes = r.take(form.lengthBytes === 2 ? r.u16() : r.u8());
  const { isUtf8 } = form;
  // Erlang caps atoms at 255 characters; a longer one is not a term it wrote.
  if (bytes.length > (isUtf8 ? 1020 : 255)) throw invalid("atom too long");
  return isUtf8 ? decodeUtf8(bytes, "atom") : decodeLatin1(bytes);
}

// Not TextDecoder("latin1"): the Encoding Standard maps that label to windows-1252.
function decodeLatin1(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

/**
 * Reads an integer or a float. Integers beyond ±(2^53 − 1) are refused: a JavaScript number
 * would silently round them, and a value that changes on the way is worse than a refusal.
 */
export function readNumber(r: TermReader): number | undefined {
  switch (r.peek()) {
    case T.SMALL_INTEGER_EXT:
      r.u8();
      return r.u8();
    case T.INTEGER_EXT:
      r.u8();
      return r.i32();
    case T.SMALL_BIG_EXT: {
      r.u8();
      const n = r.u8();
      return readBig(r, n);
    }
    case T.LARGE_BIG_EXT: {
      r.u8();
      const n = r.u32();
      r.need(n + 1);
      return readBig(r, n);
    }
    case T.NEW_FLOAT_EXT: {
      r.u8();
      const v = r.f64();
      // Erlang has no NaN or infinities; such bytes are not a term it wrote.
      if (!Number.isFinite(v)) throw invalid("float is not finite");
      return v;
    }
    default:
      return undefined;
  }
}

function readBig(r: TermReader, n: number): number {
  const sign = r.u8();
  const digits = r.take(n);
  let top = n;
  while (top > 0 && digits[top - 1] === 0) top--;
  if (top > 7) throw invalid("integer outside the safe range");
  let v = 0;
  for (let i = top - 1; i >= 0; i--) v = v * 256 + (digits[i] as number);
  if (v > Number.MAX_SAFE_INTEGER) throw invalid("integer outside the safe range");
  // erts reads any non-zero sign byte as negative; so do we. `0 - 0` keeps zero positive.
  return sign === 0 ? v : 0 - v;
}

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw invalid(`${what} is not UTF-8`);
  }
}

type Frame =
  | { kind: "list"; items: JsonValue[]; left: number }
  | { kind: "map"; object: { [key: string]: JsonValue }; left: number; key: string | undefined };

const NONE = Symbol("none");

/**
 * Decodes one term at the cursor into its JSON form, iteratively and to at most `MAX_DEPTH`
 * levels. Whatever has no JSON form is refused with `invalid`: tuples, atoms other than
 * `true`/`false`/`nil`, improper lists, non-UTF-8 binaries, maps with keys that are not
 * binaries, and every other tag (pids, ports, references, funs, bit-binaries...).
 */
export function readJson(r: TermReader): JsonValue {
  const stack: Frame[] = [];
  for (;;) {
    let value: JsonValue | typeof NONE = readOne(r, stack);
    // Hand a finished value to the container that waits for it, closing containers as they fill.
    while (value !== NONE) {
      const frame = stack[stack.length - 1];
      if (frame === undefined) return value;
      if (frame.kind === "list") {
        frame.items.push(value);
        value = --frame.left === 0 ? closeList(r, stack) : NONE;
      } else if (frame.key === undefined) {
        if (typeof value !== "string") throw invalid("map key is not a binary");
        if (Object.hasOwn(frame.object, value)) throw invalid("duplicate map key");
        frame.key = value;
        value = NONE;
      } else {
        Object.defineProperty(frame.object, frame.key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        frame.key = undefined;
        value = --frame.left === 0 ? (stack.pop() as Frame & { kind: "map" }).object : NONE;
      }
    }
  }
}

function closeList(r: TermReader, stack: Frame[]): JsonValue[] {
  if (r.u8() !== T.NIL_EXT) throw invalid("improper list");
  return (stack.pop() as Frame & { kind: "list" }).items;
}

function push(stack: Frame[], frame: Frame): void {
  if (stack.length >= T.MAX_DEPTH) throw invalid("term nested too deeply");
  stack.push(frame);
}

/** Reads a scalar, or opens a container (returning NONE) that later values will fill. */
function readOne(r: TermReader, stack: Frame[]): JsonValue | typeof NONE {
  const number = readNumber(r);
  if (number !== undefined) return number;
  const atom = readAtom(r);
  if (atom !== undefined) {
    if (atom === "true") return true;
    if (atom === "false") return false;
    if (atom === "nil") return null;
    // The atom's name stays out of the message: it is part of the decrypted payload.
    throw invalid("an atom other than true, false or nil has no JSON form");
  }
  const tag = r.u8();
  switch (tag) {
    case T.BINARY_EXT:
      return decodeUtf8(r.take(r.u32()), "binary");
    case T.NIL_EXT:
      return [];
    case T.STRING_EXT:
      return Array.from(r.take(r.u16()));
    case T.LIST_EXT: {
      const n = r.u32();
      // Each element takes at least one byte, and the tail one more.
      r.need(n + 1);
      push(stack, { kind: "list", items: [], left: n });
      return n === 0 ? closeList(r, stack) : NONE;
    }
    case T.MAP_EXT: {
      const n = r.u32();
      r.need(2 * n);
      if (n === 0) return {};
      push(stack, { kind: "map", object: {}, left: n, key: undefined });
      return NONE;
    }
    default:
      throw invalid(`term tag ${tag} has no JSON form`);
  }
}
