import { addressKey } from "@launcher/api";

/**
 * Counts open WebSocket connections per client address (IPv6 by its /64) and refuses one
 * past `max`: each connection holds memory, timers and possibly many subscriptions.
 */
export function createConnectionLimit(max: number) {
  const open = new Map<string, number>();
  return {
    /** Takes a slot for `address`: the function that gives it back, or undefined when full. */
    take(address: string): (() => void) | undefined {
      const key = addressKey(address);
      const count = open.get(key) ?? 0;
      if (count >= max) return undefined;
      open.set(key, count + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (open.get(key) ?? 1) - 1;
        if (left > 0) open.set(key, left);
        else open.delete(key);
      };
    },
  };
}
