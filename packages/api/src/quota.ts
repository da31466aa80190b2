import type { InstanceInfo } from "@launcher/drivers";

/** Which limit a new launch would pass: the user's own, or the whole launcher's. */
export type QuotaScope = "user" | "global";

/** A new launch would exceed a quota; on the wire as `FORBIDDEN` with `data.quota`. */
export class QuotaError extends Error {
  override readonly name = "QuotaError";
  constructor(
    readonly scope: QuotaScope,
    readonly limit: number,
    readonly used: number,
  ) {
    super(
      scope === "user"
        ? `You have ${used} instances, the most one user may have (${limit}). Destroy one of them, then launch again: this launch is kept.`
        : `The launcher runs ${used} instances, the most it allows (${limit}). Destroy one of yours or wait for one to end, then launch again: this launch is kept.`,
    );
  }
}

/** A slot held for a new instance while its `ensure` runs (see `Quotas.admit`). */
export interface Admission {
  /**
   * `ensure` has ended, started or failed: from now on the platforms show what is left of the
   * instance (a failed one does not count), so the slot goes as soon as no listing begun
   * before now is still under way. Calling it again does nothing.
   */
  end(): void;
}

export interface QuotasOptions {
  /** The most instances one user may have that are not failed. */
  perUser: number;
  /** The most instances the launcher may run in all that are not failed. */
  global: number;
  /** Every instance the platforms list now (failed ones too). */
  list: () => Promise<Pick<InstanceInfo, "id" | "owner" | "phase">[]>;
}

/**
 * Counts instances on the platforms (not failed) plus the new ones this process is starting,
 * and refuses a new one past a limit.
 *
 * Exact within one process, however many follows start at once: a slot is reserved in memory
 * as soon as a new launch is admitted, and stays counted until a listing that began after its
 * `ensure` ended would see the instance itself (a listing already under way might not). With
 * several replicas each may admit one more before the others' instances are listed.
 */
export interface Quotas {
  /**
   * Admits the launch of instance `id` for `owner`, or throws `QuotaError`. An instance the
   * platforms already list, or that another follow in this process is starting, is not new:
   * it is admitted without counting it twice.
   */
  admit(owner: string, id: string): Promise<Admission>;
  /** How many slots are held now (for tests and metrics). */
  readonly held: number;
}

interface Slot {
  owner: string;
  id: string;
  /** The number of the last listing begun before its `ensure` ended; unset while it runs. */
  endedAt?: number;
}

/**
 * @example
 * const quotas = createQuotas({ perUser: 3, global: 100, list: async () => (await lister.list()).instances });
 * const admission = await quotas.admit("ada", id); // throws QuotaError past a limit
 * try { await driver.ensure(spec, env, signal); } finally { admission.end(); }
 */
export function createQuotas(options: QuotasOptions): Quotas {
  const { perUser, global } = options;
  const slots = new Set<Slot>();
  // Listings are numbered as they begin. One begun after a slot's `ensure` ended sees the
  // instance itself; one begun before might not, so the slot counts for it and is kept meanwhile.
  let begun = 0;
  const underWay = new Set<number>();
  const missedBy = (slot: Slot, listing: number) =>
    slot.endedAt === undefined || slot.endedAt >= listing;

  const forgetListed = () => {
    const oldest = Math.min(begun + 1, ...underWay);
    for (const slot of slots) if (!missedBy(slot, oldest)) slots.delete(slot);
  };

  /** Lists, numbered; the caller counts before anything else runs, then calls `forgetListed`. */
  const listing = async () => {
    const number = ++begun;
    underWay.add(number);
    try {
      return { number, listed: await options.list() };
    } finally {
      underWay.delete(number);
    }
  };

  return {
    async admit(owner, id) {
      const { number, listed } = await listing();
      // From here to the return, no await: counting and reserving are one step.
      const mine = new Set<string>();
      const everyone = new Set<string>();
      for (const info of listed) {
        if (info.phase === "failed") continue;
        everyone.add(info.id);
        if (info.owner === owner) mine.add(info.id);
      }
      for (const slot of slots) {
        if (!missedBy(slot, number)) continue;
        everyone.add(slot.id);
        if (slot.owner === owner) mine.add(slot.id);
      }
      forgetListed();
      const known = everyone.has(id) || listed.some((info) => info.id === id);
      if (!known) {
        if (mine.size >= perUser) throw new QuotaError("user", perUser, mine.size);
        if (everyone.size >= global) throw new QuotaError("global", global, everyone.size);
      }
      const slot: Slot = { owner, id };
      slots.add(slot);
      return {
        end() {
          if (slot.endedAt !== undefined) return;
          slot.endedAt = begun;
          forgetListed();
        },
      };
    },
    get held() {
      return slots.size;
    },
  };
}
