// Plug.Crypto.KeyGenerator: PBKDF2-HMAC-SHA256, 1000 iterations, 32 bytes.
const ITERATIONS = 1000;
const KEY_BITS = 256;
/** Cached keys kept at most; oldest dropped first. Phoenix keeps its cache unbounded. */
const CACHE_SIZE = 64;

const utf8 = new TextEncoder();
const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

/**
 * Derives the 32-byte key for (secret key base, salt), cached per pair as Phoenix does: the cache
 * only saves work (PBKDF2 is deliberately slow), it never changes the key.
 */
export function deriveKey(secretKeyBase: string, salt: string): Promise<Uint8Array<ArrayBuffer>> {
  // The length prefix keeps ("ab", "c") and ("a", "bc") apart.
  const id = `${secretKeyBase.length}:${secretKeyBase}${salt}`;
  const cached = cache.get(id);
  if (cached !== undefined) return cached;
  const key = pbkdf2(secretKeyBase, salt);
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(id, key);
  key.catch(() => cache.delete(id));
  return key;
}

async function pbkdf2(secretKeyBase: string, salt: string): Promise<Uint8Array<ArrayBuffer>> {
  const password = await crypto.subtle.importKey(
    "raw",
    utf8.encode(secretKeyBase),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: utf8.encode(salt), iterations: ITERATIONS },
    password,
    KEY_BITS,
  );
  return new Uint8Array(bits);
}
