import { describe, expect, it } from "vitest";
import { DriverError } from "../driver.ts";
import { newDriverTest } from "../driver-test.ts";
import { TemplateSchema } from "../template.ts";
import { type FakeKube, startFakeKube } from "./fake-kube.ts";
import { validateKubeObject } from "./fake-kube-validate.ts";
import { driverFor, NS, newSpec, secretEnv, template } from "./kube-fixtures.ts";
import {
  childrenFor,
  deploymentFor,
  type ManifestOptions,
  namesFor,
  tombstoneFor,
} from "./kube-manifests.ts";

// These tests send what the API refuses on purpose: the after-each only closes the fake.
const { startFake, closeJudged } = newDriverTest(startFakeKube, { judge: false });

const post = (f: FakeKube, path: string, body: unknown) =>
  fetch(`${f.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${f.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const validDeployment = () => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", labels: { app: "web" } },
  spec: {
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "app", image: "nginx:1", ports: [{ containerPort: 80 }] }] },
    },
  },
});

describe("the fake API server refuses what the real one refuses", () => {
  it("answers an invalid Deployment with 422 Invalid and one cause per field, and stores nothing", async () => {
    const fake = await startFake();
    const deployment = validDeployment();
    deployment.metadata.name = "Web_1";
    deployment.spec.template.metadata.labels = { app: "other" };
    deployment.spec.template.spec.containers[0] = { image: "nginx:1" } as never;
    const response = await post(fake, `/apis/apps/v1/namespaces/${NS}/deployments`, deployment);
    expect(response.status).toBe(422);
    const status = await response.json();
    expect(status).toMatchObject({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "Invalid",
      code: 422,
      details: { name: "Web_1", group: "apps", kind: "Deployment" },
    });
    expect(status.message).toMatch(/^Deployment\.apps "Web_1" is invalid: \[/);
    const causes = status.details.causes.map((c: { field: string; reason: string }) => [
      c.field,
      c.reason,
    ]);
    expect(causes).toEqual(
      expect.arrayContaining([
        ["spec.template.spec.containers[0].name", "FieldValueRequired"],
        ["metadata.name", "FieldValueInvalid"],
        ["spec.template.metadata.labels", "FieldValueInvalid"],
      ]),
    );
    expect(fake.objects.size).toBe(0);
    expect(fake.refused).toHaveLength(1);
    // The driver tests' afterEach fails any test whose driver sent such an object.
    await expect(closeJudged()).rejects.toThrow("the fake refused what the driver sent");
  });

  it("answers a field of the wrong type with 400 BadRequest, as the decoder does", async () => {
    const fake = await startFake();
    const deployment = validDeployment();
    (deployment.spec.template.spec.containers[0]!.ports[0] as { containerPort: unknown }) = {
      containerPort: "eighty",
    };
    const response = await post(fake, `/apis/apps/v1/namespaces/${NS}/deployments`, deployment);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      kind: "Status",
      reason: "BadRequest",
      code: 400,
      message: expect.stringContaining("cannot be handled as a Deployment"),
    });
  });

  it("refuses an unsupported enum value, a bad config key and a kind that is not the URL's", async () => {
    const fake = await startFake();
    const service = await post(fake, `/api/v1/namespaces/${NS}/services`, {
      metadata: { name: "web" },
      spec: { ports: [{ port: 80, protocol: "HTTP" }] },
    });
    expect(service.status).toBe(422);
    expect((await service.json()).details.causes).toEqual([
      expect.objectContaining({
        field: "spec.ports[0].protocol",
        reason: "FieldValueNotSupported",
      }),
    ]);
    const configMap = await post(fake, `/api/v1/namespaces/${NS}/configmaps`, {
      metadata: { name: "c" },
      data: { "no spaces": "x" },
    });
    expect(configMap.status).toBe(422);
    const wrongKind = await post(fake, `/api/v1/namespaces/${NS}/secrets`, {
      kind: "ConfigMap",
      metadata: { name: "s" },
    });
    expect(wrongKind.status).toBe(400);
    const accepted = await post(
      fake,
      `/apis/apps/v1/namespaces/${NS}/deployments`,
      validDeployment(),
    );
    expect(accepted.status).toBe(201);
  });

  it("refuses a replace that changes a Deployment's selector (immutable)", () => {
    const current = validDeployment();
    const next = validDeployment();
    next.spec.selector.matchLabels = { app: "web", tier: "front" } as never;
    next.spec.template.metadata.labels = { app: "web", tier: "front" } as never;
    const refusal = validateKubeObject("deployments", next, {
      namespace: NS,
      urlName: "web",
      current,
    });
    expect(refusal?.code).toBe(422);
    expect(refusal?.status.message).toContain("spec.selector: Invalid value");
  });

  it("accepts every object the driver builds, with and without ingress, command and resources", () => {
    const rich = TemplateSchema.parse({
      ...template,
      drivers: {
        kubernetes: { ...template.drivers.kubernetes!, command: ["start", "--id={id}"] },
      },
      resources: { cpus: 0.5, memoryMiB: 512 },
    });
    const options: ManifestOptions = {
      prefix: "launcher",
      namespace: NS,
      ingressHost: "{id}.apps.example.com",
      ingressClassName: "nginx",
    };
    for (const spec of [newSpec(), newSpec(rich, "someone@example.com")]) {
      const env = secretEnv();
      const deployment = deploymentFor(spec, new Set(Object.keys(env)), options);
      expect(validateKubeObject("deployments", deployment as never, { namespace: NS })).toBe(
        undefined,
      );
      const parent = { ...deployment, metadata: { ...deployment.metadata, uid: "u-1" } };
      const { secret, service, ingress } = childrenFor(spec, env, parent, options);
      for (const [resource, obj] of [
        ["secrets", secret],
        ["services", service],
        ["ingresses", ingress],
        ["configmaps", tombstoneFor("launcher", spec.id, "expired")],
      ] as const) {
        expect(validateKubeObject(resource, obj as never, { namespace: NS })).toBe(undefined);
      }
    }
  });

  it("a launch whose objects the API server refuses rejects as bad_spec, naming the field and no secret", async () => {
    const fake = await startFake();
    const driver = driverFor(fake, { ingressHost: "{id}.Apps.Example.COM" });
    const spec = newSpec();
    const env = secretEnv();
    const error = await driver.ensure(spec, env, AbortSignal.timeout(5000)).catch((e) => e);
    expect(error).toBeInstanceOf(DriverError);
    expect(error.code).toBe("bad_spec");
    expect(error.message).toContain("spec.rules[0].host: invalid value");
    expect(error.message).not.toContain(env.JUPYTER_TOKEN);
    expect(fake.refused.map((r) => r.url)).toEqual([
      `/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses`,
    ]);
    expect(fake.objects.has(`ingresses/${namesFor("launcher", spec.id).name}`)).toBe(false);
  });
});
