import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { createFakeDriver } from "./fake-driver.ts";
import { launcher } from "./launcher-per-test.ts";
import { QuotaError } from "./quota.ts";
import { followToEnd } from "./test-launcher.ts";

/** The phase of a `tracked()` event as an in-process caller gets it: [id, snapshot, marker]. */
const phaseOf = (event: unknown) => (event as [string, { phase: string }])[1].phase;

const quotaOf = (error: unknown) => {
  expect(error).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe("FORBIDDEN");
  const cause = (error as TRPCError).cause;
  expect(cause).toBeInstanceOf(QuotaError);
  const { scope, limit, used } = cause as QuotaError;
  return { scope, limit, used };
};

describe("quotas on launch.follow", () => {
  it("refuse the follow that would start one too many, before anything starts, and keep the ticket good", async () => {
    const { as, drivers } = await launcher({ quotas: { perUser: 2, global: 100 } });
    const ada = as("ada");
    const first = await ada.launch.prepare({ template: "demo" });
    for (const ticket of [first.ticket, (await ada.launch.prepare({ template: "demo" })).ticket]) {
      expect((await followToEnd(await ada.launch.follow({ ticket }))).phases.at(-1)).toBe("ready");
    }
    const third = await ada.launch.prepare({ template: "demo" });
    const refused = await followToEnd(await ada.launch.follow({ ticket: third.ticket }));
    expect(quotaOf(refused.error)).toEqual({ scope: "user", limit: 2, used: 2 });
    expect((refused.error as Error).message).toMatch(/Destroy one of them, then launch again/);
    expect(refused.snapshots).toEqual([]);
    expect(drivers[0]!.calls.ensure).not.toContain(third.id);
    // Another user is not held back by ada's instances.
    const bob = await as("bob").launch.prepare({ template: "demo" });
    expect((await followToEnd(await as("bob").launch.follow(bob))).phases.at(-1)).toBe("ready");
    // Free a slot: the same ticket now launches.
    await ada.instances.destroy({ id: first.id });
    const again = await followToEnd(await ada.launch.follow({ ticket: third.ticket }));
    expect(again.phases).toEqual(["preparing", "ready"]);
  });

  it("stay exact when one user follows many new tickets at once", async () => {
    const { as, drivers, deps } = await launcher({ quotas: { perUser: 3, global: 100 } });
    const ada = as("ada");
    const tickets = await Promise.all(
      Array.from({ length: 8 }, () => ada.launch.prepare({ template: "demo" })),
    );
    const results = await Promise.all(
      tickets.map(async ({ ticket }) => followToEnd(await ada.launch.follow({ ticket }))),
    );
    const ready = results.filter((r) => r.phases.at(-1) === "ready");
    const refused = results.filter((r) => r.error !== undefined);
    expect(ready).toHaveLength(3);
    expect(refused).toHaveLength(5);
    for (const r of refused) expect(quotaOf(r.error)).toEqual({ scope: "user", limit: 3, used: 3 });
    expect(drivers[0]!.calls.ensure).toHaveLength(3);
    expect(deps.quotas!.held).toBe(0);
  });

  it("count every user's instances on every platform against the launcher's limit", async () => {
    const { as } = await launcher({
      drivers: [createFakeDriver("local"), createFakeDriver("docker")],
      quotas: { perUser: 5, global: 2 },
    });
    await followToEnd(
      await as("ada").launch.follow(await as("ada").launch.prepare({ template: "demo" })),
    );
    await followToEnd(
      await as("bob").launch.follow(await as("bob").launch.prepare({ template: "demo" })),
    );
    const carol = await as("carol").launch.prepare({ template: "demo" });
    const { error } = await followToEnd(await as("carol").launch.follow(carol));
    expect(quotaOf(error)).toEqual({ scope: "global", limit: 2, used: 2 });
    expect((error as Error).message).toMatch(/then launch again/);
  });

  it("do not count failed instances, nor stop a launch the platform already knows", async () => {
    const { as, drivers } = await launcher({ quotas: { perUser: 1, global: 100 } });
    const driver = drivers[0]!;
    const ada = as("ada");
    driver.onEnsure = async (spec) => {
      driver.move(spec.id, "starting");
      driver.move(spec.id, "failed", { error: "exited" });
    };
    const failed = await ada.launch.prepare({ template: "demo" });
    expect((await followToEnd(await ada.launch.follow(failed))).phases.at(-1)).toBe("failed");
    driver.onEnsure = async (spec) => {
      driver.move(spec.id, "starting");
    };
    const running = await ada.launch.prepare({ template: "demo" });
    const follow = await ada.launch.follow(running);
    const iterator = follow[Symbol.asyncIterator]();
    await iterator.next(); // preparing
    await iterator.next(); // starting: it is on the platform, at the limit
    await iterator.return?.();
    // A resume (a refresh, a restart) of the known instance is not a new launch.
    const resumed = await ada.launch.follow({ ...running, lastEventId: "0" });
    const events = resumed[Symbol.asyncIterator]();
    const first = (await events.next()).value;
    await events.return?.();
    expect(phaseOf(first)).toBe("starting");
  });

  it("free a slot when its follower leaves before ensure starts", async () => {
    const { as, deps } = await launcher({ quotas: { perUser: 1, global: 100 } });
    const ada = as("ada");
    const follow = await ada.launch.follow(await ada.launch.prepare({ template: "demo" }));
    const iterator = follow[Symbol.asyncIterator]();
    expect(phaseOf((await iterator.next()).value)).toBe("preparing");
    expect(deps.quotas!.held).toBe(1);
    await iterator.return?.();
    expect(deps.quotas!.held).toBe(0);
    const next = await ada.launch.prepare({ template: "demo" });
    expect((await followToEnd(await ada.launch.follow(next))).phases.at(-1)).toBe("ready");
  });
});
