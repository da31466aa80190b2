// The rest of the remote drivers' contract: owners and lists, teardown as followers see it,
// lifetimes, sweeping, recorded failures and availability. (Tests only.)

import { describe, expect, it } from "vitest";
import type { Observation } from "./driver.ts";
import {
  type ContractFake,
  type DriverContractAdapter,
  lastOf,
  launchOn,
  startedOnly,
} from "./driver-contract-adapter.ts";
import { newDriverTest, until } from "./driver-test.ts";
import { firstObservation } from "./follow-to-end.ts";
import { TemplateSchema } from "./template.ts";

export function describeLifecycleContract<F extends ContractFake>(a: DriverContractAdapter<F>) {
  describe(`${a.name} driver contract: owners, lists, lifetimes and tombstones`, () => {
    const { startFake, stopFake } = newDriverTest(a.startFake);

    it("lists instances from the platform: two owners, a failed one included, a destroyed one left out", async () => {
      const fake = await startFake({ neverHealthy: true });
      const driver = a.driverFor(fake);
      const bob = await startedOnly(a, fake, driver, "bob");
      await driver.recordFailure(bob.id, "The image would not start");
      const alice1 = await startedOnly(a, fake, driver, "alice@example.com");
      a.setHealthy(fake, alice1.id, true);
      expect((await lastOf(a.driverFor(fake), alice1.id)).phase).toBe("ready");
      const alice2 = await startedOnly(a, fake, driver, "alice@example.com");
      await driver.destroy(alice2.id);
      a.check?.plantForeign?.(fake, alice1.id);

      const listed = await a.driverFor(fake).list();
      expect(listed.map((info) => info.id).sort()).toEqual([alice1.id, bob.id].sort());
      expect(listed.find((info) => info.id === alice1.id)).toEqual({
        id: alice1.id,
        owner: "alice@example.com",
        template: a.template.id,
        phase: "ready",
        createdAt: alice1.createdAt,
        expiresAt: alice1.expiresAt,
      });
      const bobs = listed.find((info) => info.id === bob.id);
      expect(bobs).toMatchObject({ owner: "bob", phase: "failed" });
      expect((await firstObservation(driver, bob.id)).error).toBe("The image would not start");
      await a.check?.listed?.(fake, alice1);
    });

    it("observers see destroying until nothing of the instance runs, and destroyed only after", async () => {
      const fake = await startFake({ slowTeardown: true });
      const { driver, spec } = await launchOn(a, fake);
      const destroying = driver.destroy(spec.id);
      await until(() => a.tombstoneReason(fake, spec.id) !== undefined);
      const seen: Observation[] = [];
      const controller = new AbortController();
      for await (const observation of a.driverFor(fake).observe(spec.id, controller.signal)) {
        seen.push(observation);
        // Whenever a follower hears `destroyed`, nothing of the instance runs any more.
        if (observation.phase === "destroyed") expect(a.running(fake, spec.id)).toBe(0);
        if (observation.phase === "destroyed") break;
      }
      controller.abort();
      await destroying;
      expect(seen[0]!.phase).toBe("destroying");
      expect(seen.at(-1)!.phase).toBe("destroyed");
      expect(a.holds(fake, spec.id)).toBe(false);
    });

    it("an expired instance ends destroyed with a message that says it expired", async () => {
      const fake = await startFake();
      const { driver, spec } = await launchOn(a, fake);
      await driver.destroy(spec.id, "expired");
      await driver.destroy(spec.id); // a later destroy keeps the first reason
      const end = await lastOf(a.driverFor(fake), spec.id);
      expect(end).toMatchObject({ phase: "destroyed", message: expect.stringMatching(/expired/) });
      expect(a.tombstoneReason(fake, spec.id)).toBe("expired");
    });

    it("sweep finishes a destroy cut short under its tombstone, and removes tombstones past their lifetime", async () => {
      const fake = await startFake();
      const { spec } = await launchOn(a, fake);
      // The destroying launcher dies after its tombstone: tearing down fails.
      fake.fail({ ...a.faults.teardown, status: 500, times: 10 });
      const dying = a.driverFor(fake, { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
      await expect(dying.destroy(spec.id)).rejects.toThrow();
      fake.clearFaults();
      expect(a.running(fake, spec.id)).toBe(1);
      expect((await firstObservation(a.driverFor(fake), spec.id)).phase).toBe("destroying");

      await a.driverFor(fake).sweep(); // any replica, some time later
      expect((await lastOf(a.driverFor(fake), spec.id)).phase).toBe("destroyed");
      expect(a.running(fake, spec.id)).toBe(0);
      expect(a.holds(fake, spec.id)).toBe(false);
      expect(a.tombstoneReason(fake, spec.id)).toBe("destroyed"); // within its lifetime: kept

      const late = () => a.driverFor(fake, { tombstoneTtlSeconds: 0 }).sweep();
      await Promise.all([late(), late()]); // two replicas at once
      expect(a.tombstoneReason(fake, spec.id)).toBeUndefined();
    });

    it("recordFailure marks a launch once, and never an instance at its end", async () => {
      const fake = await startFake({ neverHealthy: true });
      const driver = a.driverFor(fake);
      const spec = await startedOnly(a, fake, driver);
      await driver.recordFailure(spec.id, "first reason");
      await driver.recordFailure(spec.id, "second reason");
      expect(a.marks(fake, spec.id).failed).toBe("first reason");

      const ready = await startedOnly(a, fake, driver);
      a.setHealthy(fake, ready.id, true);
      expect((await lastOf(a.driverFor(fake), ready.id)).phase).toBe("ready");
      await driver.recordFailure(ready.id, "too late");
      expect(a.marks(fake, ready.id).failed).toBeUndefined();
      expect((await lastOf(a.driverFor(fake), ready.id)).phase).toBe("ready");

      const gone = await startedOnly(a, fake, driver);
      await driver.destroy(gone.id);
      await driver.recordFailure(gone.id, "too late");
      expect(a.holds(fake, gone.id)).toBe(false);
      expect((await lastOf(a.driverFor(fake), gone.id)).phase).toBe("destroyed");
    });

    it("is available when the platform answers, and says why not otherwise", async () => {
      const fake = await startFake();
      const driver = a.driverFor(fake);
      expect(await driver.available()).toEqual({ available: true, detail: a.availableDetail });
      expect((await driver.availableFor(a.template)).available).toBe(true);
      const { [a.name]: _, ...others } = a.template.drivers;
      const elsewhere = TemplateSchema.parse({ ...a.template, drivers: others });
      expect(await driver.availableFor(elsewhere)).toMatchObject({
        available: false,
        reason: expect.stringMatching(new RegExp(`^${a.template.name} has no .+ image$`)),
      });
      const refused = a.driverFor(fake, { credentials: "wrong" });
      expect(await refused.available()).toEqual({
        available: false,
        reason: expect.stringMatching(a.refused),
      });
      const reason = a.unreachable(fake);
      const late = a.driverFor(fake);
      await stopFake();
      expect(await late.available()).toEqual({ available: false, reason });
    });
  });
}
