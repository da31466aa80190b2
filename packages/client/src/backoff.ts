/**
 * The one backoff of the client: short, growing, capped and jittered ("equal jitter": half
 * the ceiling fixed, half random), so that a crowd of clients does not retry in lockstep.
 *
 * @example
 * retryDelay(0); // 125–250 ms
 * retryDelay(5); // 1–2 s (the cap)
 */
export function retryDelay(
  attempt: number,
  options: { baseMs?: number; maxMs?: number; random?: () => number } = {},
): number {
  const { baseMs = 250, maxMs = 2_000, random = Math.random } = options;
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
