import { describe, expect, it } from "vitest";
import { describeDriverContract } from "../driver-contract.ts";
import { withSpec } from "../driver-fixtures.ts";
import { newDriverTest } from "../driver-test.ts";
import { followToEnd } from "../follow-to-end.ts";
import { startFakeFly } from "./fake-fly.ts";
import { createFlyDriver, FLY_FAILED_SECRET } from "./fly-driver.ts";
import {
  driverFor,
  flyContract,
  machinePosts,
  newSpec,
  secretEnv,
  TOMBSTONE_APP,
  template,
} from "./fly-fixtures.ts";

// What every remote driver owes (launch, secrets, retries, restarts, destroy, lists, lifetimes,
// sweeping, availability), against the fake Machines API.
describeDriverContract(flyContract);

describe("fly driver: what only Fly has", () => {
  const { startFake } = newDriverTest(startFakeFly);

  it("is unavailable without a token, and names why", async () => {
    const driver = createFlyDriver({ org: "personal", region: "fra" });
    expect(await driver.available()).toEqual({
      available: false,
      reason: "FLY_API_TOKEN is not set",
    });
    expect(await driver.list()).toEqual([]);
  });

  it("honours Retry-After on a read: the retry waits at least as long as asked", async () => {
    const fake = await startFake();
    fake.fail({
      method: "GET",
      path: /\/machines$/,
      status: 429,
      headers: { "retry-after": "0.2" },
    });
    const started = performance.now();
    await driverFor(fake).ensure(newSpec(), secretEnv(), AbortSignal.timeout(5000));
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("destroying a merely prepared ticket creates no Fly app for it: many such tombstones share one app", async () => {
    const fake = await startFake();
    const driver = driverFor(fake);
    const ids = [newSpec().id, newSpec().id, newSpec().id];
    for (const id of ids) await driver.destroy(id);
    expect([...fake.apps.keys()]).toEqual([TOMBSTONE_APP]);
    const appPosts = fake.requests.filter((r) => r.method === "POST" && r.url === "/v1/apps");
    expect(appPosts).toHaveLength(1);
    for (const id of ids) expect((await followToEnd(driver, id)).at(-1)!.phase).toBe("destroyed");
  });

  it("a launch that died before its machine is recorded failed on its app, and swept once past the grace", async () => {
    const fake = await startFake();
    const spec = newSpec();
    fake.fail({ method: "POST", path: /\/machines$/, status: 502, times: 10 });
    const dying = driverFor(fake, { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    const error = await dying.ensure(spec, secretEnv(), AbortSignal.timeout(5000)).catch((e) => e);
    fake.clearFaults();
    await dying.recordFailure(spec.id, error.message);
    expect(fake.apps.get(`launcher-${spec.id}`)!.secrets.has(FLY_FAILED_SECRET)).toBe(true);
    const failed = (await followToEnd(driverFor(fake), spec.id)).at(-1)!;
    expect(failed).toMatchObject({
      phase: "failed",
      error: expect.stringMatching(/before its machine/),
    });
    // A failure is final: a later ensure makes no machine and says so.
    await expect(
      driverFor(fake).ensure(spec, secretEnv(), AbortSignal.timeout(5000)),
    ).rejects.toThrow(/before its machine/);
    expect(machinePosts(fake).every((r) => r.status === 502)).toBe(true);

    await driverFor(fake).sweep();
    expect(fake.apps.has(`launcher-${spec.id}`)).toBe(true); // within the grace period
    await driverFor(fake, { orphanGraceSeconds: 0 }).sweep();
    expect(fake.apps.has(`launcher-${spec.id}`)).toBe(false);
    const end = (await followToEnd(driverFor(fake), spec.id)).at(-1)!;
    expect(end).toMatchObject({ phase: "destroyed", message: expect.stringMatching(/expired/) });
  });

  it("sizes the machine from the template's resources: CPUs up to a size Fly offers, memory to 256 MB steps", async () => {
    const fake = await startFake();
    const sized = withSpec(
      template,
      "fly",
      { guest: undefined },
      {
        resources: { cpus: 1.5, memoryMiB: 300, pids: 256 },
      },
    );
    const spec = newSpec(sized);
    await driverFor(fake).ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    const [machine] = [...fake.apps.get(`launcher-${spec.id}`)!.machines.values()];
    expect(machine!.config.guest).toEqual({ cpu_kind: "shared", cpus: 2, memory_mb: 512 });
  });
});
