import { AppsV1Api } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { Observation } from "../driver.ts";
import { newDriverTest, until } from "../driver-test.ts";
import { firstObservation, followToEnd } from "../follow-to-end.ts";
import { TemplateSchema } from "../template.ts";
import { type FakeKube, startFakeKube } from "./fake-kube.ts";
import { driverFor, NS, newSpec, secretEnv, template } from "./kube-fixtures.ts";
import { ownerHash } from "./kube-manifests.ts";

const { startFake } = newDriverTest(startFakeKube);

const podsOf = (f: FakeKube, id: string) =>
  [...f.objects].filter(
    ([k, o]) => k.startsWith("pods/") && o.metadata.labels?.["launcher.id"] === id,
  );

/** Starts a launch and stops it once its pod exists (its probe never passes: neverReady). */
async function startedOnly(f: FakeKube, driver: ReturnType<typeof driverFor>, owner = "local") {
  const spec = newSpec(template, owner);
  const stop = new AbortController();
  const launching = driver.ensure(spec, secretEnv(), stop.signal).catch(() => {});
  await until(() => podsOf(f, spec.id).length === 1);
  stop.abort();
  await launching;
  return spec;
}

describe("kubernetes driver: owners, lists, lifetimes and tombstones", () => {
  it("lists instances by label selector: two owners, a failed one included, a destroyed one left out", async () => {
    const fake = await startFake({ neverReady: true });
    const driver = driverFor(fake);
    const bob1 = await startedOnly(fake, driver, "bob");
    await driver.recordFailure(bob1.id, "The image would not start");
    const alice1 = await startedOnly(fake, driver, "alice@example.com");
    const alice2 = await startedOnly(fake, driver, "alice@example.com");
    await driver.destroy(alice2.id);
    // A Deployment someone else manages in the same namespace is not an instance.
    const theirs = structuredClone(fake.objects.get(`deployments/launcher-${alice1.id}`)!);
    theirs.metadata.name = "their-app";
    theirs.metadata.labels = { "app.kubernetes.io/managed-by": "helm" };
    fake.objects.set("deployments/their-app", theirs);

    const listed = await driverFor(fake).list();
    expect(listed.map((info) => info.id).sort()).toEqual([alice1.id, bob1.id].sort());
    expect(listed.find((info) => info.id === alice1.id)).toEqual({
      id: alice1.id,
      owner: "alice@example.com",
      template: "jupyter",
      phase: "checking",
      createdAt: alice1.createdAt,
      expiresAt: alice1.expiresAt,
    });
    expect(listed.find((info) => info.id === bob1.id)).toMatchObject({
      owner: "bob",
      phase: "failed",
    });
    // The owner is selectable by its hash (labels cannot hold an e-mail address).
    const apps = fake.kubeConfig(NS).makeApiClient(AppsV1Api);
    const owned = await apps.listNamespacedDeployment({
      namespace: NS,
      labelSelector: `launcher.owner-hash=${ownerHash("alice@example.com")},app.kubernetes.io/managed-by in (launcher)`,
    });
    expect(owned.items.map((d) => d.metadata?.labels?.["launcher.id"])).toEqual([alice1.id]);
  });

  it("observers see destroying until the pods are gone, and destroyed only after", async () => {
    const fake = await startFake({ terminationMs: 1000 });
    const driver = driverFor(fake);
    const spec = newSpec();
    await driver.ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    const destroying = driver.destroy(spec.id);
    await until(() => fake!.objects.has(`configmaps/launcher-${spec.id}-destroyed`));
    const seen: Observation[] = [];
    const controller = new AbortController();
    for await (const observation of driverFor(fake).observe(spec.id, controller.signal)) {
      seen.push(observation);
      // Whenever a follower hears `destroyed`, nothing of the instance runs any more.
      if (observation.phase === "destroyed") expect(podsOf(fake, spec.id)).toEqual([]);
      if (observation.phase === "destroyed") break;
    }
    controller.abort();
    await destroying;
    expect(seen[0]!.phase).toBe("destroying");
    expect(seen.at(-1)!.phase).toBe("destroyed");
    expect(fake.objects.has(`deployments/launcher-${spec.id}`)).toBe(false);
  });

  it("an expired instance ends destroyed with a message that says it expired", async () => {
    const fake = await startFake();
    const driver = driverFor(fake);
    const spec = newSpec();
    await driver.ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    await driver.destroy(spec.id, "expired");
    await driver.destroy(spec.id); // a later destroy keeps the first reason
    const end = (await followToEnd(driver, spec.id)).at(-1)!;
    expect(end).toMatchObject({ phase: "destroyed", message: expect.stringMatching(/expired/) });
  });

  it("sweep finishes a destroy cut short under its tombstone, and removes tombstones past their lifetime", async () => {
    const fake = await startFake();
    const spec = newSpec();
    await driverFor(fake).ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    // The destroying launcher dies after its tombstone: deleting the Deployment fails.
    fake.fail({ method: "DELETE", path: /\/deployments\//, status: 500, times: 10 });
    const dying = driverFor(fake, { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    await expect(dying.destroy(spec.id)).rejects.toThrow();
    fake.clearFaults();
    expect(podsOf(fake, spec.id)).toHaveLength(1);
    expect((await firstObservation(driverFor(fake), spec.id)).phase).toBe("destroying");

    await driverFor(fake).sweep(); // any replica, some time later
    expect((await followToEnd(driverFor(fake), spec.id)).at(-1)!.phase).toBe("destroyed");
    expect(podsOf(fake, spec.id)).toEqual([]);
    const tombstone = `configmaps/launcher-${spec.id}-destroyed`;
    expect(fake.objects.has(tombstone)).toBe(true); // within its lifetime: kept

    await Promise.all([
      driverFor(fake, { tombstoneTtlSeconds: 0 }).sweep(),
      driverFor(fake, { tombstoneTtlSeconds: 0 }).sweep(), // two replicas at once
    ]);
    expect(fake.objects.has(tombstone)).toBe(false);
  });

  it("sweep keeps a tombstone past its lifetime while its instance is still being torn down", async () => {
    const fake = await startFake({ terminationMs: 400 });
    const driver = driverFor(fake);
    const spec = await startedOnly(fake, driver);
    const destroying = driver.destroy(spec.id).catch(() => {});
    await until(() => podsOf(fake!, spec.id)[0]?.[1].metadata.deletionTimestamp !== undefined);
    await driverFor(fake, { tombstoneTtlSeconds: 0 }).sweep();
    expect(fake.objects.has(`configmaps/launcher-${spec.id}-destroyed`)).toBe(true);
    await destroying;
  });

  it("runs the container as non-root, without privilege escalation or capabilities, within the template's resources", async () => {
    const fake = await startFake({ rootImages: ["docker.io/library/root-app:1"] });
    const sized = TemplateSchema.parse({
      ...template,
      resources: { cpus: 0.5, memoryMiB: 512, pids: 256 },
    });
    const spec = newSpec(sized);
    await driverFor(fake).ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    const deployment = fake.objects.get(`deployments/launcher-${spec.id}`)!;
    const podSpec = (
      deployment.spec as {
        template: {
          spec: { containers: Record<string, unknown>[]; automountServiceAccountToken: boolean };
        };
      }
    ).template.spec;
    expect(podSpec.automountServiceAccountToken).toBe(false);
    expect(podSpec.containers[0]).toMatchObject({
      securityContext: {
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      },
      resources: {
        requests: { cpu: "500m", memory: "512Mi" },
        limits: { cpu: "500m", memory: "512Mi" },
      },
    });

    // An image that runs as root does not start; the launch fails and says why.
    const rooted = TemplateSchema.parse({
      ...template,
      drivers: {
        kubernetes: { ...template.drivers.kubernetes, image: "docker.io/library/root-app:1" },
      },
    });
    const error = await driverFor(fake)
      .ensure(newSpec(rooted), secretEnv(), AbortSignal.timeout(5000))
      .catch((e) => e);
    expect(error.message).toMatch(/non-root/);
  });

  it("ensure records readiness on the Deployment; observe writes nothing", async () => {
    const fake = await startFake();
    const spec = newSpec();
    await driverFor(fake).ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    const deployment = fake.objects.get(`deployments/launcher-${spec.id}`)!;
    expect(deployment.metadata.annotations?.["launcher.ready"]).toMatch(/^\d{4}-/);
    const before = fake.requests.length;
    expect((await followToEnd(driverFor(fake), spec.id)).at(-1)!.phase).toBe("ready");
    expect(fake.requests.slice(before).filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("recordFailure marks the Deployment once, and never an instance at its end", async () => {
    const fake = await startFake({ neverReady: true });
    const driver = driverFor(fake);
    const spec = await startedOnly(fake, driver);
    await driver.recordFailure(spec.id, "first reason");
    await driver.recordFailure(spec.id, "second reason");
    const annotations = () =>
      fake!.objects.get(`deployments/launcher-${spec.id}`)!.metadata.annotations ?? {};
    expect(annotations()["launcher.failed"]).toBe("first reason");

    const gone = await startedOnly(fake, driver);
    await driver.destroy(gone.id);
    await driver.recordFailure(gone.id, "too late");
    expect(fake.objects.has(`deployments/launcher-${gone.id}`)).toBe(false);
  });
});
