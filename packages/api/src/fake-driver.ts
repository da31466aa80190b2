import {
  type DestroyReason,
  type Driver,
  type InstanceSpec,
  isTerminal,
  type Observation,
  observeLoop,
  type Phase,
  type SecretEnv,
} from "@launcher/drivers";

/**
 * A driver over an in-memory platform, for the API's tests. Like a real one: `observe` is
 * read-only and runs on the shared observe loop (woken by changes), versions come from the
 * platform, an unknown instance reads as version 0 `preparing`, and `recordFailure` writes a
 * `failed` mark with the platform's next version unless the instance has ended. `ensure`
 * records the spec's owner, template and lifetime, which `list` reads back for every instance
 * not destroyed.
 */
export interface FakeDriver extends Driver {
  /** What `ensure` does; by default it moves the instance to `ready`. */
  onEnsure: (spec: InstanceSpec, env: SecretEnv, signal: AbortSignal) => Promise<void>;
  /** Whether `recordFailure` writes its mark (a platform that can hold it). */
  holdsFailures: boolean;
  /** Moves an instance to `phase` with the next version, and wakes its observers. */
  move(id: string, phase: Phase, extra?: Partial<Observation>): Observation;
  /** The platform's current state of an instance. */
  read(id: string): Observation;
  /** A driver-level failure of the next `observe` reads (until cleared with `undefined`). */
  failReads?: Error;
  readonly calls: {
    ensure: string[];
    recordFailure: [string, string][];
    observe: number;
    destroy: [string, DestroyReason | undefined][];
    sweep: number;
  };
  /** The abort signals handed to `observe`, to count their listeners. */
  readonly observeSignals: AbortSignal[];
}

export function createFakeDriver(name = "fake"): FakeDriver {
  const platform = new Map<string, Observation>();
  const recorded = new Map<string, InstanceSpec>();
  const wakers = new Map<string, Set<() => void>>();
  const unknown = (): Observation => ({ version: 0, phase: "preparing", steps: [], logTail: [] });

  const driver: FakeDriver = {
    name,
    holdsFailures: true,
    calls: { ensure: [], recordFailure: [], observe: 0, destroy: [], sweep: 0 },
    observeSignals: [],
    onEnsure: async (spec) => {
      driver.move(spec.id, "starting");
      driver.move(spec.id, "ready", { url: "http://127.0.0.1:9/" });
    },
    move(id, phase, extra = {}) {
      const next = { ...driver.read(id), ...extra, phase, version: driver.read(id).version + 1 };
      platform.set(id, next);
      for (const wake of wakers.get(id) ?? []) wake();
      return next;
    },
    read: (id) => platform.get(id) ?? unknown(),
    available: async () => ({ available: true }),
    availableFor: async () => ({ available: true }),
    async ensure(spec, env, signal) {
      driver.calls.ensure.push(spec.id);
      if (!recorded.has(spec.id)) recorded.set(spec.id, spec);
      await driver.onEnsure(spec, env, signal);
    },
    async recordFailure(id, reason) {
      driver.calls.recordFailure.push([id, reason]);
      const current = driver.read(id);
      if (driver.holdsFailures && !isTerminal(current.phase)) {
        driver.move(id, "failed", { error: reason });
      }
    },
    observe(id, signal) {
      driver.calls.observe++;
      driver.observeSignals.push(signal);
      return observeLoop(signal, {
        read: async () => {
          if (driver.failReads) throw driver.failReads;
          return driver.read(id);
        },
        subscribe(wake) {
          const set = wakers.get(id) ?? new Set();
          wakers.set(id, set.add(wake));
          return () => set.delete(wake);
        },
        intervalMs: () => 60_000,
        minGapMs: 0,
      });
    },
    async destroy(id, reason) {
      driver.calls.destroy.push([id, reason]);
      if (driver.read(id).phase !== "destroyed") driver.move(id, "destroyed");
    },
    list: async () =>
      [...recorded.values()]
        .filter((spec) => driver.read(spec.id).phase !== "destroyed")
        .map((spec) => ({
          id: spec.id,
          owner: spec.owner,
          template: spec.template.id,
          phase: driver.read(spec.id).phase,
          createdAt: spec.createdAt,
          expiresAt: spec.expiresAt,
        })),
    sweep: async () => {
      driver.calls.sweep++;
    },
  };
  return driver;
}
