/**
 * Reconnect delays for the WebSocket: short, growing, capped and jittered ("equal jitter"),
 * so that a restarted server is found within a second or two and a crowd of tabs does not
 * reconnect in lockstep. tRPC's default backoff grows to 30 s.
 * @example
 * createWSClient({ url, retryDelayMs: makeRetryDelay() });
 */
export function makeRetryDelay(
  options: { baseMs?: number; maxMs?: number; random?: () => number } = {},
): (attempt: number) => number {
  const { baseMs = 250, maxMs = 2_000, random = Math.random } = options;
  return (attempt) => {
    const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  };
}
