/** Too many requests from one address; `retryAfter` is in seconds. */
export class RateLimitError extends Error {
  override readonly name = "RateLimitError";
  constructor(readonly retryAfter: number) {
    super(`Too many requests; try again in ${retryAfter} s`);
  }
}

export interface RateLimiter {
  /** Counts one event for `key`; throws RateLimitError when over the limit. */
  hit(key: string, now?: number): void;
  /** Throws RateLimitError if `key` is over the limit, without counting. */
  check(key: string, now?: number): void;
}

/**
 * A token bucket per key: `burst` events at once, refilled at `perMinute`. Buckets
 * that are full again are dropped, so memory stays bounded by active abusers.
 */
export function createRateLimiter(options: { perMinute: number; burst: number }): RateLimiter {
  const { perMinute, burst } = options;
  const rate = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const level = (key: string, now: number) => {
    const bucket = buckets.get(key);
    if (!bucket) return burst;
    const tokens = Math.min(burst, bucket.tokens + (now - bucket.at) * rate);
    if (tokens >= burst) buckets.delete(key);
    return tokens;
  };
  const refuse = (tokens: number): never => {
    throw new RateLimitError(Math.max(1, Math.ceil((1 - tokens) / rate / 1000)));
  };
  return {
    check(key, now = Date.now()) {
      const tokens = level(key, now);
      if (tokens < 1) refuse(tokens);
    },
    hit(key, now = Date.now()) {
      const tokens = level(key, now);
      if (tokens < 1) refuse(tokens);
      buckets.set(key, { tokens: tokens - 1, at: now });
    },
  };
}
