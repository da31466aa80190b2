import { decodeBase64url, encodeBase64url } from "./base64url.ts";

/** Length in bytes of every key in a keyring (AES-256). */
export const KEY_BYTES = 32;

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** One key of a keyring: its id and its secret bytes. Internal: never leaves the package. */
export interface KeyEntry {
  readonly id: string;
  readonly secret: Uint8Array;
}

// The secrets live here rather than on the keyring object, so that logging, inspecting or
// serialising a keyring can never print key material.
const secrets = new WeakMap<Keyring, ReadonlyMap<string, KeyEntry>>();

/**
 * A parsed set of keys, newest first. Opaque: it shows its key ids and nothing else.
 * Make one with {@link parseKeyring}.
 */
export class Keyring {
  /** The key ids, newest (the one that seals) first. */
  readonly ids: readonly string[];

  /** @internal Use {@link parseKeyring}. */
  constructor(entries: readonly KeyEntry[]) {
    this.ids = Object.freeze(entries.map((entry) => entry.id));
    secrets.set(this, new Map(entries.map((entry) => [entry.id, entry])));
    Object.freeze(this);
  }

  toJSON(): { ids: readonly string[] } {
    return { ids: this.ids };
  }
}

/** The key that seals: the first, newest one. */
export function newestKey(keyring: Keyring): KeyEntry {
  const entries = secretsOf(keyring);
  return entries.get(keyring.ids[0]!)!;
}

/** The key with this id, or `undefined` when the keyring has none. */
export function keyById(keyring: Keyring, id: string): KeyEntry | undefined {
  return secretsOf(keyring).get(id);
}

/** Throws a `TypeError` unless `keyring` came from {@link parseKeyring}. */
export function assertKeyring(keyring: Keyring): void {
  secretsOf(keyring);
}

function secretsOf(keyring: Keyring): ReadonlyMap<string, KeyEntry> {
  const entries = keyring instanceof Keyring ? secrets.get(keyring) : undefined;
  if (entries === undefined) throw new TypeError("expected a Keyring made by parseKeyring()");
  return entries;
}

/**
 * Generates a new random key: 32 bytes from the platform's CSPRNG, as unpadded base64url.
 * Give it an id and put it first in the keyring string to rotate.
 *
 * @example
 * ```ts
 * const entry = `k3:${generateKey()}`;
 * process.env.LAUNCHER_KEYS = `${entry},${process.env.LAUNCHER_KEYS}`;
 * ```
 */
export function generateKey(): string {
  return encodeBase64url(globalThis.crypto.getRandomValues(new Uint8Array(KEY_BYTES)));
}

/**
 * Parses a keyring from one env-friendly string: comma-separated `id:key` entries, newest
 * first, where `key` is 32 bytes in unpadded base64url (see {@link generateKey}) and `id` is
 * 1–64 characters of `A-Z a-z 0-9 . _ -`, unique in the ring. Whitespace around an entry is
 * ignored. Anything else throws a `TypeError` (whose message never contains a key).
 *
 * @example
 * ```ts
 * const keyring = await parseKeyring(process.env.LAUNCHER_KEYS); // "k2:<base64url>,k1:<base64url>"
 * keyring.ids; // ["k2", "k1"]
 * ```
 */
export async function parseKeyring(text: string | undefined): Promise<Keyring> {
  if (typeof text !== "string" || text.trim() === "") {
    throw new TypeError("keyring: no keys given (expected `id:base64url,...`)");
  }
  const entries: KeyEntry[] = [];
  const seen = new Set<string>();
  for (const [index, raw] of text.split(",").entries()) {
    const part = raw.trim();
    const colon = part.indexOf(":");
    const where = `keyring entry ${index + 1}`;
    if (colon < 0) throw new TypeError(`${where}: expected \`id:base64url\``);
    const id = part.slice(0, colon);
    if (!KEY_ID.test(id)) {
      throw new TypeError(`${where}: key id must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    }
    if (seen.has(id)) throw new TypeError(`${where}: duplicate key id "${id}"`);
    const secret = decodeBase64url(part.slice(colon + 1));
    if (secret === undefined) {
      throw new TypeError(`${where} ("${id}"): key is not unpadded base64url`);
    }
    if (secret.length !== KEY_BYTES) {
      throw new TypeError(
        `${where} ("${id}"): key must be ${KEY_BYTES} bytes, got ${secret.length}`,
      );
    }
    seen.add(id);
    entries.push({ id, secret });
  }
  return new Keyring(entries);
}
