import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isTerminal, type Observation } from "../driver.ts";
import { describeDriverContract } from "../driver-contract.ts";
import { startedOnly } from "../driver-contract-adapter.ts";
import { withSpec } from "../driver-fixtures.ts";
import { newDriverTest, until } from "../driver-test.ts";
import { type FakeKube, startFakeKube } from "./fake-kube.ts";
import { hasKubeConfig, SERVICE_ACCOUNT_TOKEN } from "./kube-config.ts";
import {
  driverFor,
  kubeContract,
  NS,
  newSpec,
  podTemplateOf,
  secretEnv,
  template,
} from "./kube-fixtures.ts";
import { createKubernetesDriver } from "./kubernetes-driver.ts";

// What every remote driver owes (launch, secrets, retries, restarts, destroy, lists, lifetimes,
// sweeping, availability), against the fake API server.
describeDriverContract(kubeContract);

const podOf = (fake: FakeKube, id: string) =>
  [...fake.objects].find(
    ([key, obj]) => key.startsWith("pods/") && obj.metadata.labels?.["launcher.id"] === id,
  )?.[1];

describe("kubernetes driver: what only Kubernetes has", () => {
  const { startFake } = newDriverTest(startFakeKube);

  it("resumes its watch from the last resourceVersion and relists after 410 Gone", async () => {
    const fake = await startFake({ stepMs: 300 });
    const driver = driverFor(fake);
    const spec = newSpec();
    // Followed from before the launch, as the server does: the watch runs while pods change.
    const ensuring = driver.ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5000);
    const seen: Observation[] = [];
    let compacted = false;
    for await (const observation of driver.observe(spec.id, controller.signal)) {
      seen.push(observation);
      // The pod's watch has seen it by now: history gone, watches cut.
      if (["pulling", "starting", "checking"].includes(observation.phase) && !compacted) {
        compacted = true;
        fake.compact();
      }
      if (isTerminal(observation.phase)) break;
    }
    clearTimeout(timer);
    controller.abort();
    await ensuring;
    expect(seen.at(-1)!.phase).toBe("ready");
    expect(fake.goneCount()).toBeGreaterThan(0);
    const lists = fake.requests.filter(
      (r) => r.method === "GET" && /\/pods\?/.test(r.url) && !r.url.includes("watch=true"),
    );
    expect(lists.length).toBeGreaterThanOrEqual(2);
    const versions = seen.map((o) => o.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });

  it("sweep keeps a tombstone past its lifetime while its instance is still being torn down", async () => {
    const fake = await startFake({ terminationMs: 400, neverReady: true });
    const driver = driverFor(fake);
    const spec = await startedOnly(kubeContract, fake, driver);
    const destroying = driver.destroy(spec.id).catch(() => {});
    await until(() => podOf(fake, spec.id)?.metadata.deletionTimestamp !== undefined);
    await driverFor(fake, { tombstoneTtlSeconds: 0 }).sweep();
    expect(fake.objects.has(`configmaps/launcher-${spec.id}-destroyed`)).toBe(true);
    await destroying;
  });

  it("runs the container as non-root, without privilege escalation or capabilities, within the template's resources", async () => {
    const fake = await startFake({ rootImages: ["docker.io/library/root-app:1"] });
    const sized = withSpec(
      template,
      "kubernetes",
      {},
      {
        resources: { cpus: 0.5, memoryMiB: 512, pids: 256 },
      },
    );
    const spec = newSpec(sized);
    await driverFor(fake).ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    const deployment = fake.objects.get(`deployments/launcher-${spec.id}`)!;
    const podSpec = podTemplateOf(deployment);
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
    const rooted = withSpec(template, "kubernetes", { image: "docker.io/library/root-app:1" });
    const error = await driverFor(fake)
      .ensure(newSpec(rooted), secretEnv(), AbortSignal.timeout(5000))
      .catch((e) => e);
    expect(error.message).toMatch(/non-root/);
  });

  describe("without a kubeconfig", () => {
    let home: string | undefined;
    afterEach(() => {
      vi.unstubAllEnvs();
      if (home) rmSync(home, { recursive: true, force: true });
      home = undefined;
    });

    it("finds one where the client library looks: KUBECONFIG, then ~/.kube/config", () => {
      home = mkdtempSync(join(tmpdir(), "kube-home-"));
      const token = join(home, "token"); // the in-cluster service account's, here absent
      expect(hasKubeConfig({ HOME: home }, token)).toBe(false);
      expect(hasKubeConfig({ HOME: home, KUBECONFIG: "/elsewhere/config" }, token)).toBe(true);
      mkdirSync(join(home, ".kube"));
      writeFileSync(join(home, ".kube", "config"), "apiVersion: v1\n");
      expect(hasKubeConfig({ HOME: home }, token)).toBe(true);
      rmSync(join(home, ".kube"), { recursive: true });
      writeFileSync(token, "in-cluster");
      expect(hasKubeConfig({ HOME: home }, token)).toBe(true);
    });

    // Inside a pod the service account counts as a kubeconfig: nothing to check there.
    it.skipIf(existsSync(SERVICE_ACCOUNT_TOKEN))(
      "is unavailable and says why, without asking localhost:8080",
      async () => {
        home = mkdtempSync(join(tmpdir(), "kube-home-"));
        vi.stubEnv("HOME", home);
        vi.stubEnv("KUBECONFIG", "");
        const driver = createKubernetesDriver({ namespace: NS });
        expect(await driver.available()).toEqual({
          available: false,
          reason: "no kubeconfig (KUBECONFIG, ~/.kube/config or an in-cluster service account)",
        });
        expect((await driver.availableFor(template)).available).toBe(false);
        expect(await driver.list()).toEqual([]);
        await driver.sweep();
      },
    );
  });
});
