import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DriverError, isTerminal, type Observation } from "../driver.ts";
import { newDriverTest } from "../driver-test.ts";
import { followToEnd } from "../follow-to-end.ts";
import { TemplateSchema } from "../template.ts";
import { startFakeKube } from "./fake-kube.ts";
import { hasKubeConfig, SERVICE_ACCOUNT_TOKEN } from "./kube-config.ts";
import { creates, driverFor, NS, newSpec, secretEnv, template } from "./kube-fixtures.ts";
import { ownerHash } from "./kube-manifests.ts";
import { createKubernetesDriver } from "./kubernetes-driver.ts";

const { startFake, stopFake } = newDriverTest(startFakeKube);

const follow = followToEnd;

describe("kubernetes driver (contract-tested against a fake API server)", () => {
  it("launches to ready: Deployment, Secret, Service and Ingress named after the id, labelled, owned by the Deployment", async () => {
    const fake = await startFake({ stepMs: 300 });
    const driver = driverFor(fake, { ingressHost: "{id}.apps.example.com" });
    const spec = newSpec();
    // Followed from before the launch, as the server does: every pod state is seen.
    const following = follow(driver, spec.id);
    await driver.ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    const seen = await following;
    expect(seen[0]).toMatchObject({ version: 0, phase: "preparing" });
    const last = seen.at(-1)!;
    expect(last.phase).toBe("ready");
    expect(last.url).toBe(`https://${spec.id}.apps.example.com/`);
    const phases = seen.map((o) => o.phase);
    for (const phase of ["pulling", "starting", "checking", "ready"])
      expect(phases).toContain(phase);
    const versions = seen.map((o) => o.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    expect(last.steps.every((s) => s.state === "done")).toBe(true);

    const name = `launcher-${spec.id}`;
    const deployment = fake.objects.get(`deployments/${name}`)!;
    expect(deployment.spec).toMatchObject({ replicas: 1 });
    for (const resource of ["secrets", "services", "ingresses", "deployments"]) {
      const obj = fake.objects.get(`${resource}/${name}`)!;
      expect(obj.metadata.labels).toEqual({
        "app.kubernetes.io/managed-by": "launcher",
        "launcher.id": spec.id,
        "launcher.owner-hash": ownerHash("local"),
        "launcher.template": "jupyter",
      });
      if (resource !== "deployments") {
        expect(obj.metadata.ownerReferences?.map((o) => o.uid)).toEqual([deployment.metadata.uid]);
      }
    }
    const container = (
      deployment.spec as { template: { spec: { containers: Record<string, unknown>[] } } }
    ).template.spec.containers[0]!;
    expect(container.env).toEqual([
      { name: "JUPYTER_PORT", value: "8888" },
      { name: "JUPYTER_TOKEN", valueFrom: { secretKeyRef: { name, key: "JUPYTER_TOKEN" } } },
    ]);
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: "/api", port: 8888 } });
  });

  it("puts secrets only in the Secret: never in a URL, label, annotation or plain env", async () => {
    const fake = await startFake();
    const driver = driverFor(fake);
    const spec = newSpec();
    const env = secretEnv();
    await driver.ensure(spec, env, AbortSignal.timeout(5000));
    await follow(driver, spec.id);
    await driver.destroy(spec.id);
    const value = env.JUPYTER_TOKEN;
    for (const request of fake.requests) {
      expect(request.url).not.toContain(value);
      const isSecret = request.method === "POST" && request.url.endsWith("/secrets");
      if (!isSecret) expect(request.body).not.toContain(value);
    }
    const [secretPost] = creates(fake, "secrets");
    expect(JSON.parse(secretPost!.body).stringData).toEqual(env);
    for (const obj of fake.objects.values()) {
      expect(JSON.stringify(obj.metadata)).not.toContain(value);
    }
  });

  it("a restarted launcher finds the existing objects (409 → read) and creates no second pod", async () => {
    const fake = await startFake();
    const spec = newSpec();
    const env = secretEnv();
    // The first launcher dies after creating the parent and the Secret (its retries run out).
    fake.fail({ method: "POST", path: /\/services$/, status: 500, times: 10 });
    const dying = driverFor(fake, { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    await expect(dying.ensure(spec, env, AbortSignal.timeout(5000))).rejects.toMatchObject({
      name: "DriverError",
      code: "platform",
      message: "The Kubernetes API answered 500 (create service)",
    });
    expect(fake.objects.get(`deployments/launcher-${spec.id}`)?.spec).toMatchObject({
      replicas: 0,
    });
    // While the parent has no replica, no pod runs with a half-made instance.
    expect([...fake.objects.keys()].filter((k) => k.startsWith("pods/"))).toHaveLength(0);
    fake.clearFaults();
    fake.requests.length = 0;
    // Two fresh launchers resume at once.
    await Promise.all([
      driverFor(fake).ensure(spec, env, AbortSignal.timeout(5000)),
      driverFor(fake).ensure(spec, env, AbortSignal.timeout(5000)),
    ]);
    expect(creates(fake, "deployments").every((r) => r.status === 409)).toBe(true);
    expect(creates(fake, "secrets").every((r) => r.status === 409)).toBe(true);
    expect((await follow(driverFor(fake), spec.id)).at(-1)!.phase).toBe("ready");
    expect([...fake.objects.keys()].filter((k) => k.startsWith("pods/"))).toHaveLength(1);
  });

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

  it("rides out 429 with Retry-After and 5xx bursts; 401 is refused clearly", async () => {
    const fake = await startFake();
    const spec = newSpec();
    fake.fail({
      method: "POST",
      path: /\/deployments$/,
      status: 429,
      headers: { "retry-after": "0.1" },
    });
    fake.fail({ method: "POST", path: /\/secrets$/, status: 503, times: 3 });
    const started = performance.now();
    await driverFor(fake).ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(creates(fake, "secrets")).toHaveLength(4);
    expect((await follow(driverFor(fake), spec.id)).at(-1)!.phase).toBe("ready");

    const refused = createKubernetesDriver({
      namespace: NS,
      kubeConfig: fake.kubeConfig(NS, "wrong-token"),
    });
    const error = await refused
      .ensure(newSpec(), secretEnv(), AbortSignal.timeout(5000))
      .catch((e) => e);
    expect(error).toBeInstanceOf(DriverError);
    expect(error.code).toBe("refused");
    expect(error.message).not.toContain("wrong-token");
  });

  it("destroy leaves a tombstone ConfigMap without secrets, deletes everything through the parent; follow ends destroyed; ensure never recreates", async () => {
    const fake = await startFake();
    const driver = driverFor(fake, { ingressHost: "{id}.apps.example.com" });
    const spec = newSpec();
    const env = secretEnv();
    await driver.ensure(spec, env, AbortSignal.timeout(5000));
    const ready = (await follow(driver, spec.id)).at(-1)!;
    await driver.destroy(spec.id);
    await driver.destroy(spec.id); // idempotent
    const deletes = fake.requests.filter(
      (r) => r.method === "DELETE" && r.url.includes("/deployments/"),
    );
    expect(deletes[0]!.url).toContain("propagationPolicy=Foreground");

    const end = (await follow(driver, spec.id)).at(-1)!;
    expect(end.phase).toBe("destroyed");
    expect(end.version).toBeGreaterThan(ready.version);
    // Foreground deletion finishes: only the tombstone is left.
    const deadline = Date.now() + 3000;
    while (
      [...fake.objects.keys()].some((k) => !k.startsWith("configmaps/")) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const keys = [...fake.objects.keys()];
    expect(keys).toEqual([`configmaps/launcher-${spec.id}-destroyed`]);
    expect(JSON.stringify(fake.objects.get(keys[0]!))).not.toContain(env.JUPYTER_TOKEN);

    const before = creates(fake, "deployments").length;
    await driverFor(fake).ensure(spec, env, AbortSignal.timeout(5000));
    expect(creates(fake, "deployments")).toHaveLength(before);
    expect((await follow(driverFor(fake), spec.id)).at(-1)!.phase).toBe("destroyed");
  });

  it("destroy before any launch leaves a tombstone, so a late ensure creates nothing", async () => {
    const fake = await startFake();
    const driver = driverFor(fake);
    const spec = newSpec();
    await driver.destroy(spec.id);
    await driver.ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    expect(creates(fake, "deployments")).toHaveLength(0);
    expect((await follow(driver, spec.id)).at(-1)!.phase).toBe("destroyed");
  });

  it("keeps a launch that was ready from failing when its probe fails after the timeout", async () => {
    const fake = await startFake({});
    const driver = driverFor(fake, { watchSeconds: 1 });
    const quick = TemplateSchema.parse({
      ...template,
      drivers: { kubernetes: { ...template.drivers.kubernetes, timeout: 1 } },
    });
    const spec = newSpec(quick);
    await driver.ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    expect((await follow(driver, spec.id)).at(-1)!.phase).toBe("ready");
    fake.setPodReady(spec.id, false); // the probe fails now, as during a hiccup
    while (Date.now() < spec.createdAt + 1500) await new Promise((r) => setTimeout(r, 100));
    // Another launcher process, from the platform alone: not ready now, but not failed.
    const controller = new AbortController();
    let first: Observation | undefined;
    for await (const o of driverFor(fake).observe(spec.id, controller.signal)) {
      first = o;
      break;
    }
    controller.abort();
    expect(first?.phase).toBe("checking");
  });

  it("fails a launch whose readiness probe never passes within the template timeout, recorded on the platform", async () => {
    const fake = await startFake({ neverReady: true });
    const driver = driverFor(fake, { watchSeconds: 1 });
    const slow = TemplateSchema.parse({
      ...template,
      drivers: { kubernetes: { ...template.drivers.kubernetes, timeout: 1 } },
    });
    const spec = newSpec(slow);
    const error = await driver.ensure(spec, secretEnv(), AbortSignal.timeout(5000)).catch((e) => e);
    expect(error).toBeInstanceOf(DriverError);
    expect(error.message).toMatch(/ready within 1 s/);
    const end = (await follow(driver, spec.id)).at(-1)!;
    expect(end.phase).toBe("failed");
    expect(end.error).toMatch(/ready within 1 s/);
    // Another launcher process agrees, from the platform alone.
    const other = (await follow(driverFor(fake), spec.id)).at(-1)!;
    expect(other).toMatchObject({ phase: "failed", version: end.version });
    // The launch session records why on the Deployment: every process then reads it there.
    await driver.recordFailure(spec.id, error.message);
    const deployment = fake.objects.get(`deployments/launcher-${spec.id}`)!;
    expect(deployment.metadata.annotations?.["launcher.failed"]).toBe(error.message);
    const recorded = (await follow(driverFor(fake), spec.id)).at(-1)!;
    expect(recorded).toMatchObject({ phase: "failed", error: error.message });
    expect(recorded.version).toBeGreaterThanOrEqual(end.version);
  });
});

describe("kubernetes availability", () => {
  it("is available when the API server answers, and says which", async () => {
    const fake = await startFake({ stepMs: 50 });
    const driver = driverFor(fake);
    expect(await driver.available()).toEqual({
      available: true,
      detail: `Kubernetes v1.31.0-fake, namespace ${NS}`,
    });
    expect((await driver.availableFor(template)).available).toBe(true);
  });

  it("is unavailable, with the reason, when no API server answers", async () => {
    const fake = await startFake({ stepMs: 50 });
    const kubeConfig = fake.kubeConfig(NS);
    const server = kubeConfig.getCurrentCluster()!.server;
    await stopFake();
    const driver = createKubernetesDriver({ namespace: NS, kubeConfig });
    expect(await driver.available()).toEqual({
      available: false,
      reason: `the Kubernetes API at ${server} did not answer`,
    });
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
