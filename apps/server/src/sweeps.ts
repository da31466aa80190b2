import type { LazyDriver } from "./lazy-driver.ts";
import type { Logger } from "./logger.ts";

/**
 * Runs `driver.sweep()` (finish half-done teardowns, drop old tombstones) once, just after the
 * start, without holding it up: a teardown a killed process left half-done ends within a second
 * or two of a restart instead of at the reaper's first round. From then on the reaper sweeps
 * every platform it reads, each round. A driver not loaded yet is not loaded for this (it has had
 * nothing to leave behind in this process), except `local`, whose platform is this machine.
 * Returns how to cancel it, if it has not run yet.
 */
export function sweepAfterStart(
  drivers: ReadonlyMap<string, LazyDriver>,
  logger: Logger,
  delayMs = 500 + Math.random() * 1000,
): () => void {
  const timer = setTimeout(() => {
    for (const driver of drivers.values()) {
      if (!driver.loaded && driver.name !== "local") continue;
      driver.sweep().catch((error: unknown) => {
        const err = error instanceof Error ? error.message : String(error);
        logger.warn({ driver: driver.name, err }, "sweep failed");
      });
    }
  }, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
}
