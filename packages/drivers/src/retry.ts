/** How a driver retries a platform call that failed for a passing reason (429, 5xx, a dropped connection). */
export interface RetryOptions {
  /** Attempts after the first one. Default 5. */
  retries?: number;
  /** The first delay in ms; each later one doubles. Default 250. */
  baseDelayMs?: number;
  /** No single delay is longer than this (a longer `Retry-After` is cut to it). Default 10,000. */
  maxDelayMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = {
  retries: 5,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
};

/**
 * The delay before retry number `attempt` (0-based): exponential backoff with "equal
 * jitter" (half fixed, half random) so that many launchers hitting one rate limit spread
 * out, never shorter than what the platform asked for in `Retry-After`.
 */
export function retryDelay(
  attempt: number,
  options: Required<RetryOptions>,
  retryAfterMs?: number,
): number {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  const jittered = exponential / 2 + Math.random() * (exponential / 2);
  return Math.min(options.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
}

/** `Retry-After` as ms: either delta-seconds or an HTTP date. */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Sleeps `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export const pause = (ms: number, signal?: AbortSignal): Promise<void> =>
  sleep(ms, signal).catch(() => {});
