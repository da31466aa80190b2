import { describe, expect, it } from "vitest";
import { DriverError } from "../driver.ts";
import { newDriverTest } from "../driver-test.ts";
import { followToEnd } from "../follow-to-end.ts";
import { TemplateSchema } from "../template.ts";
import { startFakeFly } from "./fake-fly.ts";
import { createFlyDriver } from "./fly-driver.ts";
import {
  driverFor,
  machinePosts,
  newSpec,
  secretEnv,
  TOMBSTONE_APP,
  template,
} from "./fly-fixtures.ts";
import { tombstoneSecretName } from "./fly-tombstones.ts";

const { startFake } = newDriverTest(startFakeFly);

const follow = followToEnd;

describe("fly driver (contract-tested against a fake Machines API)", () => {
  it("is unavailable without a token, and names why", async () => {
    const driver = createFlyDriver({ org: "personal", region: "fra" });
    expect(await driver.available()).toEqual({
      available: false,
      reason: "FLY_API_TOKEN is not set",
    });
    const noFly = TemplateSchema.parse({ ...template, drivers: {} });
    expect(
      (await createFlyDriver({ token: "t", org: "o", region: "r" }).availableFor(noFly)).available,
    ).toBe(false);
  });

  it("launches to ready at https://<app>.fly.dev/ through created, starting and checking, versions only growing", async () => {
    const fake = await startFake({ stepMs: 300, checkMs: 600, waitCapMs: 5 });
    const driver = driverFor(fake);
    const spec = newSpec();
    // Followed from before the launch, as the server does.
    const following = follow(driver, spec.id);
    await driver.ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    const seen = await following;
    expect(seen[0]).toMatchObject({ version: 0, phase: "preparing" }); // unknown to Fly yet
    const last = seen.at(-1)!;
    expect(last.phase).toBe("ready");
    expect(last.url).toBe(`https://launcher-${spec.id}.fly.dev/`);
    expect(last.steps.map((s) => [s.key, s.state])).toEqual([
      ["create", "done"],
      ["start", "done"],
      ["check", "done"],
    ]);
    const versions = seen.map((o) => o.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    expect(seen.map((o) => o.phase)).toContain("checking");
    // The machine was long-polled with `wait`, and a 408 led to another wait, not an error.
    const waits = fake.requests.filter((r) => r.url.includes("/wait?state=started"));
    expect(waits.some((r) => r.status === 408)).toBe(true);
    expect(waits.every((r) => /timeout=([1-9]|[1-5]\d|60)(&|$)/.test(r.url))).toBe(true);

    // The machine carries its id in metadata, an HTTP check on the health path, the guest size.
    const app = fake.apps.get(`launcher-${spec.id}`)!;
    const [machine] = [...app.machines.values()];
    expect(machine!.config.metadata?.launcher_id).toBe(spec.id);
    expect(machine!.config).toMatchObject({
      image: "ghcr.io/livebook-dev/livebook:latest",
      guest: { cpus: 1, memory_mb: 1024 },
      services: [{ internal_port: 8080, checks: [{ type: "http", path: "/public/health" }] }],
    });
    expect(app.ips.some((ip) => ip.shared)).toBe(true);
    expect(app.ips.some((ip) => ip.ip.includes(":"))).toBe(true);
  });

  it("puts secrets only in the app secrets endpoint: never in a URL, the machine config or its env", async () => {
    const fake = await startFake();
    const driver = driverFor(fake);
    const spec = newSpec();
    const env = secretEnv();
    await driver.ensure(spec, env, AbortSignal.timeout(5000));
    await follow(driver, spec.id);
    const [machine] = [...fake.apps.get(`launcher-${spec.id}`)!.machines.values()];
    await driver.destroy(spec.id);
    const values = Object.values(env);
    for (const request of fake.requests) {
      for (const value of values) expect(request.url).not.toContain(value);
      const isSecretsPost = request.method === "POST" && request.url.endsWith("/secrets");
      if (!isSecretsPost) for (const value of values) expect(request.body).not.toContain(value);
    }
    const secretsPost = fake.requests.find(
      (r) => r.method === "POST" && r.url.endsWith("/secrets") && r.body.includes(values[0]!),
    );
    expect(JSON.parse(secretsPost!.body)).toEqual({ values: env });
    expect(machine!.config.env).toEqual({ LIVEBOOK_PORT: "8080" });
    // Nothing the instance had outlives it: its app (and with it the secrets) is gone.
    expect(fake.apps.has(`launcher-${spec.id}`)).toBe(false);
    for (const app of fake.apps.values()) {
      for (const { value } of app.secrets.values()) expect(values).not.toContain(value);
    }
  });

  it("refuses clearly on 401 without naming the token", async () => {
    const fake = await startFake();
    const token = "fo1_very-secret-token-value";
    const driver = driverFor(fake, { token });
    const error = await driver
      .ensure(newSpec(), secretEnv(), AbortSignal.timeout(5000))
      .catch((e) => e);
    expect(error).toBeInstanceOf(DriverError);
    expect(error).toMatchObject({ code: "refused", message: "Fly.io refused the API token" });
    expect(String(error.stack)).not.toContain(token);
  });

  it("retries 429 no sooner than Retry-After, and rides out a 5xx burst", async () => {
    const fake = await startFake();
    const driver = driverFor(fake);
    fake.fail({
      method: "POST",
      path: /^\/v1\/apps$/,
      status: 429,
      headers: { "retry-after": "0.15" },
    });
    fake.fail({ method: "POST", path: /\/machines$/, status: 503, times: 3 });
    const spec = newSpec();
    await driver.ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    const appPosts = fake.requests.filter((r) => r.method === "POST" && r.url === "/v1/apps");
    expect(appPosts).toHaveLength(2);
    expect(machinePosts(fake)).toHaveLength(4);
    expect((await follow(driver, spec.id)).at(-1)!.phase).toBe("ready");
    expect(fake.apps.get(`launcher-${spec.id}`)!.machines.size).toBe(1);
  });

  it("honours Retry-After: the retry waits at least as long as asked", async () => {
    const fake = await startFake();
    const driver = driverFor(fake);
    fake.fail({
      method: "GET",
      path: /\/machines$/,
      status: 429,
      headers: { "retry-after": "0.2" },
    });
    const started = performance.now();
    await driver.ensure(newSpec(), secretEnv(), AbortSignal.timeout(5000));
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("after a launcher restart mid-launch, a new driver finds the app and creates exactly one machine", async () => {
    const fake = await startFake();
    const spec = newSpec();
    const env = secretEnv();
    // The first launcher dies while creating the machine (its retries run out on a 5xx burst).
    fake.fail({ method: "POST", path: /\/machines$/, status: 502, times: 10 });
    const dying = driverFor(fake, { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    await expect(dying.ensure(spec, env, AbortSignal.timeout(5000))).rejects.toThrow(DriverError);
    expect(fake.apps.has(`launcher-${spec.id}`)).toBe(true); // the app and its secrets stay
    fake.clearFaults();
    // Two fresh launchers resume at once.
    const a = driverFor(fake);
    const b = driverFor(fake);
    await Promise.all([
      a.ensure(spec, env, AbortSignal.timeout(5000)),
      b.ensure(spec, env, AbortSignal.timeout(5000)),
    ]);
    await driverFor(fake).ensure(spec, env, AbortSignal.timeout(5000));
    const live = [...fake.apps.get(`launcher-${spec.id}`)!.machines.values()];
    expect(live.filter((m) => m.state !== "destroyed")).toHaveLength(1);
    expect((await follow(a, spec.id)).at(-1)!.phase).toBe("ready");
  });

  it("two launcher processes compute the same version for the same platform state", async () => {
    const fake = await startFake();
    const spec = newSpec();
    await driverFor(fake).ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    const one = (await follow(driverFor(fake), spec.id)).at(-1)!;
    const two = (await follow(driverFor(fake), spec.id)).at(-1)!;
    expect(two.version).toBe(one.version);
    expect(two.phase).toBe("ready");
  });

  it("destroy force-deletes the machine, deletes the app, leaves a tombstone; follow ends destroyed and ensure never recreates", async () => {
    const fake = await startFake();
    const driver = driverFor(fake);
    const spec = newSpec();
    const env = secretEnv();
    await driver.ensure(spec, env, AbortSignal.timeout(5000));
    const ready = (await follow(driver, spec.id)).at(-1)!;
    await driver.destroy(spec.id);
    await driver.destroy(spec.id); // idempotent
    const deletes = fake.requests.filter((r) => r.method === "DELETE");
    expect(deletes.length).toBeGreaterThan(0);
    expect(deletes.every((r) => r.url.includes("force=true"))).toBe(true);
    expect(fake.apps.has(`launcher-${spec.id}`)).toBe(false);
    const graves = fake.apps.get(TOMBSTONE_APP)!;
    expect([...graves.secrets.keys()]).toEqual([tombstoneSecretName(spec.id, "destroyed")]);

    const end = (await follow(driver, spec.id)).at(-1)!;
    expect(end.phase).toBe("destroyed");
    expect(end.version).toBeGreaterThan(ready.version);
    const posts = machinePosts(fake).length;
    await driverFor(fake).ensure(spec, env, AbortSignal.timeout(5000));
    expect(machinePosts(fake).length).toBe(posts);
    expect(fake.apps.has(`launcher-${spec.id}`)).toBe(false);
    expect((await follow(driver, spec.id)).at(-1)!.phase).toBe("destroyed");
  });

  it("destroy before any launch leaves a tombstone, so a late ensure creates nothing", async () => {
    const fake = await startFake();
    const driver = driverFor(fake);
    const spec = newSpec();
    await driver.destroy(spec.id);
    await driver.ensure(spec, secretEnv(), AbortSignal.timeout(5000));
    expect(machinePosts(fake)).toHaveLength(0);
    expect((await follow(driver, spec.id)).at(-1)!.phase).toBe("destroyed");
  });

  it("destroying a merely prepared ticket creates no Fly app for it: many such tombstones share one app", async () => {
    const fake = await startFake();
    const driver = driverFor(fake);
    const ids = [newSpec().id, newSpec().id, newSpec().id];
    for (const id of ids) await driver.destroy(id);
    expect([...fake.apps.keys()]).toEqual([TOMBSTONE_APP]);
    const appPosts = fake.requests.filter((r) => r.method === "POST" && r.url === "/v1/apps");
    expect(appPosts).toHaveLength(1);
    for (const id of ids) expect((await follow(driver, id)).at(-1)!.phase).toBe("destroyed");
  });

  it("fails a launch whose health check never passes within the template timeout", async () => {
    const fake = await startFake({ checkMs: Number.POSITIVE_INFINITY });
    const driver = driverFor(fake);
    const slow = TemplateSchema.parse({
      ...template,
      drivers: { fly: { ...template.drivers.fly, timeout: 1 } },
    });
    const spec = newSpec(slow);
    const error = await driver.ensure(spec, secretEnv(), AbortSignal.timeout(5000)).catch((e) => e);
    expect(error).toBeInstanceOf(DriverError);
    expect(error.message).toMatch(/health check within 1 s/);
    const end = (await follow(driver, spec.id)).at(-1)!;
    expect(end.phase).toBe("failed");
    expect(end.error).toMatch(/health check within 1 s/);
    expect(end.steps.find((s) => s.key === "check")?.state).toBe("failed");
    // The launch session records why; every process then reads the same end, even once the
    // checks pass late.
    await driver.recordFailure(spec.id, error.message);
    fake.passChecks();
    const other = (await follow(driverFor(fake), spec.id)).at(-1)!;
    expect(other).toMatchObject({ phase: "failed", error: error.message });
  });
});
