/**
 * Keeps the answer of an expensive check (is the engine up, does the API answer) for `ttlMs`,
 * per key, and shares one check in flight among every caller. A rejected check is not kept.
 *
 * @example
 * const engine = cacheFor(2000, () => probeEngine());
 * await engine(); // probes
 * await engine(); // the same answer, for 2 s
 */
export function cacheFor<T>(ttlMs: number, check: () => Promise<T>): () => Promise<T> {
  const keyed = cacheByKey(ttlMs, (_key: string) => check());
  return () => keyed("");
}

/** `cacheFor`, one entry per key (an image name, a template). The map holds at most `max` keys. */
export function cacheByKey<T>(
  ttlMs: number,
  check: (key: string) => Promise<T>,
  max = 256,
): (key: string) => Promise<T> {
  const entries = new Map<string, { at: number; value: Promise<T> }>();
  return (key) => {
    const now = Date.now();
    const cached = entries.get(key);
    if (cached && now - cached.at < ttlMs) return cached.value;
    if (entries.size >= max) entries.delete(entries.keys().next().value as string);
    const value = check(key);
    entries.set(key, { at: now, value });
    value.catch(() => {
      if (entries.get(key)?.value === value) entries.delete(key);
    });
    return value;
  };
}
