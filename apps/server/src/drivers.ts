import { networkInterfaces } from "node:os";
import { type Driver, DriverError } from "@launcher/drivers";
import { trustedProxiesOf } from "./auth/trusted-proxies.ts";
import type { Env } from "./env.ts";
import { type LazyDriver, lazyDriver } from "./lazy-driver.ts";
import type { Logger } from "./logger.ts";

/** The placeholders the server gives the local driver (`{scratchpad}`: the bundled app). */
export function localVars(env: Env): Record<string, string> {
  return { scratchpad: env.LAUNCHER_SCRATCHPAD };
}

/** How the local driver runs instances here (see `localIsolation`). */
export type LocalIsolation =
  | { mode: "isolated"; uids: { first: number; last: number } }
  | { mode: "shared" }
  | { mode: "refused"; reason: string };

/**
 * Whether the local driver runs each instance as its own uid, runs them all as the launcher's
 * own user, or offers nothing (and why). As its own uid when the launcher runs as root
 * (`uid` 0) with `LAUNCHER_LOCAL_UIDS` set, whatever `LAUNCHER_AUTH` says (it is strictly
 * safer). As the launcher's user (in reach of each other's files and environments and of the
 * state dir) only for the one user of `LAUNCHER_AUTH=none`, or where the operator trusts every
 * user (`LAUNCHER_LOCAL_SHARED_USER=1`). Set but not root: refused rather than silently shared.
 */
export function localIsolation(env: Env, uid = process.getuid?.()): LocalIsolation {
  const range = env.LAUNCHER_LOCAL_UIDS;
  if (range && uid === 0) return { mode: "isolated", uids: range };
  if (env.LAUNCHER_LOCAL_SHARED_USER) return { mode: "shared" };
  const others =
    "use docker, kubernetes or fly, or set LAUNCHER_LOCAL_SHARED_USER=1 where all users are trusted";
  if (range) {
    return {
      mode: "refused",
      reason: `LAUNCHER_LOCAL_UIDS is set, but the launcher runs as uid ${uid}, not root, so the local driver cannot keep users apart (run each instance as its own uid): run it as root, or ${others}`,
    };
  }
  if (env.LAUNCHER_AUTH === "none") return { mode: "shared" };
  const root = uid === 0 ? "" : ` (it runs as uid ${uid})`;
  return {
    mode: "refused",
    reason: `With sign-in on, the local driver cannot keep users apart unless it runs each instance as its own uid: run the launcher as root${root} with LAUNCHER_LOCAL_UIDS set to a range of unused uids (e.g. 200000-200999), or ${others}`,
  };
}

/**
 * The addresses of this machine that `LAUNCHER_AUTH=header` trusts as proxies. A local
 * instance can connect from any of them (it may bind any local address), so with header
 * sign-in it could name any user to the launcher — isolated or not.
 */
export function trustedLocalAddresses(
  env: Env,
  local = Object.values(networkInterfaces()).flatMap((list) => list?.map((a) => a.address) ?? []),
): string[] {
  if (env.LAUNCHER_AUTH !== "header") return [];
  const trusted = trustedProxiesOf(env);
  return [...new Set(["127.0.0.1", "::1", ...local])].filter((address) => trusted.has(address));
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
      const isolation = localIsolation(env);
      if (isolation.mode === "isolated") {
        const { first, last } = isolation.uids;
        logger.info({ driver: "local" }, `each instance runs as its own uid (${first}-${last})`);
      }
      const spoofable = isolation.mode === "refused" ? [] : trustedLocalAddresses(env);
      if (spoofable.length > 0) {
        logger.warn(
          { driver: "local", addresses: spoofable },
          "local instances can connect from a trusted proxy's address and name any user in the user header: put the proxy on another machine, block the instances' uids from the launcher's port (iptables -m owner), or use LAUNCHER_AUTH=oidc",
        );
      }
      const local = createLocalDriver({
        stateDir: env.LAUNCHER_STATE_DIR,
        workRoot: env.LAUNCHER_WORK_DIR,
        vars: localVars(env),
        publicHost: env.LAUNCHER_PUBLIC_HOST,
        // Its sweep finishes cut-short teardowns and drops tombstones past this lifetime.
        tombstoneTtlSeconds,
        ...(isolation.mode === "isolated" ? { uids: isolation.uids } : {}),
      });
      return isolation.mode === "refused" ? refuseLaunches(local, isolation.reason) : local;
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
