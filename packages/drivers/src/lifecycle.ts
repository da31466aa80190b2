import { DriverError, type Observation } from "./driver.ts";

/**
 * The skeleton `ensure` and `destroy` share on every platform where the launcher writes its
 * own tombstone (docker, fly, kubernetes). The rules it keeps, whatever the platform:
 *
 * - Destroyed stays destroyed: `ensure` creates nothing once a tombstone exists, and looks
 *   again after creating, because a `destroy` may have written its tombstone meanwhile (it
 *   then tears down what was just made: the destroy wins).
 * - `ensure` ends only at `ready` (recorded on the platform, so no process later times a
 *   ready instance out), rejects at `failed`, and gives up quietly once a destroy began.
 * - `destroy` writes its tombstone before touching anything, and resolves only when nothing
 *   of the instance runs any more.
 */
export interface EnsureSteps {
  signal: AbortSignal;
  /** Whether a tombstone exists for the instance. */
  tombstoned(): Promise<boolean>;
  /** Creates whatever is missing. Idempotent, and safe while a twin runs in another process. */
  create(): Promise<void>;
  /** Removes what `create` made, after a destroy that ran meanwhile. */
  teardown(): Promise<void>;
  /**
   * Takes the created instance to `ready` and records that on the platform; resolves quietly
   * once a destroy began, rejects when the launch failed. Where the platform's own observation
   * says when it is ready, this is `followToReady`; docker probes the health path itself.
   */
  untilReady(): Promise<void>;
}

/**
 * Drives an instance to `ready`: tombstone check, create, tombstone check again, then
 * `untilReady`.
 *
 * @example
 * ensure: (spec, env, signal) => ensureInstance({ signal, tombstoned, create, teardown, untilReady })
 */
export async function ensureInstance(steps: EnsureSteps): Promise<void> {
  const { signal } = steps;
  if (await steps.tombstoned()) return;
  await steps.create();
  signal.throwIfAborted();
  if (await steps.tombstoned()) {
    await steps.teardown();
    return;
  }
  await steps.untilReady();
}

/**
 * Follows the driver's own read-only observe until the instance is ready, then records that
 * (idempotent); rejects at `failed` with why; resolves quietly at `destroying`/`destroyed`.
 *
 * @example
 * untilReady: () => followToReady({ signal, observe: (s) => observe(id, s), recordReady })
 */
export async function followToReady(options: {
  signal: AbortSignal;
  observe(signal: AbortSignal): AsyncIterable<Observation>;
  /** Records on the platform that the instance passed its health check (idempotent). */
  recordReady(): Promise<void>;
}): Promise<void> {
  const { signal } = options;
  for await (const observation of options.observe(signal)) {
    switch (observation.phase) {
      case "ready":
        await options.recordReady();
        return;
      case "failed":
        throw new DriverError("platform", observation.error ?? "The launch failed");
      case "destroying":
      case "destroyed":
        return;
    }
  }
  signal.throwIfAborted();
  throw new DriverError("platform", "The instance could not be followed to its end");
}

export interface DestroySteps {
  /** Leaves the tombstone (keeping an older one and its reason). Runs before anything else. */
  writeTombstone(): Promise<void>;
  /** Asks the platform to stop and remove what runs. */
  teardown(): Promise<void>;
  /**
   * Waits, through the driver's own read-only observe, until it says `destroyed`; after
   * `timeoutMs` `destroy` rejects and `sweep` finishes. Without it, `teardown` itself resolves
   * only once nothing runs (docker waits for the engine to drop the container).
   */
  wait?: { observe(signal: AbortSignal): AsyncIterable<Observation>; timeoutMs: number };
  /** Removes what is left once nothing runs (an app, a Secret). Optional. */
  cleanUp?(): Promise<void>;
}

/**
 * Tombstone first, then teardown, then waits until nothing runs, then cleans up.
 *
 * @example
 * destroy: (id, reason) => destroyInstance({ writeTombstone, teardown, wait: { observe, timeoutMs: 120_000 } })
 */
export async function destroyInstance(steps: DestroySteps): Promise<void> {
  await steps.writeTombstone();
  await steps.teardown();
  if (steps.wait) await untilDestroyed(steps.wait.observe, steps.wait.timeoutMs);
  await steps.cleanUp?.();
}

async function untilDestroyed(
  observe: (signal: AbortSignal) => AsyncIterable<Observation>,
  timeoutMs: number,
): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    for await (const observation of observe(signal)) {
      if (observation.phase === "destroyed") return;
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  throw new DriverError(
    "unavailable",
    "The instance is still being torn down; the next sweep finishes it",
  );
}
