import * as T from "./etf-tags.ts";
import { inflateExactly } from "./inflate.ts";
import type { JsonValue } from "./json.ts";
import { invalid } from "./refuse.ts";
import { readAtom, readJson, readNumber, TermReader } from "./term-decoder.ts";
import { TermWriter, writeAtom, writeJson, writeNumber } from "./term-encoder.ts";

/** Phoenix's default max_age, in seconds: one day. */
export const DEFAULT_MAX_AGE = 86400;

/** The decrypted plaintext of a Phoenix token. */
export interface Payload {
  data: JsonValue;
  /** Milliseconds since the Unix epoch. */
  signedAtMs: number;
  /** Seconds, or `"infinity"`. */
  maxAge: number | "infinity";
}

/** `:erlang.term_to_binary({data, signed_at_ms, max_age})`. */
export function encodePayload(payload: Payload): Uint8Array<ArrayBuffer> {
  const w = new TermWriter();
  w.u8(T.VERSION);
  w.u8(T.SMALL_TUPLE_EXT);
  w.u8(3);
  writeJson(w, payload.data);
  writeNumber(w, payload.signedAtMs);
  if (payload.maxAge === "infinity") writeAtom(w, "infinity");
  else writeNumber(w, payload.maxAge);
  return w.result();
}

/**
 * Decodes a plaintext in any shape Plug.Crypto accepts: `{data, signed, max_age}`,
 * `{data, signed}` and `%{data: d, signed: ms}` (both with max_age 86400), compressed or not.
 */
export async function decodePayload(plain: Uint8Array): Promise<Payload> {
  const outer = new TermReader(plain);
  if (outer.u8() !== T.VERSION) throw invalid("not an Erlang term");
  let r = outer;
  if (outer.peek() === T.COMPRESSED) {
    outer.u8();
    const size = outer.u32();
    r = new TermReader(await inflateExactly(outer.take(outer.remaining), size));
  }
  const payload = readShape(r);
  r.end();
  return payload;
}

function readShape(r: TermReader): Payload {
  const tag = r.u8();
  if (tag === T.SMALL_TUPLE_EXT || tag === T.LARGE_TUPLE_EXT) {
    const arity = tag === T.SMALL_TUPLE_EXT ? r.u8() : r.u32();
    if (arity !== 2 && arity !== 3) throw invalid("plaintext is a tuple of the wrong size");
    const data = readJson(r);
    const signedAtMs = readSignedAt(r);
    const maxAge = arity === 3 ? readMaxAge(r) : DEFAULT_MAX_AGE;
    return { data, signedAtMs, maxAge };
  }
  if (tag === T.MAP_EXT) {
    if (r.u32() !== 2) throw invalid("plaintext map must hold exactly data and signed");
    let data: JsonValue | undefined;
    let signedAtMs: number | undefined;
    for (let i = 0; i < 2; i++) {
      const key = readAtom(r);
      if (key === "data" && data === undefined) data = readJson(r);
      else if (key === "signed" && signedAtMs === undefined) signedAtMs = readSignedAt(r);
      else throw invalid("plaintext map must hold exactly data and signed");
    }
    return { data: data as JsonValue, signedAtMs: signedAtMs as number, maxAge: DEFAULT_MAX_AGE };
  }
  throw invalid("plaintext has none of Phoenix's shapes");
}

function readSignedAt(r: TermReader): number {
  const v = readNumber(r);
  if (v === undefined) throw invalid("signed_at is not a number");
  return v;
}

function readMaxAge(r: TermReader): number | "infinity" {
  const v = readNumber(r);
  if (v !== undefined) return v;
  if (readAtom(r) === "infinity") return "infinity";
  throw invalid("max_age is neither a number nor :infinity");
}
