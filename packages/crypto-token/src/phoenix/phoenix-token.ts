import { TokenError } from "../errors.ts";
import { deriveKey } from "./derive-key.ts";
import type { JsonValue } from "./json.ts";
import { LEGACY_PREFIX, openLegacy } from "./legacy-format.ts";
import { DEFAULT_MAX_AGE, decodePayload, encodePayload } from "./payload.ts";
import { invalid } from "./refuse.ts";
import { openXcp, sealXcp, XCP_PREFIX } from "./xchacha-format.ts";

/** Options of {@link encrypt}, as in `Phoenix.Token.encrypt/4`. */
export interface EncryptOptions {
  /** Seconds the token stays valid, embedded in it; `"infinity"` for ever. Default 86400. */
  maxAge?: number | "infinity";
  /** When the token was signed, in seconds since the epoch (fractions allowed). Default: now. */
  signedAt?: number;
}

/** Options of {@link decrypt}, as in `Phoenix.Token.decrypt/4`. */
export interface DecryptOptions {
  /**
   * Seconds a token stays valid, overriding the max_age embedded in it (larger or smaller);
   * `"infinity"` skips every time check. Default: the embedded max_age.
   */
  maxAge?: number | "infinity";
  /** The clock, in milliseconds since the epoch. Default: `Date.now()`. */
  now?: number;
  /**
   * Longest token accepted, in characters; a longer one is refused as `too_large` before any
   * decoding, key derivation or inflating (Phoenix has no limit; a server facing the Internet
   * needs one). Default 65,536.
   */
  maxLength?: number;
}

/** The default `maxLength` of {@link decrypt}: far above any session a Phoenix app seals. */
export const DEFAULT_PHOENIX_MAX_LENGTH = 65_536;

const utf8 = new TextEncoder();

function checkKeyMaterial(secretKeyBase: unknown, salt: unknown): void {
  if (typeof secretKeyBase !== "string") throw new TypeError("secretKeyBase must be a string");
  // Phoenix raises for a key base shorter than 20 bytes.
  if (utf8.encode(secretKeyBase).length < 20) {
    throw new TypeError("secretKeyBase must be at least 20 bytes long");
  }
  if (typeof salt !== "string") throw new TypeError("salt must be a string");
}

function checkMaxAge(maxAge: unknown): asserts maxAge is number | "infinity" | undefined {
  if (maxAge === undefined || maxAge === "infinity") return;
  if (typeof maxAge !== "number" || !Number.isFinite(maxAge)) {
    throw new TypeError('maxAge must be a finite number of seconds or "infinity"');
  }
}

/**
 * Encrypts `data` as `Phoenix.Token.encrypt/4` does: a `XCP.` token (XChaCha20-Poly1305) that
 * `Phoenix.Token.decrypt/4` opens with the same secret key base and salt. `data` must be a JSON
 * value; it reaches Elixir as binaries, numbers, lists, maps with binary keys, `true`, `false`
 * and `nil`. A value without a JSON form, or a bad option, is a `TypeError`.
 *
 * @example
 * ```ts
 * const token = await encrypt(secretKeyBase, "user auth", { user_id: 42 }, { maxAge: 3600 });
 * // Elixir: {:ok, %{"user_id" => 42}} = Phoenix.Token.decrypt(MyAppWeb.Endpoint, "user auth", token)
 * ```
 */
export async function encrypt(
  secretKeyBase: string,
  salt: string,
  data: JsonValue,
  options: EncryptOptions = {},
): Promise<string> {
  checkKeyMaterial(secretKeyBase, salt);
  const { maxAge = DEFAULT_MAX_AGE, signedAt } = options;
  checkMaxAge(maxAge);
  let signedAtMs: number;
  if (signedAt === undefined) {
    signedAtMs = Date.now();
  } else {
    if (typeof signedAt !== "number") throw new TypeError("signedAt must be a number of seconds");
    signedAtMs = Math.trunc(signedAt * 1000);
    if (!Number.isSafeInteger(signedAtMs)) throw new TypeError("signedAt is out of range");
  }
  const plain = encodePayload({ data, signedAtMs, maxAge });
  return sealXcp(await deriveKey(secretKeyBase, salt), plain);
}

/**
 * Decrypts a token made by `Phoenix.Token.encrypt/4` — the current `XCP.` format or the legacy
 * `A128GCM` one of plug_crypto 1.x — and returns its data, or throws {@link TokenError} with the
 * code Phoenix would answer: `missing` (no token), `invalid` (not a token, tampered, wrong key
 * base or salt, signed in the future) or `expired`. A bad option is a `TypeError`.
 *
 * @example
 * ```ts
 * // Elixir: token = Phoenix.Token.encrypt(MyAppWeb.Endpoint, "user auth", %{"user_id" => 42})
 * const data = await decrypt(secretKeyBase, "user auth", token, { maxAge: 86400 });
 * ```
 */
export async function decrypt(
  secretKeyBase: string,
  salt: string,
  token: string | null | undefined,
  options: DecryptOptions = {},
): Promise<JsonValue> {
  checkKeyMaterial(secretKeyBase, salt);
  const { maxAge, now = Date.now(), maxLength = DEFAULT_PHOENIX_MAX_LENGTH } = options;
  checkMaxAge(maxAge);
  if (!Number.isSafeInteger(maxLength) || maxLength <= 0) {
    throw new TypeError("maxLength must be a positive whole number of characters");
  }
  if (typeof now !== "number" || !Number.isFinite(now)) {
    throw new TypeError("now must be a finite number of milliseconds");
  }
  if (token === null || token === undefined) throw new TokenError("missing", "no Phoenix token");
  if (typeof token !== "string") throw new TypeError("token must be a string");
  if (token.length > maxLength) {
    throw new TokenError("too_large", `Phoenix token longer than ${maxLength} characters`);
  }

  let plain: Uint8Array;
  if (token.startsWith(XCP_PREFIX)) {
    plain = openXcp(await deriveKey(secretKeyBase, salt), token.slice(XCP_PREFIX.length));
  } else if (token.startsWith(LEGACY_PREFIX)) {
    plain = await openLegacy(
      await deriveKey(secretKeyBase, salt),
      token.slice(LEGACY_PREFIX.length),
    );
  } else {
    throw invalid("unknown format");
  }
  const payload = await decodePayload(plain);

  // Plug.Crypto's checks, in its order.
  const age = maxAge ?? payload.maxAge;
  if (age === "infinity") return payload.data;
  if (age <= 0) throw new TokenError("expired", "Phoenix token expired");
  if (payload.signedAtMs > now) throw invalid("signed in the future");
  if (payload.signedAtMs + Math.trunc(age * 1000) < now) {
    throw new TokenError("expired", "Phoenix token expired");
  }
  return payload.data;
}
