import type { InstanceInfo } from "@launcher/drivers";
import { DriverError } from "@launcher/drivers";

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

/** A slot held for a new instance from its admission until its `ensure` has ended. */
export interface Admission {
  /**
   * Resolves when the instance may start: at once for one the platforms already list; for a
   * new one, once no instance this process started before it is missing from the listings, and
   * a listing begun after that still leaves room (else `QuotaError`, as another replica took
   * the room meanwhile). Rejects with `signal`'s reason when it aborts, and with an
   * `unavailable` `DriverError` when the earlier instance stays unlisted for `maxWaitMs`.
   */
  turn(signal: AbortSignal): Promise<void>;
  /**
   * `ensure` has ended, started or failed (or the launch gave up before its turn): from now on
   * the platforms show what is left of the instance (a failed one does not count), so the slot
   * goes as soon as no listing begun before now is still under way. Calling it again does nothing.
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
  /** How long a new launch may wait for its turn (see `Admission.turn`). Default 5 min. */
  maxWaitMs?: number;
}

/**
 * Counts instances on the platforms (not failed) plus the new ones this process is starting,
 * and refuses a new one past a limit.
 *
 * - Exact within one process, however many follows start at once: `admit` reserves a slot in
 *   memory (or refuses) in one step with its count, and the slot stays counted until a listing
 *   begun after its `ensure` ended would see the instance itself.
 * - At most one more per extra replica: a replica's count misses only the other replicas'
 *   instances that are started but not listed yet, and each replica keeps at most one such
 *   instance, in all: a new one starts (its `turn`) only when every instance this process
 *   started before is listed or has ended its `ensure`, and only if a listing begun after
 *   that still leaves room. Why that is enough: take the instances that run at some moment,
 *   and among them X, the one whose deciding listing began last. Every other one of X's
 *   replica was counted for X (listed, or a slot). Another replica's instance that X's listing
 *   missed was not listed yet when that listing began, so that replica decided its next new
 *   one on a listing begun later still: none of those runs (X's began last). So X's count
 *   missed at most one per other replica, and at most limit − 1 + 1 + (replicas − 1) run.
 *
 * @example
 * const quotas = createQuotas({ perUser: 3, global: 100, list: async () => (await lister.list()).instances });
 * const admission = await quotas.admit("ada", id); // throws QuotaError past a limit
 * try { await admission.turn(signal); await driver.ensure(spec, env, signal); } finally { admission.end(); }
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
  /** The admissions not yet ended. */
  holders: number;
  /** Past its turn: its `ensure` may run. */
  started: boolean;
  /** Seen in a listing that has answered (then its turn was not needed, or it started). */
  listed: boolean;
  /** The number of the last listing begun before its `ensure` ended; unset while it runs. */
  endedAt?: number;
  /** Settles at its turn: started, or refused. */
  turn: Promise<void>;
  settle(refusal?: QuotaError): void;
}

const FIRST_POLL_MS = 5;
const LAST_POLL_MS = 500;

