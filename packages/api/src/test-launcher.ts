import { generateKey, parseKeyring } from "@launcher/crypto-token";
import { TemplateSchema } from "@launcher/drivers";
import type { LauncherDeps } from "./deps.ts";
import { createFakeDriver, type FakeDriver } from "./fake-driver.ts";
import { createInstanceLister } from "./instance-lister.ts";
import { createLaunchSessions } from "./launch-session.ts";
import { createObservationHub } from "./observation-hub.ts";
import { createQuotas } from "./quota.ts";
import { createRateLimiter } from "./rate-limit.ts";
import { appRouter } from "./root.ts";
import { createCallerFactory } from "./trpc.ts";

/** The template of the API's many-user tests. */
export const demoTemplate = TemplateSchema.parse({
  id: "demo",
  name: "Demo",
  description: "test",
  secrets: [{ name: "password", env: "DEMO_PASSWORD", credential: true }],
  drivers: {
    local: { command: ["true"], healthPath: "/" },
    docker: { image: "demo:latest", port: 8080, healthPath: "/" },
  },
});

export interface TestLauncherOptions {
  /** The platforms, each a fake driver named as a real one (`local` first, the default). */
  drivers?: FakeDriver[];
  admins?: string[];
  quotas?: { perUser: number; global: number };
  /** As with `LAUNCHER_AUTH=none`: the one user, `local`, is an admin (as the server says). */
  singleUser?: boolean;
  /** Destroys per address per minute. */
  destroyLimit?: number;
}

/**
 * The API over fake platforms, called in-process as any user (`as("ada")`): what the server
 * builds, without HTTP. `close` stops every launch session.
 */
export async function createTestLauncher(options: TestLauncherOptions = {}) {
  const drivers = options.drivers ?? [createFakeDriver("local")];
  const logger = { info() {}, warn() {}, error() {} };
  const driverMap = new Map(drivers.map((d) => [d.name, d]));
  const instances = createInstanceLister({ drivers: driverMap, logger });
  const unlimited = () => createRateLimiter({ perMinute: 100_000, burst: 100_000 });
  const deps: LauncherDeps = {
    keyring: await parseKeyring(`k1:${generateKey()}`),
    drivers: driverMap,
    templates: [demoTemplate],
    defaultTemplate: demoTemplate.id,
    defaultDriver: drivers[0]!.name,
    ticketMaxAge: 3600,
    launches: createLaunchSessions({ hub: createObservationHub(), lingerMs: 0 }),
    limits: {
      unseal: unlimited(),
      prepare: unlimited(),
      destroy: options.destroyLimit
        ? createRateLimiter({ perMinute: options.destroyLimit, burst: options.destroyLimit })
        : unlimited(),
      follow: unlimited(),
      followInstance: unlimited(),
    },
    instances,
    quotas: options.quotas
      ? createQuotas({ ...options.quotas, list: async () => (await instances.list()).instances })
      : undefined,
    logger,
    version: "test",
  };
  const factory = createCallerFactory(appRouter);
  const admins = new Set([...(options.admins ?? []), ...(options.singleUser ? ["local"] : [])]);
  return {
    deps,
    drivers,
    /** A caller signed in as `user`. */
    as: (user: string) =>
      factory({ deps, clientAddress: "127.0.0.1", user, admin: admins.has(user) }),
    close: () => deps.launches.close(),
  };
}

/** Follows to the end: every snapshot, or the error the follow was refused or ended with. */
export async function followToEnd(events: AsyncIterable<unknown>) {
  const snapshots: { phase: string; version: number; message?: string }[] = [];
  try {
    for await (const event of events) {
      const [, snapshot] = event as [string, { phase: string; version: number; message?: string }];
      snapshots.push(snapshot);
    }
    return { snapshots, phases: snapshots.map((s) => s.phase), error: undefined };
  } catch (error) {
    return { snapshots, phases: snapshots.map((s) => s.phase), error };
  }
}
