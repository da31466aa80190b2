import { DriverError, type Observation } from "./driver.ts";

/**
 * The skeleton `ensure` and `destroy` share on platforms where the launcher writes its own
 * tombstone (fly, kubernetes). The rules it keeps, whatever the platform:
 *
 * - Destroyed stays destroyed: `ensure` creates nothing once a tombstone exists, and looks
 *   again after creating, because a `destroy` may have written its tombstone meanwhile (it
 *   then tears down what was just made: the destroy wins).
 * - `ensure` ends only at `ready` (recorded on the platform, so no process later times a
 *   ready instance out), rejects at `failed`, and gives up quietly once a destroy began.
 * - `destroy` writes its tombstone before touching anything, and resolves only when its own
 *   observe says `destroyed`, i.e. nothing of the instance runs any more.
 */
export interface EnsureSteps {
  signal: AbortSignal;
  /** Whether a tombstone exists for the instance. */
  tombstoned(): Promise<boolean>;
  /** Creates whatever is missing. Idempotent, and safe while a twin runs in another process. */
  create(): Promise<void>;
  /** Removes what `create` made, after a destroy that ran meanwhile. */
  teardown(): Promise<void>;
  /** The driver's own read-only observe of this instance. */
  observe(signal: AbortSignal): AsyncIterable<Observation>;
  /** Records on the platform that the instance passed its health check (idempotent). */
  recordReady(): Promise<void>;
}

/**
 * Drives an instance to `ready`: tombstone check, create, tombstone check again, then follows
 * the instance until it is ready (and records that) or failed (and rejects with why).
 *
 * @example
 * ensure: (spec, env, signal) => ensureInstance({ signal, tombstoned, create, teardown, observe, recordReady })
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
  for await (const observation of steps.observe(signal)) {
    switch (observation.phase) {
      case "ready":
        await steps.recordReady();
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
  /** The driver's own read-only observe of this instance. */
  observe(signal: AbortSignal): AsyncIterable<Observation>;
  /** Removes what is left once nothing runs (an app, a Secret). Optional. */
  cleanUp?(): Promise<void>;
  /** How long to wait for `destroyed`; after that `destroy` rejects and `sweep` finishes. */
  timeoutMs: number;
}

/**
 * Tombstone first, then teardown, then waits until the observe says `destroyed`.
 *
 * @example
 * destroy: (id, reason) => destroyInstance({ writeTombstone, teardown, observe, timeoutMs: 120_000 })
 */
export async function destroyInstance(steps: DestroySteps): Promise<void> {
  await steps.writeTombstone();
  await steps.teardown();
  const signal = AbortSignal.timeout(steps.timeoutMs);
  let destroyed = false;
  try {
    for await (const observation of steps.observe(signal)) {
      if (observation.phase === "destroyed") {
        destroyed = true;
        break;
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  if (!destroyed) {
    throw new DriverError(
      "unavailable",
      "The instance is still being torn down; the next sweep finishes it",
    );
  }
  await steps.cleanUp?.();
}
