import type { DestroyReason, InstanceInfo } from "../driver.ts";
import { flyInstanceInfo, pickMachine } from "./fly-observation.ts";
import type { FlyAppSummary, FlyPlatform } from "./fly-platform.ts";
import type { TombstoneStore } from "./fly-tombstones.ts";
import { META } from "./machine-config.ts";

/** At most this many Machines API calls at once while listing or sweeping. */
const CONCURRENCY = 4;

interface Inventory {
  platform: FlyPlatform;
  tombstones: TombstoneStore;
  prefix: string;
}

/** The instance apps among the org's apps, with their instance ids. */
function instanceApps(apps: readonly FlyAppSummary[], prefix: string) {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const name = new RegExp(`^${escaped}-([0-9a-f]{32})$`);
  return apps.flatMap((app) => {
    const id = name.exec(app.name)?.[1];
    return id ? [{ ...app, id }] : [];
  });
}

/**
 * Every instance Fly holds that is not destroyed: one call for the org's apps, one for the
 * tombstones, then one per instance app with a machine (its metadata names owner, template
 * and lifetime). An app without a live machine is a launch that never got one: not listed.
 */
export async function listFly(inventory: Inventory): Promise<InstanceInfo[]> {
  const { platform, tombstones, prefix } = inventory;
  const [apps, graves] = await Promise.all([platform.listApps(), tombstones.read()]);
  const now = Date.now();
  const found = await mapLimit(
    instanceApps(apps, prefix).filter((app) => app.machine_count !== 0),
    async (app) => {
      const machines = await platform.listMachines(app.name, { metadata: { [META.id]: app.id } });
      return flyInstanceInfo({
        app: app.name,
        appExists: machines !== undefined,
        machine: machines && pickMachine(machines, app.id),
        tombstone: graves.get(app.id),
        now,
      });
    },
  );
  return found.filter((info): info is InstanceInfo => info !== undefined);
}

/**
 * Housekeeping, safe in several replicas at once (every step is idempotent):
 *
 * - an instance app still there under a tombstone (a destroy cut short) is destroyed again;
 * - a tombstone past its lifetime whose app is gone is unset;
 * - an instance app with no live machine and no tombstone — a launch that died before its
 *   machine, or a machine Fly destroyed by itself — is destroyed once its secrets are older
 *   than the grace period (or at once when Fly destroyed the machine), so no app holding
 *   generated secrets outlives every way to list or reap it.
 */
export async function sweepFly(
  inventory: Inventory & {
    tombstoneTtlSeconds: number;
    orphanGraceSeconds: number;
    destroy(id: string, reason: DestroyReason): Promise<void>;
  },
): Promise<void> {
  const { platform, tombstones, prefix, destroy } = inventory;
  const [apps, graves] = await Promise.all([platform.listApps(), tombstones.read()]);
  const now = Date.now();
  const ours = instanceApps(apps, prefix);
  const standing = new Set(ours.map((app) => app.id));
  const stale: string[] = [];
  const halfDone: { id: string; reason: DestroyReason }[] = [];
  for (const grave of graves.values()) {
    if (standing.has(grave.id)) halfDone.push(grave);
    else if (now - grave.at > inventory.tombstoneTtlSeconds * 1000) stale.push(grave.name);
  }
  const errors: unknown[] = [];
  const attempt = (work: () => Promise<unknown>) => work().catch((error) => errors.push(error));
  await mapLimit(halfDone, (grave) => attempt(() => destroy(grave.id, grave.reason)));
  await attempt(() => tombstones.remove(stale));

  const idle = ours.filter((app) => !graves.has(app.id) && app.machine_count === 0);
  await mapLimit(idle, (app) =>
    attempt(async () => {
      const machines = await platform.listMachines(app.name, { includeDeleted: true });
      if (machines === undefined) return; // deleted meanwhile
      const machine = pickMachine(machines, app.id);
      if (machine && machine.state !== "destroyed") return; // created since the apps were listed
      if (machine) return destroy(app.id, "destroyed");
      const secrets = (await platform.listSecrets(app.name)) ?? [];
      const times = secrets.map((s) => Date.parse(s.created_at ?? "")).filter(Number.isFinite);
      if (times.length === 0) return; // no secret yet: a launch may be setting it up right now
      if (now - Math.min(...times) > inventory.orphanGraceSeconds * 1000) {
        await destroy(app.id, "expired");
      }
    }),
  );
  // One instance that cannot be swept now does not hold back the others; the caller hears of it.
  if (errors.length > 0) throw errors[0];
}

/** Runs `fn` over `items`, at most CONCURRENCY at once, in order of results. */
async function mapLimit<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return results;
}
