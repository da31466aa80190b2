import { TokenError } from "./errors.ts";
import { readTimes, TIMES_BYTES } from "./format.ts";
import type { Keyring } from "./keyring.ts";

/** Default maximum length of a token, in characters. */
export const DEFAULT_MAX_LENGTH = 4096;
/** How far in the future (ms) a token's issued-at may be and still open: clocks differ. */
export const CLOCK_SKEW_MS = 30_000;

/** Anything with a `parse` that returns the value or throws, e.g. a zod schema. */
export interface Schema<T> {
  parse(input: unknown): T;
}

export interface SealOptions {
  /** What the token is for (e.g. `"launch"`). A token opens only for the same purpose. */
  purpose: string;
  /** Lifetime in seconds from `now`. */
  maxAge: number;
  /** The time of issue, epoch milliseconds. Defaults to `Date.now()`. */
  now?: number;
  /**
   * The longest token (characters) that may be produced; sealing a larger value throws a
   * `TypeError` rather than make a token that `unseal` would refuse. Default 4,096.
   */
  maxLength?: number;
}

export interface UnsealOptions {
  /** Must equal the purpose the token was sealed with, else the token is `invalid`. */
  purpose: string;
  /** A stricter lifetime in seconds: refuse as `expired` a token issued longer ago. */
  maxAge?: number;
  /** The current time, epoch milliseconds. Defaults to `Date.now()`. */
  now?: number;
  /** Longest token accepted, in characters; longer is `too_large`. Default 4,096. */
  maxLength?: number;
}

export interface ValidSealOptions {
  purpose: string;
  issuedAt: number;
  expiresAt: number;
  maxLength: number;
}

export interface ValidUnsealOptions {
  purpose: string;
  maxAgeMs: number | undefined;
  now: number;
  maxLength: number;
  schema: Schema<unknown> | undefined;
}

export function sealOptions(options: SealOptions): ValidSealOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("seal: options `{ purpose, maxAge }` are required");
  }
  const purpose = checkPurpose(options.purpose, "seal");
  if (
    typeof options.maxAge !== "number" ||
    !(options.maxAge > 0) ||
    !Number.isFinite(options.maxAge)
  ) {
    throw new TypeError("seal: `maxAge` must be a positive number of seconds");
  }
  const issuedAt = checkNow(options.now, "seal");
  const expiresAt = issuedAt + Math.ceil(options.maxAge * 1000);
  if (!Number.isSafeInteger(expiresAt)) throw new TypeError("seal: `maxAge` is too large");
  return { purpose, issuedAt, expiresAt, maxLength: checkMaxLength(options.maxLength, "seal") };
}

export function unsealOptions(options: UnsealOptions & { schema?: unknown }): ValidUnsealOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("unseal: options `{ purpose }` are required");
  }
  const purpose = checkPurpose(options.purpose, "unseal");
  let maxAgeMs: number | undefined;
  if (options.maxAge !== undefined) {
    if (typeof options.maxAge !== "number" || !(options.maxAge > 0)) {
      throw new TypeError("unseal: `maxAge` must be a positive number of seconds");
    }
    maxAgeMs = options.maxAge * 1000;
  }
  const schema = options.schema;
  if (
    schema !== undefined &&
    (typeof schema !== "object" ||
      schema === null ||
      typeof (schema as Schema<unknown>).parse !== "function")
  ) {
    throw new TypeError("unseal: `schema` must have a parse() method");
  }
  return {
    purpose,
    maxAgeMs,
    now: checkNow(options.now, "unseal"),
    maxLength: checkMaxLength(options.maxLength, "unseal"),
    schema: schema as Schema<unknown> | undefined,
  };
}

function checkPurpose(purpose: unknown, fn: string): string {
  if (typeof purpose !== "string" || purpose === "") {
    throw new TypeError(`${fn}: \`purpose\` must be a non-empty string`);
  }
  return purpose;
}

function checkNow(now: unknown, fn: string): number {
  if (now === undefined) return Date.now();
  if (typeof now !== "number" || !Number.isFinite(now) || now < 0) {
    throw new TypeError(`${fn}: \`now\` must be epoch milliseconds`);
  }
  return Math.floor(now);
}

function checkMaxLength(maxLength: unknown, fn: string): number {
  if (maxLength === undefined) return DEFAULT_MAX_LENGTH;
  if (typeof maxLength !== "number" || !Number.isSafeInteger(maxLength) || maxLength <= 0) {
    throw new TypeError(`${fn}: \`maxLength\` must be a positive integer`);
  }
  return maxLength;
}

/** The value as JSON text; a value JSON cannot represent is the caller's mistake. */
export function toJson(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    throw new TypeError("seal: value is not JSON-serialisable", { cause });
  }
  if (json === undefined) throw new TypeError("seal: value is not JSON-serialisable");
  return json;
}

/**
 * The checks on the outside of a token, before any decoding: present, a string, not too long.
 */
export function checkToken(token: unknown, maxLength: number): asserts token is string {
  if (token === undefined || token === null || token === "") throw new TokenError("missing");
  if (typeof token !== "string") throw new TokenError("malformed", "token is not a string");
  if (token.length > maxLength) throw new TokenError("too_large");
}

// Fatal on both paths, so that both refuse the same (key-holder-made) bad UTF-8.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** The authenticated plaintext (times, then JSON) to the value, checked. */
export function openPlaintext(plaintext: Uint8Array, options: ValidUnsealOptions): unknown {
  const [issuedAt, expiresAt] = readTimes(plaintext);
  return openValue(
    issuedAt,
    expiresAt,
    () => utf8Decoder.decode(plaintext.subarray(TIMES_BYTES)),
    options,
  );
}

/** The checks on the inside, once the plaintext is authenticated. Returns the value. */
function openValue(
  issuedAt: number,
  expiresAt: number,
  json: () => string,
  options: ValidUnsealOptions,
): unknown {
  const { now, maxAgeMs, schema } = options;
  if (issuedAt > now + CLOCK_SKEW_MS) throw new TokenError("not_yet_valid");
  if (now >= expiresAt || (maxAgeMs !== undefined && now >= issuedAt + maxAgeMs)) {
    throw new TokenError("expired");
  }
  let value: unknown;
  try {
    value = JSON.parse(json());
  } catch {
    // Authentic but not JSON: only a holder of the key could have made it. Refuse all the same.
    throw new TokenError("invalid", "token payload is not JSON");
  }
  if (schema === undefined) return value;
  try {
    return schema.parse(value);
  } catch (cause) {
    throw new TokenError("invalid", "token value does not match the schema", { cause });
  }
}

/** The signature of `seal`, shared by both crypto paths. */
export type Seal = (keyring: Keyring, value: unknown, options: SealOptions) => Promise<string>;
