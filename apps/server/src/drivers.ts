import type { Driver } from "@launcher/drivers";
import { createDockerDriver } from "@launcher/drivers/docker";
import { createFlyDriver } from "@launcher/drivers/fly";
import { createKubernetesDriver } from "@launcher/drivers/kubernetes";
import { createLocalDriver } from "@launcher/drivers/local";
import type { Env } from "./env.ts";
import type { Logger } from "./logger.ts";

/**
 * The drivers this server offers, as configured by `LAUNCHER_DRIVERS`. Their tombstones are
 * kept at least a week, and always longer than any ticket that could follow the instance.
 */
export function createDrivers(env: Env, logger: Logger): Map<string, Driver> {
  const tombstoneTtlSeconds = Math.max(7 * 86_400, env.LAUNCHER_TICKET_MAX_AGE * 2);
  const factories: Record<Env["LAUNCHER_DRIVERS"][number], () => Driver> = {
    local: () => {
      const driver = createLocalDriver({
        stateDir: env.LAUNCHER_STATE_DIR,
        workRoot: env.LAUNCHER_WORK_DIR,
        vars: { scratchpad: env.LAUNCHER_SCRATCHPAD },
        publicHost: env.LAUNCHER_PUBLIC_HOST,
        tombstoneTtlSeconds,
      });
      // Finishes teardowns a crash cut short and drops old tombstones (also due periodically).
      void driver.sweep().catch(() => {});
      return driver;
    },
    docker: () =>
      createDockerDriver({
        publicHost: env.LAUNCHER_PUBLIC_HOST,
        log: (message) => logger.info({ driver: "docker" }, message),
        tombstoneTtlSeconds,
      }),
    fly: () =>
      createFlyDriver({
        token: env.FLY_API_TOKEN,
        org: env.FLY_ORG,
        region: env.FLY_REGION,
        apiUrl: env.FLY_API_URL,
      }),
    kubernetes: () =>
      createKubernetesDriver({
        namespace: env.LAUNCHER_K8S_NAMESPACE,
        ingressHost: env.LAUNCHER_K8S_INGRESS_HOST,
      }),
  };
  const drivers = new Map<string, Driver>();
  for (const name of env.LAUNCHER_DRIVERS) drivers.set(name, factories[name]());
  return drivers;
}
