// The part of `seal` both crypto paths share: options, the newest key, the plaintext (times,
// then the UTF-8 JSON) and the size check; each path brings only its subkey derivation and
// its AES-GCM sealing.

import { assertFits, headerOf, TIMES_BYTES, writeTimes } from "./format.ts";
import { newestKey } from "./keyring.ts";
import { type Seal, sealOptions, toJson } from "./options.ts";
import type { Subkey } from "./unseal-with.ts";

/**
 * Seals `plaintext` with `key` behind `header` (also the GCM additional data) and returns the
 * token: base64url of header, IV, ciphertext and tag.
 */
export type Encrypt<K> = (
  key: K,
  header: Uint8Array<ArrayBuffer>,
  plaintext: Uint8Array<ArrayBuffer>,
) => string | Promise<string>;

const utf8 = new TextEncoder();

/** Builds `seal` from a path's subkey derivation and encryption. */
export function sealWith<K>(subkey: Subkey<K>, encrypt: Encrypt<K>): Seal {
  return async (keyring, value, options) => {
    const { purpose, issuedAt, expiresAt, maxLength } = sealOptions(options);
    const entry = newestKey(keyring);
    const json = utf8.encode(toJson(value));
    const header = headerOf(entry);
    assertFits(header.length, json.length, maxLength);
    const plaintext = new Uint8Array(TIMES_BYTES + json.length);
    writeTimes(plaintext, issuedAt, expiresAt);
    plaintext.set(json, TIMES_BYTES);
    return encrypt(await subkey(entry, purpose), header, plaintext);
  };
}
