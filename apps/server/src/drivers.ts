import { type Driver, DriverError } from "@launcher/drivers";
import type { Env } from "./env.ts";
import { type LazyDriver, lazyDriver } from "./lazy-driver.ts";
import type { Logger } from "./logger.ts";

/** The placeholders the server gives the local driver (`{scratchpad}`: the bundled app). */
export function localVars(env: Env): Record<string, string> {
  return { scratchpad: env.LAUNCHER_SCRATCHPAD };
}

/**
 * Why the local driver offers nothing here, if it does not: it runs instances as the launcher's
 * own user, in reach of each other's files and environments and of the launcher's state dir,
 * which is safe for one user (`LAUNCHER_AUTH=none`) but not for many.
 */
export function localIsolationRefusal(env: Env): string | undefined {
  if (env.LAUNCHER_AUTH === "none" || env.LAUNCHER_LOCAL_SHARED_USER) return undefined;
  return "With sign-in on, the local driver cannot keep users apart (every instance would run as the launcher's own user); use docker, kubernetes or fly, or set LAUNCHER_LOCAL_SHARED_USER=1 where all users are trusted";
}

/** `driver` with every template unavailable for `reason`; what runs can still be listed and destroyed. */
function refuseLaunches(driver: Driver, reason: string): Driver {
  const refused = async () => ({ available: false as const, reason });
  return {
    ...driver,
    available: refused,
    availableFor: refused,
    ensure: () => Promise.reject(new DriverError("bad_spec", reason)),
  };
}

/**
 * The drivers this server offers, as configured by `LAUNCHER_DRIVERS`, each imported when first
 * used: starting the server loads neither dockerode nor the Kubernetes client. Their tombstones
 * are kept at least a week, and always longer than any ticket that could follow the instance.
 */
export function createDrivers(env: Env, logger: Logger): Map<string, LazyDriver> {
  const tombstoneTtlSeconds = Math.max(7 * 86_400, env.LAUNCHER_TICKET_MAX_AGE * 2);
  const factories: Record<Env["LAUNCHER_DRIVERS"][number], () => Promise<Driver>> = {
    local: async () => {
      const { createLocalDriver } = await import("@launcher/drivers/local");
      const local = createLocalDriver({
        stateDir: env.LAUNCHER_STATE_DIR,
        workRoot: env.LAUNCHER_WORK_DIR,
        vars: localVars(env),
        publicHost: env.LAUNCHER_PUBLIC_HOST,
        // Its sweep finishes cut-short teardowns and drops tombstones past this lifetime.
        tombstoneTtlSeconds,
      });
      const refusal = localIsolationRefusal(env);
      return refusal ? refuseLaunches(local, refusal) : local;
    },
    docker: async () =>
      (await import("@launcher/drivers/docker")).createDockerDriver({
        publicHost: env.LAUNCHER_PUBLIC_HOST,
        log: (message) => logger.info({ driver: "docker" }, message),
        tombstoneTtlSeconds,
      }),
    fly: async () =>
      (await import("@launcher/drivers/fly")).createFlyDriver({
        token: env.FLY_API_TOKEN,
        org: env.FLY_ORG,
        region: env.FLY_REGION,
        apiUrl: env.FLY_API_URL,
        tombstoneApp: env.FLY_TOMBSTONE_APP,
        tombstoneTtlSeconds,
      }),
    kubernetes: async () =>
      (await import("@launcher/drivers/kubernetes")).createKubernetesDriver({
        namespace: env.LAUNCHER_K8S_NAMESPACE,
        ingressHost: env.LAUNCHER_K8S_INGRESS_HOST,
        ingressClassName: env.LAUNCHER_K8S_INGRESS_CLASS,
        tombstoneTtlSeconds,
      }),
  };
  const drivers = new Map<string, LazyDriver>();
  for (const name of env.LAUNCHER_DRIVERS) drivers.set(name, lazyDriver(name, factories[name]));
  return drivers;
}