export function createQuotas(options: QuotasOptions): Quotas {
  const { perUser, global } = options;
  const maxWaitMs = options.maxWaitMs ?? 300_000;
  const slots = new Set<Slot>();
  /** New launches waiting for their turn, oldest first. */
  const queue: Slot[] = [];
  // Listings are numbered as they begin. One begun after a slot's `ensure` ended sees the
  // instance itself; one begun before might not, so the slot counts for it and is kept meanwhile.
  let begun = 0;
  const underWay = new Set<number>();
  const missedBy = (slot: Slot, listing: number) =>
    slot.endedAt === undefined || slot.endedAt >= listing;
  const wakers = new Set<() => void>();
  const wake = () => {
    for (const done of [...wakers]) done();
  };

  const forgetListed = () => {
    const oldest = Math.min(begun + 1, ...underWay);
    for (const slot of slots) if (!missedBy(slot, oldest)) slots.delete(slot);
  };

  /** Lists, numbered, and marks the started slots it shows; the caller counts before any await. */
  const listing = async () => {
    const number = ++begun;
    underWay.add(number);
    try {
      const listed = await options.list();
      const ids = new Set(listed.map((info) => info.id));
      for (const slot of slots) if (slot.started && ids.has(slot.id)) slot.listed = true;
      return { number, listed, ids };
    } finally {
      underWay.delete(number);
      wake();
    }
  };

  /** The instances `owner` and everyone have on a listing plus the slots it may miss. */
  const count = (
    listed: Awaited<ReturnType<typeof listing>>,
    owner: string,
    counts: (slot: Slot) => boolean,
  ) => {
    const mine = new Set<string>();
    const everyone = new Set<string>();
    const add = (id: string, of: string) => {
      everyone.add(id);
      if (of === owner) mine.add(id);
    };
    for (const info of listed.listed) if (info.phase !== "failed") add(info.id, info.owner);
    for (const slot of slots) {
      if (counts(slot) && missedBy(slot, listed.number)) add(slot.id, slot.owner);
    }
    return { mine, everyone };
  };

  const check = ({ mine, everyone }: ReturnType<typeof count>) => {
    if (mine.size >= perUser) return new QuotaError("user", perUser, mine.size);
    if (everyone.size >= global) return new QuotaError("global", global, everyone.size);
    return undefined;
  };

  /** Resolves after `ms`, or sooner when a slot ends or a listing answers. */
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref?.();
      wakers.add(done);
    });

  /** A started instance this process cannot see on the platforms yet. */
  const unlisted = () =>
    [...slots].some((slot) => slot.started && !slot.listed && slot.endedAt === undefined);

  /** Gives each waiting launch its turn, one at a time (see `Quotas`). */
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      for (let poll = FIRST_POLL_MS; queue.length > 0; ) {
        const head = queue[0]!;
        if (head.holders === 0) {
          queue.shift();
          continue;
        }
        if (unlisted()) {
          await nap(poll);
          poll = Math.min(poll * 2, LAST_POLL_MS);
          if (unlisted()) await listing().then(forgetListed, () => {});
          continue;
        }
        // Begun after every earlier start was listed (or ended): its decision is the one to keep.
        const seen = await listing().catch(() => undefined);
        if (!seen) {
          await nap(poll); // the platforms did not answer: a pause, then again
          poll = Math.min(poll * 2, LAST_POLL_MS);
          continue;
        }
        poll = FIRST_POLL_MS;
        // From here to the end of the turn, no await: counting and starting are one step.
        const counted = count(seen, head.owner, (slot) => slot.started);
        forgetListed();
        if (head.holders === 0) continue;
        queue.shift();
        // Started by another replica meanwhile, it is not new any more.
        const refusal = seen.ids.has(head.id) ? undefined : check(counted);
        if (refusal) slots.delete(head);
        else head.started = true;
        head.listed = seen.ids.has(head.id);
        head.settle(refusal);
      }
    } finally {
      running = false;
    }
  };

  const admissionOf = (slot: Slot): Admission => {
    let ended = false;
    return {
      turn(signal) {
        return new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () =>
              finish(
                new DriverError(
                  "unavailable",
                  "Another launch on this server is still being created. Try again in a moment: this launch is kept.",
                ),
              ),
            maxWaitMs,
          );
          timer.unref?.();
          const onAbort = () => finish(signal.reason);
          const finish = (error?: unknown) => {
            clearTimeout(timer);
            signal.removeEventListener("abort", onAbort);
            if (error === undefined) resolve();
            else reject(error);
          };
          if (signal.aborted) return onAbort();
          signal.addEventListener("abort", onAbort, { once: true });
          slot.turn.then(() => finish(), finish);
        });
      },
      end() {
        if (ended) return;
        ended = true;
        if (--slot.holders > 0) return;
        if (slot.started) slot.endedAt = begun;
        else slots.delete(slot);
        forgetListed();
        wake();
      },
    };
  };

  return {
    async admit(owner, id) {
      const seen = await listing();
      // From here to the return, no await: counting and reserving are one step.
      const counted = count(seen, owner, () => true);
      forgetListed();
      const same = [...slots].find((slot) => slot.id === id && slot.holders > 0);
      if (same) {
        same.holders++;
        return admissionOf(same);
      }
      const known = seen.ids.has(id) || counted.everyone.has(id);
      if (!known) {
        const refusal = check(counted);
        if (refusal) throw refusal;
      }
      let settle!: Slot["settle"];
      const turn = new Promise<void>((resolve, reject) => {
        settle = (refusal) => (refusal ? reject(refusal) : resolve());
      });
      turn.catch(() => {}); // a turn nobody waits for is no error
      const slot: Slot = { owner, id, holders: 1, started: known, listed: known, turn, settle };
      slots.add(slot);
      if (known) slot.settle();
      else {
        queue.push(slot);
        void run();
      }
      return admissionOf(slot);
    },
    get held() {
      return slots.size;
    },
  };
}
