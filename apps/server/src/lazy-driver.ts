import type { Driver } from "@launcher/drivers";

/** A driver whose module is imported on first use; `loaded` says whether that happened. */
export interface LazyDriver extends Driver {
  readonly loaded: boolean;
}

/**
 * Wraps `load` (a dynamic import of one driver's module and its creation) as a driver that
 * loads on its first call, so that the server starts without what only one driver needs
 * (dockerode, the Kubernetes client). A failed load is retried at the next call.
 *
 * @example
 * const docker = lazyDriver("docker", async () =>
 *   (await import("@launcher/drivers/docker")).createDockerDriver(options));
 */
export function lazyDriver(name: string, load: () => Promise<Driver>): LazyDriver {
  let driver: Driver | undefined;
  let loading: Promise<Driver> | undefined;
  const get = (): Promise<Driver> => {
    if (driver) return Promise.resolve(driver);
    loading ??= load().then(
      (loaded) => {
        driver = loaded;
        return loaded;
      },
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    );
    return loading;
  };
  return {
    name,
    get loaded() {
      return driver !== undefined;
    },
    available: async () => (await get()).available(),
    availableFor: async (template) => (await get()).availableFor(template),
    ensure: async (spec, env, signal) => (await get()).ensure(spec, env, signal),
    recordFailure: async (id, reason) => (await get()).recordFailure(id, reason),
    async *observe(id, signal) {
      yield* (await get()).observe(id, signal);
    },
    destroy: async (id, reason) => (await get()).destroy(id, reason),
    list: async () => (await get()).list(),
    sweep: async () => (await get()).sweep(),
  };
}
