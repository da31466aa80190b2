import {
  assertInstanceId,
  type DestroyReason,
  type Driver,
  DriverError,
  type InstanceSpec,
  type Observation,
  type SecretEnv,
} from "./driver.ts";
import { type DestroySteps, destroyInstance, ensureInstance, followToReady } from "./lifecycle.ts";
import { observeLoop } from "./observe-loop.ts";

/**
 * What one remote platform (Fly.io, Kubernetes) brings to the driver they share: how to read
 * an instance, what that amounts to, and the platform's own writes. Every method that takes an
 * id gets one that `assertInstanceId` passed.
 */
export interface RemotePlatform<Facts> {
  /** The driver's name, also its key in `template.drivers`. */
  name: "fly" | "kubernetes";
  /** The platform as users read it in messages: `Fly.io`, `Kubernetes`. */
  label: string;
  /** Everything the platform holds about one instance. Read-only. */
  readFacts(id: string, signal?: AbortSignal): Promise<Facts>;
  /** The observation those facts amount to. Pure. */
  describe(facts: Facts): Observation;
  /**
   * The instance's change feed for one follower: `subscribe` wakes the observe loop when the
   * platform reports a change; `seen` hears each read's facts (to know what to wait for).
   */
  changes(id: string): { subscribe(wake: () => void): () => void; seen?(facts: Facts): void };
  /** How often `observe` reads again between changes. */
  pollIntervalMs: number;
  /** Whether a tombstone exists for the instance. */
  tombstoned(id: string, signal: AbortSignal): Promise<boolean>;
  /** Creates whatever of the instance is missing; idempotent. */
  create(spec: InstanceSpec, env: SecretEnv, signal: AbortSignal): Promise<void>;
  /** Removes what `create` made, after a destroy that ran meanwhile. */
  undo(id: string): Promise<void>;
  /** Records on the platform that the instance passed its health check (idempotent). */
  recordReady(id: string, signal: AbortSignal): Promise<void>;
  recordFailure: Driver["recordFailure"];
  /** Tombstone, teardown and clean-up of `destroy`; the skeleton waits in between. */
  destroySteps(id: string, reason: DestroyReason): Omit<DestroySteps, "wait">;
  /** How long `destroy` waits for nothing to run before it leaves the rest to `sweep`. */
  destroyTimeoutMs: number;
  available: Driver["available"];
  list: Driver["list"];
  sweep(destroy: Driver["destroy"]): Promise<void>;
}

/**
 * The driver every remote platform shares: id checks, the template check, `ensure` as
 * `ensureInstance` + `followToReady`, a read-only `observe` on the one observe loop, and
 * `destroy` as `destroyInstance` that waits through that observe.
 *
 * @example
 * return createRemoteDriver({ name: "fly", label: "Fly.io", readFacts, describe: describeFly, … });
 */
export function createRemoteDriver<Facts>(platform: RemotePlatform<Facts>): Driver {
  const { name, label } = platform;

  function observe(id: string, signal: AbortSignal): AsyncIterable<Observation> {
    assertInstanceId(id);
    const changes = platform.changes(id);
    let last: Observation | undefined;
    return observeLoop(signal, {
      async read() {
        try {
          const facts = await platform.readFacts(id, signal);
          changes.seen?.(facts);
          last = platform.describe(facts);
          return last;
        } catch (error) {
          if (signal.aborted && last) return last; // the loop stops on the abort
          throw error;
        }
      },
      subscribe: (wake) => changes.subscribe(wake),
      intervalMs: () => platform.pollIntervalMs,
    });
  }

  async function destroy(id: string, reason: DestroyReason = "destroyed"): Promise<void> {
    assertInstanceId(id);
    await destroyInstance({
      ...platform.destroySteps(id, reason),
      wait: { observe: (signal) => observe(id, signal), timeoutMs: platform.destroyTimeoutMs },
    });
  }

  return {
    name,
    available: () => platform.available(),
    async availableFor(template) {
      if (!template.drivers[name]) {
        return { available: false, reason: `${template.name} has no ${label} image` };
      }
      return platform.available();
    },
    async ensure(spec, env, signal) {
      const { id } = spec;
      assertInstanceId(id);
      if (!spec.template.drivers[name]) {
        throw new DriverError("bad_spec", `template "${spec.template.id}" has no ${label} spec`);
      }
      await ensureInstance({
        signal,
        tombstoned: () => platform.tombstoned(id, signal),
        create: () => platform.create(spec, env, signal),
        teardown: () => platform.undo(id),
        untilReady: () =>
          followToReady({
            signal,
            observe: (abort) => observe(id, abort),
            // Recorded on the platform, so no launcher process later times a ready launch out.
            recordReady: () => platform.recordReady(id, signal),
          }),
      });
    },
    async recordFailure(id, reason) {
      assertInstanceId(id);
      await platform.recordFailure(id, reason);
    },
    observe,
    destroy,
    list: () => platform.list(),
    sweep: () => platform.sweep(destroy),
  };
}
