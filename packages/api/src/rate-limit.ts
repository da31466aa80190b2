import { isIPv6 } from "node:net";

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
  /** How many keys it remembers now (never more than `maxKeys`). */
  readonly size: number;
}

export interface RateLimiterOptions {
  perMinute: number;
  burst: number;
  /** The most keys remembered at once; the least recently used goes first. Default 10,000. */
  maxKeys?: number;
}

/**
 * The key an address counts under: an IPv6 address by its /64 (one subscriber gets a
 * whole /64, so keying on full addresses would give each client 2^64 buckets), an
 * IPv4-mapped one as its IPv4 address; anything else as it is.
 * @example
 * addressKey("2001:db8:1:2:aaaa::1") // "2001:db8:1:2::/64"
 */
export function addressKey(address: string): string {
  if (!isIPv6(address)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return mapped;
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  // A dotted IPv4 tail (`::ffff:1.2.3.4`) takes two groups; it lies past the /64 anyway.
  const width = right.reduce((n, group) => n + (group.includes(".") ? 2 : 1), 0);
  const groups = address.includes("::")
    ? [...left, ...Array<string>(8 - left.length - width).fill("0"), ...right]
    : left;
  const prefix = groups.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16));
  return `${prefix.join(":")}::/64`;
}

/**
 * A token bucket per key: `burst` events at once, refilled at `perMinute`. Keys that are
 * IPv6 addresses count by their /64 (`addressKey`). A bucket that has filled up again is
 * forgotten (idle keys are swept as time passes, not only when they come back), and at most
 * `maxKeys` are kept: a flood of new keys evicts the least recently used, so memory stays
 * bounded whatever clients send.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { perMinute, burst, maxKeys = 10_000 } = options;
  if (!(perMinute > 0 && burst >= 1 && maxKeys >= 1)) {
    throw new TypeError("createRateLimiter: perMinute > 0, burst >= 1 and maxKeys >= 1");
  }
  const rate = perMinute / 60_000;
  // The time an empty bucket takes to fill: a bucket untouched that long is idle.
  const refillMs = burst / rate;
  // Insertion order is recency order: a hit re-inserts its key at the end.
  const buckets = new Map<string, { tokens: number; at: number }>();
  let sweptAt = Number.NEGATIVE_INFINITY;

  const sweep = (now: number) => {
    if (now - sweptAt < refillMs) return;
    sweptAt = now;
    for (const [key, bucket] of buckets) {
      if (bucket.tokens + (now - bucket.at) * rate >= burst) buckets.delete(key);
    }
  };
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
      const tokens = level(addressKey(key), now);
      if (tokens < 1) refuse(tokens);
    },
    hit(rawKey, now = Date.now()) {
      sweep(now);
      const key = addressKey(rawKey);
      const tokens = level(key, now);
      if (tokens < 1) refuse(tokens);
      buckets.delete(key);
      buckets.set(key, { tokens: tokens - 1, at: now });
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
    },
    get size() {
      return buckets.size;
    },
  };
}
