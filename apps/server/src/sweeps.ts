import type { LazyDriver } from "./lazy-driver.ts";
import type { Logger } from "./logger.ts";

export interface SweepOptions {
  /** The mean time between two sweeps, in ms; each gap is jittered by ±25 %. Default 5 min. */
  intervalMs?: number;
  /** When the first sweep runs, in ms. Default 0.5–1.5 s: just after the server listens. */
  firstDelayMs?: number;
}

/**
 * Runs `driver.sweep()` (finish half-done teardowns, drop old tombstones) for each driver right
 * after the start, without holding it up, and then every few minutes with jitter, so that replicas
 * started together do not sweep in step. A driver not loaded yet is not loaded for this (it has
 * had nothing to leave behind in this process), except `local`, whose platform is this machine.
 * Returns how to stop.
 */
export function startSweeps(
  drivers: ReadonlyMap<string, LazyDriver>,
  logger: Logger,
  options: SweepOptions = {},
): () => void {
  const intervalMs = options.intervalMs ?? 5 * 60_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const sweepAll = async () => {
    await Promise.all(
      [...drivers.values()]
        .filter((driver) => driver.loaded || driver.name === "local")
        .map((driver) =>
          driver.sweep().catch((error: unknown) => {
            const err = error instanceof Error ? error.message : String(error);
            logger.warn({ driver: driver.name, err }, "sweep failed");
          }),
        ),
    );
  };
  const schedule = (delayMs: number) => {
    timer = setTimeout(() => {
      void sweepAll().finally(() => {
        if (!stopped) schedule(intervalMs * (0.75 + Math.random() * 0.5));
      });
    }, delayMs);
    timer.unref();
  };
  schedule(options.firstDelayMs ?? 500 + Math.random() * 1000);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
