// The first half of the remote drivers' contract: what `ensure` and `destroy` owe. (Tests only.)

import { describe, expect, it } from "vitest";
import { DriverError } from "./driver.ts";
import {
  type ContractFake,
  type DriverContractAdapter,
  ensureWithin,
  lastOf,
  launchOn,
  requestsAt,
} from "./driver-contract-adapter.ts";
import { newInstanceSpec, secretEnvFor, withSpec } from "./driver-fixtures.ts";
import { newDriverTest, until } from "./driver-test.ts";
import { firstObservation, followToEnd } from "./follow-to-end.ts";

/** Launching, secrets, platform errors, restarts and destroy: what `ensure` and `destroy` owe. */
export function describeLaunchContract<F extends ContractFake>(a: DriverContractAdapter<F>) {
  describe(`${a.name} driver contract: launch and destroy`, () => {
    const { startFake } = newDriverTest(a.startFake);
    const newSpec = (template = a.template) => newInstanceSpec(template);
    const secretEnv = () => secretEnvFor(a.template);

    it("launches to ready through each phase the platform passes, versions only growing", async () => {
      const fake = await startFake({ slow: true });
      const driver = a.driverFor(fake);
      const spec = newSpec();
      // Followed from before the launch, as the server does.
      const following = followToEnd(driver, spec.id);
      await ensureWithin(driver, spec, secretEnv());
      const seen = await following;
      expect(seen[0]).toMatchObject({ version: 0, phase: "preparing" }); // unknown to the platform
      const last = seen.at(-1)!;
      expect(last).toMatchObject({ phase: "ready", url: a.urlOf(spec.id) });
      expect(last.steps.map((s) => [s.key, s.state])).toEqual(a.steps.map((k) => [k, "done"]));
      for (const phase of a.phases) expect(seen.map((o) => o.phase)).toContain(phase);
      const versions = seen.map((o) => o.version);
      expect(versions).toEqual([...versions].sort((x, y) => x - y));
      expect(new Set(versions).size).toBe(versions.length);
      a.check?.launched?.(fake, spec);
    });

    it("hands the secrets only to the platform's secret store: never in a URL or another request", async () => {
      const fake = await startFake();
      const { driver, spec, env } = await launchOn(a, fake);
      await followToEnd(driver, spec.id);
      await driver.destroy(spec.id);
      const values = Object.values(env);
      const carriers = fake.requests.filter((r) => a.secretsIn(r) !== undefined);
      for (const request of fake.requests) {
        for (const value of values) expect(request.url).not.toContain(value);
        if (!carriers.includes(request)) {
          for (const value of values) expect(request.body).not.toContain(value);
        }
      }
      expect(carriers.map((r) => a.secretsIn(r))).toContainEqual(env);
      a.check?.secretsGone?.(fake, spec, env);
    });

    it("refuses clearly when the platform refuses the credentials, without naming them", async () => {
      const fake = await startFake();
      const credentials = "fo1_very-secret-token-value";
      const error = await ensureWithin(a.driverFor(fake, { credentials }), newSpec(), secretEnv())
        .then(() => undefined)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DriverError);
      expect(error).toMatchObject({ code: "refused", message: expect.stringMatching(a.refused) });
      expect(String((error as Error).stack)).not.toContain(credentials);
    });

    it("retries a 429 no sooner than its Retry-After, and rides out a 5xx burst", async () => {
      const fake = await startFake();
      fake.fail({ ...a.faults.throttled, status: 429, headers: { "retry-after": "0.15" } });
      fake.fail({ ...a.faults.burst, status: 503, times: 3 });
      const spec = newSpec();
      const started = performance.now();
      await ensureWithin(a.driverFor(fake), spec, secretEnv());
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
      expect(requestsAt(fake, a.faults.throttled)).toHaveLength(2);
      expect(requestsAt(fake, a.faults.burst)).toHaveLength(4);
      expect((await lastOf(a.driverFor(fake), spec.id)).phase).toBe("ready");
      expect(a.running(fake, spec.id)).toBe(1);
    });

    it("after a launcher dies mid-launch, fresh ones resume it at once and make exactly one runtime", async () => {
      const fake = await startFake();
      const spec = newSpec();
      const env = secretEnv();
      // The first launcher dies while creating (its retries run out on a 5xx burst).
      fake.fail({ ...a.faults.midCreate, status: 502, times: 10 });
      const dying = a.driverFor(fake, { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
      const error = await ensureWithin(dying, spec, env).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DriverError);
      expect(a.holds(fake, spec.id)).toBe(true); // what it made first stays
      expect(a.running(fake, spec.id)).toBe(0); // and nothing runs half-made
      a.check?.halfMade?.(fake, spec, error);
      fake.clearFaults();
      fake.requests.length = 0;
      const [one, two] = [a.driverFor(fake), a.driverFor(fake)];
      await Promise.all([ensureWithin(one, spec, env), ensureWithin(two, spec, env)]);
      a.check?.resumed?.(fake);
      await ensureWithin(a.driverFor(fake), spec, env);
      expect(a.running(fake, spec.id)).toBe(1);
      expect((await lastOf(one, spec.id)).phase).toBe("ready");
    });

    it("two launcher processes compute the same version for the same platform state", async () => {
      const fake = await startFake();
      const { spec } = await launchOn(a, fake);
      const one = await lastOf(a.driverFor(fake), spec.id);
      const two = await lastOf(a.driverFor(fake), spec.id);
      expect(two).toMatchObject({ phase: "ready", version: one.version });
    });

    it("destroy leaves a tombstone and removes the instance; follow ends destroyed and ensure never recreates", async () => {
      const fake = await startFake();
      const { driver, spec, env } = await launchOn(a, fake);
      const ready = await lastOf(driver, spec.id);
      await driver.destroy(spec.id);
      await driver.destroy(spec.id); // idempotent
      expect(a.tombstoneReason(fake, spec.id)).toBe("destroyed");
      const end = await lastOf(driver, spec.id);
      expect(end.phase).toBe("destroyed");
      expect(end.version).toBeGreaterThan(ready.version);
      await a.check?.destroyed?.(fake, spec, env);

      const creates = requestsAt(fake, a.creates).length;
      await ensureWithin(a.driverFor(fake), spec, env);
      expect(requestsAt(fake, a.creates)).toHaveLength(creates);
      expect(a.holds(fake, spec.id)).toBe(false);
      expect((await lastOf(a.driverFor(fake), spec.id)).phase).toBe("destroyed");
    });

    it("destroy before any launch leaves a tombstone, so a late ensure creates nothing", async () => {
      const fake = await startFake();
      const driver = a.driverFor(fake);
      const spec = newSpec();
      await driver.destroy(spec.id);
      await ensureWithin(driver, spec, secretEnv());
      expect(requestsAt(fake, a.creates)).toHaveLength(0);
      expect((await lastOf(driver, spec.id)).phase).toBe("destroyed");
    });

    it("fails a launch whose health check never passes within the template timeout; every process then reads the recorded failure", async () => {
      const fake = await startFake({ neverHealthy: true });
      const driver = a.driverFor(fake);
      const spec = newSpec(withSpec(a.template, a.name, { timeout: 1 }));
      const error = await ensureWithin(driver, spec, secretEnv()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DriverError);
      const { message } = error as DriverError;
      expect(message).toMatch(a.timedOut);
      const end = await lastOf(driver, spec.id);
      expect(end).toMatchObject({ phase: "failed", error: expect.stringMatching(a.timedOut) });
      expect(end.steps.find((s) => s.key === "check")?.state).toBe("failed");
      // Another launcher process agrees, from the platform alone.
      expect(await lastOf(a.driverFor(fake), spec.id)).toMatchObject({
        phase: "failed",
        version: end.version,
      });
      // The launch session records why; that stands even once the check passes late.
      await driver.recordFailure(spec.id, message);
      expect(a.marks(fake, spec.id).failed).toBe(message);
      a.setHealthy(fake, spec.id, true);
      const recorded = await lastOf(a.driverFor(fake), spec.id);
      expect(recorded).toMatchObject({ phase: "failed", error: message });
      expect(recorded.version).toBeGreaterThanOrEqual(end.version);
    });

    it("records readiness on the platform, so a ready launch is not timed out later; observing writes nothing", async () => {
      const fake = await startFake();
      const spec = newSpec(withSpec(a.template, a.name, { timeout: 1 }));
      await ensureWithin(a.driverFor(fake), spec, secretEnv());
      const launched = Date.now();
      expect(a.marks(fake, spec.id).ready).toMatch(/^\d{4}-/);
      // Past its timeout its health check fails, as during a hiccup: not failed.
      a.setHealthy(fake, spec.id, false);
      await until(() => Date.now() > launched + 1100);
      const before = fake.requests.length;
      expect((await firstObservation(a.driverFor(fake), spec.id)).phase).toBe(a.afterHiccup);
      expect(fake.requests.slice(before).filter((r) => r.method !== "GET")).toEqual([]);
    });
  });
}
