import type { Phase } from "@launcher/drivers";
import { DriverError } from "@launcher/drivers";
import { waitFor } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { createQuotas, QuotaError, type Quotas } from "./quota.ts";

type Listed = { id: string; owner: string; phase: Phase };
const id = (n: number) => n.toString(16).padStart(32, "0");

/** A platform the test fills; each listing can be held open until the test lets it answer. */
function platform() {
  const instances: Listed[] = [];
  let hold: Promise<void> | undefined;
  const self = {
    instances,
    add: (n: number, owner: string, phase: Phase = "ready") =>
      instances.push({ id: id(n), owner, phase }),
    /** Listings begun from now on see the platform as it is now, but answer only on `release`. */
    holdListings() {
      let release!: () => void;
      hold = new Promise((resolve) => {
        release = resolve;
      });
      return () => {
        hold = undefined;
        release();
      };
    },
    /** How many listings have begun. */
    listings: 0,
    list: async () => {
      self.listings++;
      const seen = [...instances];
      if (hold) await hold;
      return seen;
    },
  };
  return self;
}

/** A follower who never leaves. */
const never = new AbortController().signal;

/** Admits instance `n` of `owner` and lets it start, as a launch session does. */
async function start(quotas: Quotas, owner: string, n: number) {
  const admission = await quotas.admit(owner, id(n));
  await admission.turn(never);
  return admission;
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

/** A process that started ada's instance 1 (not listed yet) and admitted her instance 2. */
async function oneStartedOneWaiting(options: { perUser?: number; maxWaitMs?: number } = {}) {
  const p = platform();
  const { perUser = 3, maxWaitMs } = options;
  const quotas = createQuotas({ perUser, global: 100, list: p.list, maxWaitMs });
  const first = await quotas.admit("ada", id(1));
  const second = await quotas.admit("ada", id(2));
  await first.turn(never);
  return { p, quotas, first, second };
}

describe("quotas", () => {
  it("refuse a user's new instance at the limit, counting what is not failed", async () => {
    const p = platform();
    p.add(1, "ada");
    p.add(2, "ada", "starting");
    p.add(3, "ada", "failed");
    p.add(4, "bob");
    const quotas = createQuotas({ perUser: 3, global: 100, list: p.list });
    await quotas.admit("ada", id(10));
    p.add(10, "ada");
    const error = await refusal(quotas.admit("ada", id(11)));
    expect(error).toBeInstanceOf(QuotaError);
    expect(error).toMatchObject({ scope: "user", limit: 3, used: 3 });
    expect((error as Error).message).toMatch(/Destroy one of them, then launch again/);
    // Another user still may.
    await quotas.admit("bob", id(12));
  });

  it("refuse anyone's new instance when the launcher is full", async () => {
    const p = platform();
    for (let n = 1; n <= 4; n++) p.add(n, `user${n}`);
    const quotas = createQuotas({ perUser: 3, global: 4, list: p.list });
    const error = await refusal(quotas.admit("ada", id(10)));
    expect(error).toMatchObject({ scope: "global", limit: 4, used: 4 });
    expect((error as Error).message).toMatch(/then launch again/);
  });

  it("admit an instance the platform already lists, even at the limit", async () => {
    const p = platform();
    for (let n = 1; n <= 3; n++) p.add(n, "ada");
    const quotas = createQuotas({ perUser: 3, global: 3, list: p.list });
    const admission = await quotas.admit("ada", id(2));
    // Already there: no turn to wait for.
    await expect(admission.turn(never)).resolves.toBeUndefined();
    admission.end();
  });

  it("stay exact when one user starts many launches at once", async () => {
    const p = platform();
    p.add(1, "ada");
    const quotas = createQuotas({ perUser: 3, global: 100, list: p.list });
    const release = p.holdListings();
    const attempts = Array.from({ length: 10 }, (_, n) =>
      refusal(quotas.admit("ada", id(100 + n))),
    );
    release();
    const errors = await Promise.all(attempts);
    expect(errors.filter((e) => e === undefined)).toHaveLength(2);
    for (const error of errors.filter((e) => e !== undefined)) {
      expect(error).toMatchObject({ scope: "user", limit: 3, used: 3 });
    }
    expect(quotas.held).toBe(2);
  });

  it("count the same new launch once when it is followed twice", async () => {
    const p = platform();
    p.add(1, "ada");
    p.add(2, "ada");
    const quotas = createQuotas({ perUser: 3, global: 100, list: p.list });
    const first = await quotas.admit("ada", id(9));
    const second = await quotas.admit("ada", id(9));
    second.end();
    const error = await refusal(quotas.admit("ada", id(10)));
    expect(error).toMatchObject({ scope: "user", used: 3 });
    first.end();
  });

  it("keep a started instance counted until a listing begun after it ended sees it", async () => {
    const p = platform();
    const quotas = createQuotas({ perUser: 1, global: 100, list: p.list });
    const admission = await start(quotas, "ada", 1);
    // A listing that began while the instance was not on the platform yet...
    const release = p.holdListings();
    const early = refusal(quotas.admit("ada", id(2)));
    // ...answers after its ensure ended and the instance appeared: the slot still counts.
    p.add(1, "ada");
    admission.end();
    release();
    expect(await early).toMatchObject({ scope: "user", used: 1 });
    // A listing begun after sees the instance itself; the slot is gone.
    expect(quotas.held).toBe(0);
    expect(await refusal(quotas.admit("ada", id(3)))).toMatchObject({ used: 1 });
  });

  it("free the slot of a launch that failed, and let the same ticket in again once one is destroyed", async () => {
    const p = platform();
    p.add(1, "ada");
    const quotas = createQuotas({ perUser: 2, global: 100, list: p.list });
    const admission = await start(quotas, "ada", 2);
    p.add(2, "ada", "failed");
    admission.end();
    expect(quotas.held).toBe(0);
    (await quotas.admit("ada", id(3))).end();
    p.add(3, "ada");
    expect(await refusal(quotas.admit("ada", id(4)))).toBeInstanceOf(QuotaError);
    p.instances.splice(0, 1); // instance 1 destroyed
    (await quotas.admit("ada", id(4))).end();
  });

  it("start a new launch only once the one this process started before it is listed", async () => {
    const { p, first, second } = await oneStartedOneWaiting();
    let started = false;
    const turn = second.turn(never).then(() => {
      started = true;
    });
    // The platforms are read again and again meanwhile: the second waits for what they show.
    const listings = p.listings;
    await waitFor(() => p.listings >= listings + 2, "the platforms to be read again");
    expect(started).toBe(false);
    p.add(1, "ada", "preparing");
    await turn;
    first.end();
    second.end();
  });

  it("start the next launch when the one before ends without ever being listed", async () => {
    const { first, second } = await oneStartedOneWaiting();
    const turn = second.turn(never);
    first.end(); // its ensure failed before the platform held anything
    await expect(turn).resolves.toBeUndefined();
    second.end();
  });

  it("let a waiting follower leave, and free its slot", async () => {
    const { quotas, first, second } = await oneStartedOneWaiting({ perUser: 2 });
    const leave = new AbortController();
    const turn = refusal(second.turn(leave.signal));
    leave.abort(new Error("left"));
    expect(await turn).toMatchObject({ message: "left" });
    second.end();
    expect(quotas.held).toBe(1);
    // Its room is free again.
    (await quotas.admit("ada", id(3))).end();
    first.end();
  });

  it("say the server is busy, keeping the launch, when the one before stays unlisted too long", async () => {
    const { first, second } = await oneStartedOneWaiting({ maxWaitMs: 50 });
    const error = await refusal(second.turn(never));
    expect(error).toBeInstanceOf(DriverError);
    expect(error).toMatchObject({ code: "unavailable" });
    expect((error as Error).message).toMatch(/Try again in a moment: this launch is kept/);
    second.end();
    first.end();
  });

  it("refuse at its turn a launch whose room another replica took meanwhile", async () => {
    // Room for both, as far as this process knows.
    const { p, first, second } = await oneStartedOneWaiting({ perUser: 2 });
    p.add(1, "ada");
    p.add(9, "ada"); // started by another replica
    expect(await refusal(second.turn(never))).toMatchObject({ scope: "user", used: 2 });
    second.end();
    first.end();
  });
});
