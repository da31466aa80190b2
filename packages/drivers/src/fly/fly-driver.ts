import { cacheFor } from "../availability-cache.ts";
import { type Availability, type Driver, DriverError } from "../driver.ts";
import { createRemoteDriver } from "../remote-driver.ts";
import { DEFAULT_RETRY, type RetryOptions } from "../retry.ts";
import { createFlyApi } from "./fly-api.ts";
import { listFly, sweepFly } from "./fly-inventory.ts";
import { describeFly, type FlyFacts, pickMachine } from "./fly-observation.ts";
import { createFlyPlatform, isGoing } from "./fly-platform.ts";
import { createTombstoneStore } from "./fly-tombstones.ts";
import { createWaitFeed } from "./fly-wait-feed.ts";
import { META, machineRequest } from "./machine-config.ts";

export interface FlyDriverOptions {
  /** The Fly.io API token (`FLY_API_TOKEN`). Without it the driver is unavailable. */
  token?: string;
  /** The organization slug apps are created in (`FLY_ORG`). */
  org: string;
  /** The region machines run in (`FLY_REGION`), e.g. `fra`. */
  region: string;
  /** Default `https://api.machines.dev` (`FLY_API_URL`). */
  apiUrl?: string;
  /** Instance apps are named `<appPrefix>-<instance id>`. Default `launcher`. */
  appPrefix?: string;
  /**
   * The one app that holds every tombstone (`FLY_TOMBSTONE_APP`); Fly app names are global,
   * so pick one nobody else has. Default `<appPrefix>-tombstones-<org>`.
   */
  tombstoneApp?: string;
  /** Tombstones older than this are removed by `sweep` (seconds). Default 7 days. */
  tombstoneTtlSeconds?: number;
  /**
   * An instance app that never got a machine (its launch died before) is removed by `sweep`
   * once its secrets are this old (seconds). Default 3,600.
   */
  orphanGraceSeconds?: number;
  fetch?: typeof fetch;
  retry?: RetryOptions;
  /** How often `observe` re-reads an instance between changes. Default 2,000 ms. */
  pollIntervalMs?: number;
  /** The `timeout` of each `wait?state=started` call, in seconds, at most 60. Default 60. */
  waitTimeoutSeconds?: number;
  /** How long `destroy` waits for the machine to be gone before leaving it to `sweep`. Default 120 s. */
  destroyTimeoutMs?: number;
}

/** Set on an instance's app when its launch failed before a machine existed (its value: a time). */
export const FLY_FAILED_SECRET = "LAUNCHER_FAILED";

/**
 * The Fly.io driver: one Fly app per instance (so the generated secrets are that app's
 * secrets and never sit in a machine's plain `env`), one machine in it carrying the owner,
 * template and lifetime in its metadata, reached at `https://<app>.fly.dev/`. Tombstones live
 * in one shared app (see `fly-tombstones.ts`).
 *
 * @example
 * const driver = createFlyDriver({ token: env.FLY_API_TOKEN, org: "personal", region: "fra" });
 * await driver.ensure(spec, secrets, signal);
 * for await (const observation of driver.observe(spec.id, signal)) console.log(observation.phase);
 */
