import type { DestroyReason } from "../driver.ts";
import { DriverError } from "../driver.ts";
import type { FlyPlatform, FlySecret } from "./fly-platform.ts";

/**
 * Where Fly tombstones live, and why there.
 *
 * Each instance is one Fly app (`<prefix>-<id>`, so its generated secrets are that app's
 * secrets and never sit in a machine's plain env). A tombstone must outlive that app — and
 * must not need one: destroying a ticket that was only prepared would otherwise create a
 * whole Fly app just to say "destroyed", which anyone holding a ticket could repeat.
 *
 * So every tombstone is one *secret name* in one long-lived app per launcher deployment (the
 * "tombstone app", created on the first destroy, never given a machine):
 *
 *   LAUNCHER_DESTROYED_<ID>   or   LAUNCHER_EXPIRED_<ID>      (ID: the instance id, upper case)
 *
 * - The name alone carries everything: the id and the reason. The value is only the time of
 *   destruction; Fly never returns secret values, and none is needed. No generated secret is
 *   ever in it.
 * - Its `created_at` (the platform's clock) dates it: `sweep` unsets names older than the
 *   tombstone lifetime, and only once the instance's app is gone.
 * - Writing it is one idempotent call that adds no platform object per instance. A second
 *   destroy keeps the first name and reason.
 * - Reading it is one call (the tombstone app's secret list), shared by `ensure`, `observe`,
 *   `list` and `sweep`; a missing tombstone app means no tombstones yet.
 *
 * Once the tombstone is written, `destroy` deletes the instance's machines, waits until none
 * runs, and deletes the instance's app (its secrets and IPs go with it). A follow of the
 * ticket afterwards reads the tombstone and ends `destroyed`; `ensure` never creates it again.
 */
export interface FlyTombstone {
  id: string;
  reason: DestroyReason;
  /** When it was written, epoch ms (the platform's clock). */
  at: number;
  /** The secret's name, to unset it. */
  name: string;
}

const NAME = /^LAUNCHER_(DESTROYED|EXPIRED)_([0-9A-F]{32})$/;

export const tombstoneSecretName = (id: string, reason: DestroyReason): string =>
  `LAUNCHER_${reason.toUpperCase()}_${id.toUpperCase()}`;

/** The tombstones in a list of secrets, by instance id (the oldest one wins). */
export function parseTombstones(secrets: readonly FlySecret[]): Map<string, FlyTombstone> {
  const found = new Map<string, FlyTombstone>();
  for (const secret of secrets) {
    const match = NAME.exec(secret.name ?? "");
    if (!match) continue;
    const id = match[2]!.toLowerCase();
    const at = Math.max(0, Date.parse(secret.created_at ?? "") || 0);
    const previous = found.get(id);
    if (previous && previous.at <= at) continue;
    found.set(id, {
      id,
      reason: match[1] === "EXPIRED" ? "expired" : "destroyed",
      at,
      name: secret.name!,
    });
  }
  return found;
}

/** Reads and writes the tombstones in the tombstone app. */
export function createTombstoneStore(platform: FlyPlatform, app: string, org: string) {
  async function read(signal?: AbortSignal): Promise<Map<string, FlyTombstone>> {
    return parseTombstones((await platform.listSecrets(app, signal)) ?? []);
  }

  /** Creates the tombstone app, refusing a name that another organization holds. */
  async function createApp(): Promise<void> {
    await platform.createApp(app);
    const owner = await platform.appOrg(app);
    if (owner !== undefined && owner !== org) {
      throw new DriverError(
        "platform",
        `The Fly app name ${app} belongs to another organization; choose another tombstone app`,
      );
    }
  }

  return {
    app,
    read,
    async write(id: string, reason: DestroyReason): Promise<void> {
      if ((await read()).has(id)) return;
      const values = { [tombstoneSecretName(id, reason)]: String(Date.now()) };
      if (await platform.setSecrets(app, values)) return;
      await createApp();
      if (!(await platform.setSecrets(app, values))) {
        throw new DriverError("platform", `Fly.io lost the tombstone app ${app}`);
      }
    },
    /** Unsets tombstones (by secret name) in one call. */
    async remove(names: readonly string[]): Promise<void> {
      if (names.length === 0) return;
      await platform.setSecrets(app, Object.fromEntries(names.map((name) => [name, null])));
    },
  };
}

export type TombstoneStore = ReturnType<typeof createTombstoneStore>;
