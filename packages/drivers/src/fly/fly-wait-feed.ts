import { sleep } from "../retry.ts";
import type { FlyMachine, FlyPlatform } from "./fly-platform.ts";

/**
 * Fly's change feed for one instance: while its machine is `created` or `starting`, one
 * `wait?state=started` long-poll at a time (a 408 only means "not yet": wait again), and a
 * wake-up when it answers. Otherwise it idles until the next read says what to wait for.
 */
export function createWaitFeed(options: {
  platform: FlyPlatform;
  app: string;
  waitTimeoutSeconds: number;
  retryMs: number;
}) {
  let machine: FlyMachine | undefined;
  let readers: (() => void)[] = [];

  /** Resolves at the next `seen`, or when `signal` aborts. */
  const nextRead = (signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      readers.push(done);
      signal.addEventListener("abort", done, { once: true });
    });

  return {
    /** Tells the feed what the last read found. */
    seen(current: FlyMachine | undefined): void {
      machine = current;
      const waiting = readers;
      readers = [];
      for (const wake of waiting) wake();
    },
    /** Starts the feed for `observeLoop`; returns how to stop it. */
    subscribe(wake: () => void): () => void {
      const stop = new AbortController();
      const { signal } = stop;
      void (async () => {
        while (!signal.aborted) {
          const current = machine;
          if (!current || (current.state !== "created" && current.state !== "starting")) {
            await nextRead(signal);
            continue;
          }
          try {
            const started = await options.platform.waitStarted(
              options.app,
              current.id,
              options.waitTimeoutSeconds,
              signal,
            );
            if (!started) continue;
            wake();
            await nextRead(signal);
          } catch {
            if (signal.aborted) return;
            await sleep(options.retryMs, signal).catch(() => {});
          }
        }
      })();
      return () => stop.abort();
    },
  };
}