export function createFlyDriver(options: FlyDriverOptions): Driver {
  const prefix = options.appPrefix ?? "launcher";
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const waitTimeoutSeconds = Math.min(60, Math.max(1, options.waitTimeoutSeconds ?? 60));
  const apiUrl = options.apiUrl ?? "https://api.machines.dev";
  const doFetch = options.fetch ?? globalThis.fetch;
  const connect = (retry: RetryOptions) => {
    if (!options.token) throw new DriverError("unavailable", "FLY_API_TOKEN is not set");
    const api = createFlyApi({
      token: options.token,
      apiUrl,
      fetch: doFetch,
      retry: { ...DEFAULT_RETRY, ...retry },
    });
    return createFlyPlatform(api, options.org);
  };
  let connected: ReturnType<typeof connect> | undefined;
  const platform = () => {
    connected ??= connect(options.retry ?? {});
    return connected;
  };
  let store: ReturnType<typeof createTombstoneStore> | undefined;
  const tombstones = () => {
    store ??= createTombstoneStore(
      platform(),
      options.tombstoneApp ?? `${prefix}-tombstones-${options.org}`,
      options.org,
    );
    return store;
  };
  // Ids are checked by the shared driver before any name is built from them.
  const appName = (id: string): string => `${prefix}-${id}`;

  /** Everything Fly knows about one instance. Read-only. */
  async function readFacts(id: string, signal?: AbortSignal): Promise<FlyFacts> {
    const app = appName(id);
    const [machines, graves] = await Promise.all([
      platform().listMachines(app, { metadata: { [META.id]: id }, includeDeleted: true }, signal),
      tombstones().read(signal),
    ]);
    const machine = machines && pickMachine(machines, id);
    const tombstone = graves.get(id);
    let failedBeforeMachineAt: number | undefined;
    if (machines && !machine && !tombstone) {
      const mark = (await platform().listSecrets(app, signal))?.find(
        (secret) => secret.name === FLY_FAILED_SECRET,
      );
      if (mark) failedBeforeMachineAt = Date.parse(mark.created_at ?? "") || 2;
    }
    return {
      app,
      appExists: machines !== undefined,
      machine,
      tombstone,
      failedBeforeMachineAt,
      now: Date.now(),
    };
  }

  /** Force-deletes every machine of the instance's app that is not going already. */
  async function stopMachines(app: string): Promise<void> {
    for (const machine of (await platform().listMachines(app)) ?? []) {
      if (!isGoing(machine)) await platform().destroyMachine(app, machine.id);
    }
  }

  const available = cacheFor(10_000, async (): Promise<Availability> => {
    if (!options.token) return { available: false, reason: "FLY_API_TOKEN is not set" };
    try {
      await connect({ retries: 0 }).listApps(AbortSignal.timeout(3000));
      return { available: true, detail: `Fly.io org ${options.org}, region ${options.region}` };
    } catch (error) {
      if (error instanceof DriverError && error.code === "refused") {
        return { available: false, reason: error.message };
      }
      return { available: false, reason: `Fly.io did not answer at ${apiUrl}` };
    }
  });

  return createRemoteDriver<FlyFacts>({
    name: "fly",
    label: "Fly.io",
    readFacts,
    describe: describeFly,
    changes(id) {
      const feed = createWaitFeed({
        platform: platform(),
        app: appName(id),
        waitTimeoutSeconds,
        retryMs: pollIntervalMs,
      });
      return {
        seen: (facts) => feed.seen(facts.machine),
        subscribe: (wake) => feed.subscribe(wake),
      };
    },
    pollIntervalMs,
    tombstoned: async (id, signal) => (await tombstones().read(signal)).has(id),
    async create(spec, env, signal) {
      const app = appName(spec.id);
      const known = await readFacts(spec.id, signal);
      // A machine exists (live or destroyed), or the launch failed for good: nothing to create.
      if (known.machine || known.failedBeforeMachineAt !== undefined) return;
      if (!known.appExists) await platform().createApp(app);
      signal.throwIfAborted();
      const secrets = await platform().setSecrets(app, { ...env });
      if (!secrets) throw new DriverError("not_found", `The Fly app ${app} was deleted meanwhile`);
      await platform().ensureIps(app);
      signal.throwIfAborted();
      // A destroy may have begun while the app was set up: it wins.
      if ((await tombstones().read(signal)).has(spec.id)) return;
      await platform().createMachine(
        app,
        machineRequest({
          app,
          region: options.region,
          spec,
          secretNames: new Set(Object.keys(env)),
          minSecretsVersion: secrets.version,
        }),
      );
    },
    async undo(id) {
      await stopMachines(appName(id));
      await platform().deleteApp(appName(id));
    },
    async recordReady(id, signal) {
      const { machine } = await readFacts(id, signal);
      if (!machine || isGoing(machine) || machine.config?.metadata?.[META.ready]) return;
      await platform().setMetadata(appName(id), machine.id, META.ready, new Date().toISOString());
    },
    async recordFailure(id, reason) {
      const app = appName(id);
      const facts = await readFacts(id);
      const { machine } = facts;
      if (facts.tombstone || !facts.appExists || facts.failedBeforeMachineAt !== undefined) return;
      if (!machine) {
        await platform().setSecrets(app, { [FLY_FAILED_SECRET]: String(Date.now()) });
        return;
      }
      // Already at its end (ready, failed, destroyed): the platform's own word stands.
      if (machine.config?.metadata?.[META.failed] || describeFly(facts).phase === "ready") return;
      if (isGoing(machine)) return;
      await platform().setMetadata(app, machine.id, META.failed, reason.slice(0, 500));
    },
    destroySteps: (id, reason) => ({
      writeTombstone: () => tombstones().write(id, reason),
      teardown: () => stopMachines(appName(id)),
      // The app holds the generated secrets and the IPs: it goes once nothing runs in it.
      cleanUp: () => platform().deleteApp(appName(id)),
    }),
    destroyTimeoutMs: options.destroyTimeoutMs ?? 120_000,
    available,
    async list() {
      if (!options.token) return [];
      return listFly({ platform: platform(), tombstones: tombstones(), prefix });
    },
    async sweep(destroy) {
      if (!options.token) return;
      await sweepFly({
        platform: platform(),
        tombstones: tombstones(),
        prefix,
        tombstoneTtlSeconds: options.tombstoneTtlSeconds ?? 7 * 86_400,
        orphanGraceSeconds: options.orphanGraceSeconds ?? 3600,
        destroy,
      });
    },
  });
}
