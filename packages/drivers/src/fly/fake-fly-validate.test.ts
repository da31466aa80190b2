import { describe, expect, it } from "vitest";
import { DriverError } from "../driver.ts";
import { newDriverTest } from "../driver-test.ts";
import { DEFAULT_RETRY } from "../retry.ts";
import { TemplateSchema } from "../template.ts";
import { type FakeFly, startFakeFly } from "./fake-fly.ts";
import { CreateMachineRequest } from "./fake-fly-schema.ts";
import { createFlyApi } from "./fly-api.ts";
import { driverFor, newSpec, secretEnv, template } from "./fly-fixtures.ts";
import { machineRequest } from "./machine-config.ts";

// These tests send what the API refuses on purpose: the after-each only closes the fake.
const { startFake, closeJudged } = newDriverTest(startFakeFly, { judge: false });

const call = (f: FakeFly, method: string, path: string, body?: unknown) =>
  fetch(`${f.url}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${f.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const machine = (config: Record<string, unknown>) => ({
  name: "m",
  region: "fra",
  config: { image: "nginx:1", guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 }, ...config },
});

describe("the fake Machines API refuses what the published schema refuses", () => {
  it("refuses machine bodies of the wrong types or sizes with 400 and { error }, and creates nothing", async () => {
    const fake = await startFake();
    await call(fake, "POST", "/apps", { name: "app-1", org_slug: "personal" });
    const bodies = [
      machine({ guest: { cpus: "1", memory_mb: 256 } }),
      machine({ guest: { cpus: 1, memory_mb: 300 } }),
      machine({ guest: { cpu_kind: "turbo" } }),
      machine({ image: undefined }),
      machine({ services: [{ internal_port: 8080, autostop: "sometimes" }] }),
      machine({ services: [{ internal_port: 8080, checks: [{ interval: "ten seconds" }] }] }),
      machine({ env: { PORT: 8080 } }),
      { ...machine({}), min_secrets_version: 1.5 },
    ];
    for (const body of bodies) {
      const response = await call(fake, "POST", "/apps/app-1/machines", body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(await response.json()).toEqual({ error: expect.any(String) });
    }
    expect(fake.refused).toHaveLength(bodies.length);
    expect(fake.refused[0]!.error).toBe(
      "json: cannot unmarshal string into Go struct field config.guest.cpus of type number",
    );
    expect(fake.apps.get("app-1")!.machines.size).toBe(0);
    const accepted = await call(fake, "POST", "/apps/app-1/machines", machine({}));
    expect(accepted.status).toBe(200);
    // The driver tests' afterEach fails any test whose driver sent such a request.
    await expect(closeJudged()).rejects.toThrow("the fake refused what the driver sent");
  });

  it("answers an app without a name or with an invalid one 422, and a taken name 422 name_taken", async () => {
    const fake = await startFake();
    const noName = await call(fake, "POST", "/apps", { app_name: "app-1", org_slug: "personal" });
    expect(noName.status).toBe(422);
    const upper = await call(fake, "POST", "/apps", { name: "App_1", org_slug: "personal" });
    expect(upper.status).toBe(422);
    expect((await call(fake, "POST", "/apps", { name: "app-1", org_slug: "p" })).status).toBe(201);
    const taken = await call(fake, "POST", "/apps", { name: "app-1", org_slug: "p" });
    expect(taken.status).toBe(422);
    expect(await taken.json()).toMatchObject({ status: "name_taken" });
    expect((await call(fake, "POST", "/apps", { name: 7, org_slug: "p" })).status).toBe(400);
  });

  it("checks secrets, IP assignments, metadata, updates and waits against their schemas", async () => {
    const fake = await startFake();
    await call(fake, "POST", "/apps", { name: "app-1", org_slug: "personal" });
    const path = "/apps/app-1";
    expect((await call(fake, "POST", `${path}/secrets`, { values: { A: 1 } })).status).toBe(400);
    expect((await call(fake, "POST", `${path}/secrets`, { values: { A: null } })).status).toBe(200);
    expect((await call(fake, "POST", `${path}/ip_assignments`, { type: "v5" })).status).toBe(400);
    const created = await (await call(fake, "POST", `${path}/machines`, machine({}))).json();
    const m = `${path}/machines/${created.id}`;
    expect((await call(fake, "POST", `${m}/metadata/k`, { value: 1 })).status).toBe(400);
    expect((await call(fake, "POST", `${m}/metadata/k`, { value: "v" })).status).toBe(204);
    expect((await call(fake, "POST", m, { config: { guest: { cpus: 3.5 } } })).status).toBe(400);
    const updated = await call(fake, "POST", m, { config: { image: "nginx:2" } });
    expect(updated.status).toBe(200);
    expect((await updated.json()).instance_id).not.toBe(created.instance_id);
    expect((await call(fake, "GET", `${m}/wait?state=running`)).status).toBe(400);
    expect((await call(fake, "POST", `${path}/secrets`)).status).toBe(400); // no JSON body
  });

  it("accepts every machine the driver asks for: plain, with a command, sized by resources", () => {
    const sized = TemplateSchema.parse({
      ...template,
      drivers: { fly: { ...template.drivers.fly!, guest: undefined, command: ["serve", "{id}"] } },
      resources: { cpus: 3, memoryMiB: 700 },
    });
    for (const [t, version] of [
      [template, 3],
      [sized, undefined],
    ] as const) {
      const spec = newSpec(t, "someone@example.com");
      const body = machineRequest({
        app: `launcher-${spec.id}`,
        region: "fra",
        spec,
        secretNames: new Set(Object.keys(secretEnv())),
        minSecretsVersion: version,
      });
      expect(CreateMachineRequest.safeParse(body).error).toBe(undefined);
    }
  });

  it("a request Fly refuses as invalid rejects as bad_spec: an app name it cannot take, a bad body", async () => {
    const fake = await startFake();
    const driver = driverFor(fake, { appPrefix: "Launcher" });
    const error = await driver
      .ensure(newSpec(), secretEnv(), AbortSignal.timeout(5000))
      .catch((e) => e);
    expect(error).toBeInstanceOf(DriverError);
    expect(error.code).toBe("bad_spec");
    const api = createFlyApi({
      token: fake.token,
      apiUrl: fake.url,
      fetch,
      retry: { ...DEFAULT_RETRY, retries: 0 },
    });
    const refused = await api
      .request("POST", "/apps/launcher-x/machines", { body: { config: {} } })
      .catch((e) => e);
    expect(refused).toMatchObject({ code: "bad_spec" });
    expect(refused.message).toContain("config.image: is required");
  });
});
