import { describe, expect, it } from "vitest";
import type { Observation } from "../driver.ts";
import { newDriverTest, until } from "../driver-test.ts";
import { firstObservation, followToEnd } from "../follow-to-end.ts";
import { TemplateSchema } from "../template.ts";
import { type FakeFly, startFakeFly } from "./fake-fly.ts";
import { FLY_FAILED_SECRET } from "./fly-driver.ts";
import {
  driverFor,
  machinePosts,
  newSpec,
  secretEnv,
  TOMBSTONE_APP,
  template,
} from "./fly-fixtures.ts";
import { tombstoneSecretName } from "./fly-tombstones.ts";

const { startFake, stopFake } = newDriverTest(startFakeFly);

const machineOf = (f: FakeFly, id: string) =>
  [...f.apps.get(`launcher-${id}`)!.machines.values()][0]!;

describe("fly driver: owners, lists, lifetimes and tombstones", () => {
  it("lists instances from machine metadata: two owners, a failed one included, a destroyed one left out", async () => {
    const fake = await startFake({ checkMs: Number.POSITIVE_INFINITY });
    const driver = driverFor(fake);
    const [alice1, alice2, bob1] = [
      newSpec(template, "alice"),
      newSpec(template, "alice@example.com"),
      newSpec(template, "bob"),
    ];
    // bob's launch fails while its checks do not pass: the session records why.
    const stopped = new AbortController();
    const bobs = driver.ensure(bob1, secretEnv(), stopped.signal).catch(() => {});
    await until(() => fake!.apps.get(`launcher-${bob1.id}`)?.machines.size === 1);
    stopped.abort();
    await bobs;
    await driver.recordFailure(bob1.id, "The image would not start");
    fake.passChecks();
    await driver.ensure(alice1, secretEnv(), AbortSignal.timeout(5000));
    await driver.ensure(alice2, secretEnv(), AbortSignal.timeout(5000));
    await driver.destroy(alice2.id);
    // Apps that are not instances of this launcher are not listed.
    fake.apps.set("launcher-notes", {
      ...fake.apps.get(`launcher-${alice1.id}`)!,
      name: "launcher-notes",
    });
    fake.apps.set(`launcher-${"0".repeat(32)}`, {
      ...fake.apps.get(`launcher-${alice1.id}`)!,
      org: "elsewhere",
    });

    const listed = await driverFor(fake).list();
    const byId = new Map(listed.map((info) => [info.id, info]));
    expect(listed).toHaveLength(2);
    expect(byId.get(alice1.id)).toEqual({
      id: alice1.id,
      owner: "alice",
      template: "livebook",
      phase: "ready",
      createdAt: alice1.createdAt,
      expiresAt: alice1.expiresAt,
    });
    expect(byId.get(bob1.id)).toMatchObject({ owner: "bob", phase: "failed" });
    expect(byId.has(alice2.id)).toBe(false);
    expect((await firstObservation(driver, bob1.id)).error).toBe("The image would not start");
  });

  it("observers see destroying until the machine is gone, and destroyed only after", async () => {
    const fake = await startFake({ destroyMs: 1000 });
    const driver = driverFor(fake);
    const spec = newSpec();
    await driver.ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    const machine = machineOf(fake, spec.id);
    const destroying = driver.destroy(spec.id);
    await until(() => fake!.apps.get(TOMBSTONE_APP)?.secrets.size === 1);
    const seen: Observation[] = [];
    const controller = new AbortController();
    for await (const observation of driverFor(fake).observe(spec.id, controller.signal)) {
      seen.push(observation);
      // Whenever a follower hears `destroyed`, nothing of the instance runs any more.
      if (observation.phase === "destroyed") expect(machine.state).toBe("destroyed");
      if (observation.phase === "destroyed") break;
    }
    controller.abort();
    await destroying;
    expect(seen[0]!.phase).toBe("destroying");
    expect(seen.at(-1)!.phase).toBe("destroyed");
    expect(fake.apps.has(`launcher-${spec.id}`)).toBe(false);
  });

  it("an expired instance ends destroyed with a message that says it expired", async () => {
    const fake = await startFake();
    const driver = driverFor(fake);
    const spec = newSpec();
    await driver.ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    await driver.destroy(spec.id, "expired");
    await driver.destroy(spec.id); // a later destroy keeps the first reason
    const end = (await followToEnd(driver, spec.id)).at(-1)!;
    expect(end.phase).toBe("destroyed");
    expect(end.message).toMatch(/expired/);
    expect([...fake.apps.get(TOMBSTONE_APP)!.secrets.keys()]).toEqual([
      tombstoneSecretName(spec.id, "expired"),
    ]);
  });

  it("sweep finishes a destroy cut short under its tombstone, and removes tombstones past their lifetime", async () => {
    const fake = await startFake();
    const spec = newSpec();
    await driverFor(fake).ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    // The destroying launcher dies after its tombstone: every machine delete fails.
    fake.fail({ method: "DELETE", path: /\/machines\//, status: 500, times: 10 });
    const dying = driverFor(fake, { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    await expect(dying.destroy(spec.id)).rejects.toThrow();
    fake.clearFaults();
    expect(machineOf(fake, spec.id).state).toBe("started");
    expect((await firstObservation(driverFor(fake), spec.id)).phase).toBe("destroying");

    await driverFor(fake).sweep(); // any replica, some time later
    expect(fake.apps.has(`launcher-${spec.id}`)).toBe(false);
    expect((await followToEnd(driverFor(fake), spec.id)).at(-1)!.phase).toBe("destroyed");
    const graves = fake.apps.get(TOMBSTONE_APP)!.secrets;
    expect(graves.size).toBe(1); // within its lifetime: kept

    await Promise.all([
      driverFor(fake, { tombstoneTtlSeconds: 0 }).sweep(),
      driverFor(fake, { tombstoneTtlSeconds: 0 }).sweep(), // two replicas at once
    ]);
    expect(graves.size).toBe(0);
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

  it("ensure records readiness on the machine, so a ready instance is not timed out later; observe writes nothing", async () => {
    const fake = await startFake();
    const quick = TemplateSchema.parse({
      ...template,
      drivers: { fly: { ...template.drivers.fly, timeout: 1 } },
    });
    const spec = newSpec(quick);
    await driverFor(fake).ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    const machine = machineOf(fake, spec.id);
    expect(machine.config.metadata?.launcher_ready).toMatch(/^\d{4}-/);
    // Past its timeout its check fails, as during a hiccup: still ready, not failed.
    await until(() => Date.now() > Date.parse(machine.created_at) + 1100);
    for (const check of machine.checks) check.status = "critical";
    const before = fake.requests.length;
    expect((await followToEnd(driverFor(fake), spec.id)).at(-1)!.phase).toBe("ready");
    const writes = fake.requests.slice(before).filter((r) => r.method !== "GET");
    expect(writes).toEqual([]);
  });

  it("recordFailure marks the machine once, and never an instance at its end", async () => {
    const fake = await startFake({ checkMs: Number.POSITIVE_INFINITY });
    const driver = driverFor(fake);
    const spec = newSpec();
    const stopped = new AbortController();
    const launching = driver.ensure(spec, secretEnv(), stopped.signal).catch(() => {});
    await until(() => fake!.apps.get(`launcher-${spec.id}`)?.machines.size === 1);
    stopped.abort();
    await launching;
    await driver.recordFailure(spec.id, "first reason");
    await driver.recordFailure(spec.id, "second reason");
    expect(machineOf(fake, spec.id).config.metadata?.launcher_failed).toBe("first reason");

    const ready = newSpec();
    fake.passChecks();
    await driver.ensure(ready, secretEnv(), AbortSignal.timeout(5000));
    await driver.recordFailure(ready.id, "too late");
    expect(machineOf(fake, ready.id).config.metadata?.launcher_failed).toBeUndefined();
  });

  it("sizes the machine from the template's resources: CPUs up to a size Fly offers, memory to 256 MB steps", async () => {
    const fake = await startFake();
    const sized = TemplateSchema.parse({
      ...template,
      resources: { cpus: 1.5, memoryMiB: 300, pids: 256 },
      drivers: { fly: { ...template.drivers.fly, guest: undefined } },
    });
    const spec = newSpec(sized);
    await driverFor(fake).ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    expect(machineOf(fake, spec.id).config.guest).toEqual({
      cpu_kind: "shared",
      cpus: 2,
      memory_mb: 512,
    });
  });

  it("is available when the Machines API answers for the org, and says why not otherwise", async () => {
    const fake = await startFake();
    expect(await driverFor(fake).available()).toEqual({
      available: true,
      detail: "Fly.io org personal, region fra",
    });
    expect(await driverFor(fake, { token: "wrong" }).available()).toEqual({
      available: false,
      reason: "Fly.io refused the API token",
    });
    const url = fake.url;
    await stopFake();
    expect(await driverFor({ url, token: "t" } as FakeFly).available()).toEqual({
      available: false,
      reason: `Fly.io did not answer at ${url}`,
    });
  });
});
