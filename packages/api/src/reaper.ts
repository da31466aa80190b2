import type { Driver } from "@launcher/drivers";
import type { LauncherLogger } from "./deps.ts";
import type { InstanceLister, ListedInstance } from "./instance-lister.ts";

/** What one round of reaping did. */
export interface ReapResult {
  /** The instances found past their `expiresAt` and destroyed (with reason `expired`). */
  expired: ListedInstance[];
  /** Those whose destroy failed this round; the next round tries again. */
  failed: ListedInstance[];
}

export interface Reaper {
  /** Reaps every `intervalMs` (jittered) until `stop`; the first round in the second half of one. */
  start(): void;
  /** One round now: destroys what has expired on every reachable platform, then sweeps each. */
  reap(): Promise<ReapResult>;
  /** No more rounds; resolves when a round under way has ended. */
  stop(): Promise<void>;
}

export interface ReaperOptions {
  lister: InstanceLister;
  logger: LauncherLogger;
  /** Between rounds, on average, in ms (`LAUNCHER_REAP_INTERVAL`). */
  intervalMs: number;
  /** Destroys run at once, at most. Default 4. */
  concurrency?: number;
  /** Epoch ms; tests move it. */
  now?: () => number;
  /** In [0, 1); tests fix it. */
  random?: () => number;
}

/**
 * Ends instances past their lifetime, on every replica. Nothing is held between rounds: each
 * round reads the platforms, so any replica (or several at once, or one restarted after a
 * kill -9 mid-round) does the same work, and the drivers make it safe:
 *
 * - `destroy(id, "expired")` is idempotent and writes its tombstone first, so a follower of an
 *   expired instance ends `destroyed` with a message that says it expired;
 * - an instance already `destroying` is left to `sweep`, which finishes a teardown a crashed
 *   process left half-done and drops tombstones past their lifetime.
 *
 * @example
 * const reaper = createReaper({ lister, logger, intervalMs: 60_000 });
 * reaper.start();
 * await reaper.stop(); // at shutdown
 */
export function createReaper(options: ReaperOptions): Reaper {
  const { lister, logger, intervalMs } = options;
  const concurrency = options.concurrency ?? 4;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = true;
  let round: Promise<unknown> | undefined;

  /** Destroys each of `expired` on its driver, a few at once; returns those that failed. */
  const destroyAll = async (expired: ListedInstance[], drivers: Map<string, Driver>) => {
    const failed: ListedInstance[] = [];
    const queue = [...expired];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const instance = next;
        try {
          await drivers.get(instance.driver)?.destroy(instance.id, "expired");
          logger.info({ id: instance.id, driver: instance.driver }, "instance expired: destroyed");
        } catch (error) {
          failed.push(instance);
          logger.warn(
            { id: instance.id, driver: instance.driver, err: messageOf(error) },
            "expired instance not destroyed; the next round tries again",
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    return failed;
  };

  const reap = async (): Promise<ReapResult> => {
    const listing = await lister.list();
    const drivers = new Map(listing.reached.map((driver) => [driver.name, driver]));
    const at = now();
    const expired = listing.instances.filter((i) => i.expiresAt <= at && i.phase !== "destroying");
    const failed = await destroyAll(expired, drivers);
    await Promise.all(
      listing.reached.map(async (driver) => {
        try {
          await driver.sweep();
        } catch (error) {
          logger.warn({ driver: driver.name, err: messageOf(error) }, "sweep failed");
        }
      }),
    );
    return { expired, failed };
  };

  /** Around the interval, ±25%, so that replicas started together do not reap in step. */
  const jittered = () => intervalMs * (0.75 + random() / 2);

  const schedule = (delay: number) => {
    timer = setTimeout(() => {
      timer = undefined;
      round = reap()
        .catch((error: unknown) => logger.error({ err: messageOf(error) }, "reaping failed"))
        .finally(() => {
          round = undefined;
          if (!stopped) schedule(jittered());
        });
    }, delay);
    timer.unref?.();
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      // Within one interval of a start (after a crash mid-round too), but not at once: the start
      // stays quick, and the drivers' modules load only when needed.
      schedule(intervalMs * (0.5 + random() / 2));
    },
    reap,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await round;
    },
  };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
