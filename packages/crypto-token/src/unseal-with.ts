// The part of `unseal` both crypto paths share: options, keyring and token checks, the envelope
// and the key lookup; each path brings only its base64url decoder and its AES-GCM opening.

import { TokenError } from "./errors.ts";
import { readEnvelope } from "./format.ts";
import { assertKeyring, type KeyEntry, type Keyring, keyById } from "./keyring.ts";
import {
  checkToken,
  openPlaintext,
  type Schema,
  type UnsealOptions,
  unsealOptions,
} from "./options.ts";

/** The overloads of `unseal`: typed by `schema` when one is given. */
export interface Unseal {
  <T>(
    keyring: Keyring,
    token: string | null | undefined,
    options: UnsealOptions & { schema: Schema<T> },
  ): Promise<T>;
  (keyring: Keyring, token: string | null | undefined, options: UnsealOptions): Promise<unknown>;
}

/** Canonical base64url to bytes, or `undefined` when the text is not canonical base64url. */
export type Decode<B extends Uint8Array> = (token: string) => B | undefined;

/** The AES-GCM subkey of `entry` for `purpose`. */
export type Subkey<K> = (entry: KeyEntry, purpose: string) => K | Promise<K>;

/** Opens `bytes` (header, IV, ciphertext, tag) with `key`; throws when the tag does not verify. */
export type Decrypt<B extends Uint8Array, K> = (
  bytes: B,
  headerBytes: number,
  key: K,
) => Uint8Array | Promise<Uint8Array>;

/** Builds `unseal` from a path's decoder, subkey derivation and decryption. */
export function unsealWith<B extends Uint8Array, K>(
  decode: Decode<B>,
  subkey: Subkey<K>,
  decrypt: Decrypt<B, K>,
): Unseal {
  return async (
    keyring: Keyring,
    token: string | null | undefined,
    options: UnsealOptions & { schema?: Schema<unknown> },
  ): Promise<unknown> => {
    const valid = unsealOptions(options);
    assertKeyring(keyring);
    checkToken(token, valid.maxLength);
    const bytes = decode(token);
    if (bytes === undefined) throw new TokenError("malformed", "token is not canonical base64url");
    const { id, headerBytes } = readEnvelope(bytes);
    const entry = keyById(keyring, id);
    if (entry === undefined) throw new TokenError("unknown_key");
    const key = await subkey(entry, valid.purpose);
    let plaintext: Uint8Array;
    try {
      plaintext = await decrypt(bytes, headerBytes, key);
    } catch {
      throw new TokenError("invalid");
    }
    return openPlaintext(plaintext, valid);
  };
}
