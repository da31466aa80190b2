/** A connection asked for more concurrent subscriptions than the server allows. */
export class SubscriptionLimitError extends Error {
  override readonly name = "SubscriptionLimitError";
  readonly code = "too_many_subscriptions";
  constructor(readonly limit: number) {
    super(`Too many subscriptions on this connection (at most ${limit} at once)`);
  }
}

/** What the server counts per connection (per WebSocket; per request over HTTP). */
export interface ConnectionState {
  subscriptions: number;
}

/**
 * Takes one subscription slot of `connection`, or throws SubscriptionLimitError when all
 * `limit` are taken. Returns the function that gives the slot back (call it once).
 */
export function takeSubscriptionSlot(
  connection: ConnectionState | undefined,
  limit: number,
): () => void {
  if (!connection) return () => {};
  if (connection.subscriptions >= limit) throw new SubscriptionLimitError(limit);
  connection.subscriptions++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    connection.subscriptions--;
  };
}
