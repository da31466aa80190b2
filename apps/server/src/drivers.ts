import type { Driver } from "@launcher/drivers";
import { createLocalDriver } from "@launcher/drivers/local";
import type { Env } from "./env.ts";

/** The drivers this server offers, as configured by `LAUNCHER_DRIVERS`. */
export function createDrivers(env: Env): Map<string, Driver> {
  const drivers = new Map<string, Driver>();
  for (const name of env.LAUNCHER_DRIVERS) {
    switch (name) {
      case "local":
        drivers.set(
          name,
          createLocalDriver({
            stateDir: env.LAUNCHER_STATE_DIR,
            workRoot: env.LAUNCHER_WORK_DIR,
            vars: { scratchpad: env.LAUNCHER_SCRATCHPAD },
          }),
        );
        break;
      default:
        // Wired in as each driver lands.
        break;
    }
  }
  return drivers;
}
