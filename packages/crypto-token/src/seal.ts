// The WebCrypto path: runs wherever `globalThis.crypto.subtle` does (browsers, Node, Deno, Bun).

import { decodeBase64url, encodeBase64url } from "./base64url.ts";
import { TokenError } from "./errors.ts";
import {
  assertFits,
  cachedSubkey,
  HKDF_SALT,
  headerOf,
  IV_BYTES,
  readEnvelope,
  SUBKEY_BYTES,
  TIMES_BYTES,
  writeTimes,
} from "./format.ts";
import { assertKeyring, type KeyEntry, type Keyring, keyById, newestKey } from "./keyring.ts";
import {
  checkToken,
  openPlaintext,
  type Schema,
  type SealOptions,
  sealOptions,
  toJson,
  type UnsealOptions,
  unsealOptions,
} from "./options.ts";

const utf8 = new TextEncoder();
const subkeys = new WeakMap<KeyEntry, Map<string, Promise<CryptoKey>>>();

function subkey(entry: KeyEntry, purpose: string): Promise<CryptoKey> {
  return cachedSubkey(subkeys, entry, purpose, derive);
}

async function derive(secret: Uint8Array, purpose: string): Promise<CryptoKey> {
  const { subtle } = globalThis.crypto;
  const base = await subtle.importKey("raw", secret as Uint8Array<ArrayBuffer>, "HKDF", false, [
    "deriveKey",
  ]);
  return subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: HKDF_SALT, info: utf8.encode(purpose) },
    base,
    { name: "AES-GCM", length: SUBKEY_BYTES * 8 },
    false,
    ["encrypt", "decrypt"],
  );
}

/**
 * Seals a JSON-serialisable value into a compact, URL-safe token: encrypted and authenticated
 * (AES-256-GCM) with the keyring's newest key, bound to `purpose`, valid for `maxAge` seconds.
 * Throws a `TypeError` for a value JSON cannot represent or bad options.
 *
 * @example
 * ```ts
 * const ticket = await seal(keyring, { id, password }, { purpose: "launch", maxAge: 3600 });
 * ```
 */
export async function seal(
  keyring: Keyring,
  value: unknown,
  options: SealOptions,
): Promise<string> {
  const { purpose, issuedAt, expiresAt, maxLength } = sealOptions(options);
  const entry = newestKey(keyring);
  const json = utf8.encode(toJson(value));
  const header = headerOf(entry);
  assertFits(header.length, json.length, maxLength);
  const plaintext = new Uint8Array(TIMES_BYTES + json.length);
  writeTimes(plaintext, issuedAt, expiresAt);
  plaintext.set(json, TIMES_BYTES);
  const key = await subkey(entry, purpose);
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await globalThis.crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: header },
    key,
    plaintext,
  );
  const bytes = new Uint8Array(header.length + IV_BYTES + sealed.byteLength);
  bytes.set(header);
  bytes.set(iv, header.length);
  bytes.set(new Uint8Array(sealed), header.length + IV_BYTES);
  return encodeBase64url(bytes);
}

/**
 * Opens a token made by {@link seal} and returns its value, checked by `schema` when given.
 * Every refusal is a {@link TokenError} whose `code` says why (`malformed`, `invalid`,
 * `expired`, `not_yet_valid`, `unknown_key`, `too_large`, `missing`); a refused token never
 * yields a value. Bad options throw a `TypeError`.
 *
 * @example
 * ```ts
 * const ticket = await unseal(keyring, token, { purpose: "launch", schema: TicketSchema });
 * ```
 */
export async function unseal<T>(
  keyring: Keyring,
  token: string | null | undefined,
  options: UnsealOptions & { schema: Schema<T> },
): Promise<T>;
export async function unseal(
  keyring: Keyring,
  token: string | null | undefined,
  options: UnsealOptions,
): Promise<unknown>;
export async function unseal(
  keyring: Keyring,
  token: string | null | undefined,
  options: UnsealOptions & { schema?: Schema<unknown> },
): Promise<unknown> {
  const valid = unsealOptions(options);
  assertKeyring(keyring);
  checkToken(token, valid.maxLength);
  const bytes = decodeBase64url(token);
  if (bytes === undefined) throw new TokenError("malformed", "token is not canonical base64url");
  const { id, headerBytes } = readEnvelope(bytes);
  const entry = keyById(keyring, id);
  if (entry === undefined) throw new TokenError("unknown_key");
  const key = await subkey(entry, valid.purpose);
  let plaintext: Uint8Array;
  try {
    const opened = await globalThis.crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: bytes.subarray(headerBytes, headerBytes + IV_BYTES) as Uint8Array<ArrayBuffer>,
        additionalData: bytes.subarray(0, headerBytes) as Uint8Array<ArrayBuffer>,
      },
      key,
      bytes.subarray(headerBytes + IV_BYTES) as Uint8Array<ArrayBuffer>,
    );
    plaintext = new Uint8Array(opened);
  } catch {
    throw new TokenError("invalid");
  }
  return openPlaintext(plaintext, valid);
}
