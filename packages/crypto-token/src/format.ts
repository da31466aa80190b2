// The v1 byte layout, shared by the WebCrypto and node:crypto paths (see README, "Format"):
//
//   token     = base64url( header || iv || ciphertext || tag )
//   header    = version (0x01) || idLength (1 byte) || id (ASCII)      — also the GCM AAD
//   plaintext = issuedAt (u64 BE, ms) || expiresAt (u64 BE, ms) || UTF-8 JSON
//   subkey    = HKDF-SHA256(key, salt = HKDF_SALT, info = UTF-8 purpose, 32 bytes)

import { TokenError } from "./errors.ts";
import type { KeyEntry } from "./keyring.ts";

export const VERSION = 1;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const TIMES_BYTES = 16;
export const SUBKEY_BYTES = 32;
export const HKDF_SALT: Uint8Array<ArrayBuffer> = new TextEncoder().encode(
  "launcher/crypto-token/v1",
);
/** Distinct purposes cached per key; more than this and the cache starts over. */
export const MAX_CACHED_PURPOSES = 64;

const headers = new WeakMap<KeyEntry, Uint8Array<ArrayBuffer>>();

/** The header (version, key id) that starts every token sealed with this key. */
export function headerOf(entry: KeyEntry): Uint8Array<ArrayBuffer> {
  let header = headers.get(entry);
  if (header === undefined) {
    header = new Uint8Array(2 + entry.id.length);
    header[0] = VERSION;
    header[1] = entry.id.length;
    for (let i = 0; i < entry.id.length; i++) header[2 + i] = entry.id.charCodeAt(i);
    headers.set(entry, header);
  }
  return header;
}

/** Length in characters of the token for this header and this many bytes of JSON. */
export function tokenLength(headerBytes: number, jsonBytes: number): number {
  const bytes = headerBytes + IV_BYTES + TIMES_BYTES + jsonBytes + TAG_BYTES;
  return Math.ceil((bytes * 4) / 3);
}

/** Refuses, before any encryption, a token that would be longer than `maxLength`. */
export function assertFits(headerBytes: number, jsonBytes: number, maxLength: number): void {
  const length = tokenLength(headerBytes, jsonBytes);
  if (length > maxLength) {
    throw new TypeError(
      `seal: the token would be ${length} characters, over maxLength ${maxLength}`,
    );
  }
}

export interface Envelope {
  /** The key id the token names. */
  id: string;
  /** Header length in bytes: the IV starts here. */
  headerBytes: number;
}

/** Reads the header of decoded token bytes; throws `malformed` when the layout cannot be v1. */
export function readEnvelope(bytes: Uint8Array): Envelope {
  if (bytes.length < 2 || bytes[0] !== VERSION) {
    throw new TokenError("malformed", "unknown token version");
  }
  const idBytes = bytes[1]!;
  const headerBytes = 2 + idBytes;
  // At least one byte of JSON: the shortest JSON text is one character.
  if (idBytes === 0 || bytes.length < headerBytes + IV_BYTES + TIMES_BYTES + 1 + TAG_BYTES) {
    throw new TokenError("malformed", "token too short");
  }
  let id = "";
  for (let i = 2; i < headerBytes; i++) id += String.fromCharCode(bytes[i]!);
  return { id, headerBytes };
}

/** Writes issued-at and expiry (epoch ms, u64 big-endian) at the start of `plaintext`. */
export function writeTimes(plaintext: Uint8Array, issuedAt: number, expiresAt: number): void {
  const view = new DataView(plaintext.buffer, plaintext.byteOffset, TIMES_BYTES);
  view.setUint32(0, Math.floor(issuedAt / 2 ** 32));
  view.setUint32(4, issuedAt >>> 0);
  view.setUint32(8, Math.floor(expiresAt / 2 ** 32));
  view.setUint32(12, expiresAt >>> 0);
}

/** Reads issued-at and expiry back; times beyond 2^53 ms are refused as `invalid`. */
export function readTimes(plaintext: Uint8Array): [issuedAt: number, expiresAt: number] {
  if (plaintext.length < TIMES_BYTES) throw new TokenError("invalid", "token payload too short");
  const view = new DataView(plaintext.buffer, plaintext.byteOffset, TIMES_BYTES);
  const issuedAt = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
  const expiresAt = view.getUint32(8) * 2 ** 32 + view.getUint32(12);
  if (!Number.isSafeInteger(issuedAt) || !Number.isSafeInteger(expiresAt)) {
    throw new TokenError("invalid", "token times out of range");
  }
  return [issuedAt, expiresAt];
}

/**
 * The subkey of `entry` for `purpose`, derived once and then cached: deriving costs more than
 * sealing a small value. Purposes are a handful of constants in practice; should a caller use
 * many, the per-key cache starts over rather than grow without bound.
 */
export function cachedSubkey<K>(
  caches: WeakMap<KeyEntry, Map<string, K>>,
  entry: KeyEntry,
  purpose: string,
  derive: (secret: Uint8Array, purpose: string) => K,
): K {
  let cache = caches.get(entry);
  if (cache === undefined) {
    cache = new Map();
    caches.set(entry, cache);
  }
  let subkey = cache.get(purpose);
  if (subkey === undefined) {
    if (cache.size >= MAX_CACHED_PURPOSES) cache.clear();
    subkey = derive(entry.secret, purpose);
    cache.set(purpose, subkey);
    // A derivation that failed (WebCrypto's is a promise) is tried again next time.
    const pending = subkey;
    if (pending instanceof Promise) {
      pending.catch(() => cache.get(purpose) === pending && cache.delete(purpose));
    }
  }
  return subkey;
}
