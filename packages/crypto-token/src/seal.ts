// The WebCrypto path: runs wherever `globalThis.crypto.subtle` does (browsers, Node, Deno, Bun).

import { decodeBase64url, encodeBase64url } from "./base64url.ts";
import { TokenError } from "./errors.ts";
import { cachedSubkey, HKDF_SALT, IV_BYTES, SUBKEY_BYTES } from "./format.ts";
import type { KeyEntry } from "./keyring.ts";
import type { Seal } from "./options.ts";
import { sealWith } from "./seal-with.ts";
import { type Unseal, unsealWith } from "./unseal-with.ts";

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
export const seal: Seal = sealWith(subkey, async (key, header, plaintext) => {
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
});

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
export const unseal: Unseal = unsealWith(
  decodeBase64url,
  subkey,
  async (bytes, headerBytes, key) => {
    const opened = await globalThis.crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: bytes.subarray(headerBytes, headerBytes + IV_BYTES) as Uint8Array<ArrayBuffer>,
        additionalData: bytes.subarray(0, headerBytes) as Uint8Array<ArrayBuffer>,
      },
      key,
      bytes.subarray(headerBytes + IV_BYTES) as Uint8Array<ArrayBuffer>,
    );
    return new Uint8Array(opened);
  },
);
