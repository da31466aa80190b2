import { type Accessor, createEffect, onCleanup, untrack } from "solid-js";

/**
 * Subscribes while `input()` returns a value, again whenever it returns a new one, and
 * unsubscribes when it returns `undefined`/`false` or the owner is disposed.
 * @example
 * createSubscription(() => following() && { ticket }, (input) => api.follow(input, handlers));
 */
export function createSubscription<T>(
  input: Accessor<T | undefined | false>,
  subscribe: (input: T) => () => void,
): void {
  createEffect(() => {
    const value = input();
    if (value === undefined || value === false) return;
    const stop = untrack(() => subscribe(value));
    onCleanup(stop);
  });
}
