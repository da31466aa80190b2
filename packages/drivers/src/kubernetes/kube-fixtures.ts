import { randomBytes } from "node:crypto";
import type { InstanceSpec } from "../driver.ts";
import { newInstanceSpec } from "../driver-fixtures.ts";
import { type Template, TemplateSchema } from "../template.ts";
import type { FakeKube } from "./fake-kube.ts";
import { createKubernetesDriver, type KubernetesDriverOptions } from "./kubernetes-driver.ts";

/** What the Kubernetes driver's tests share: a template, specs, secrets and a driver on a fake. */
export const template: Template = TemplateSchema.parse({
  id: "jupyter",
  name: "Jupyter Notebook",
  description: "test",
  secrets: [{ name: "token", env: "JUPYTER_TOKEN", length: 32 }],
  drivers: {
    kubernetes: {
      image: "quay.io/jupyter/base-notebook:latest",
      port: 8888,
      env: { JUPYTER_PORT: "8888" },
      healthPath: "/api",
    },
  },
});

export const NS = "launcher-test";

export const newSpec = (t: Template = template, owner = "local"): InstanceSpec =>
  newInstanceSpec(t, { owner });

export const secretEnv = () => ({ JUPYTER_TOKEN: `tok-${randomBytes(16).toString("hex")}` });

export const driverFor = (f: FakeKube, overrides: Partial<KubernetesDriverOptions> = {}) =>
  createKubernetesDriver({
    namespace: NS,
    kubeConfig: f.kubeConfig(NS),
    retry: { retries: 4, baseDelayMs: 1, maxDelayMs: 100 },
    watchSeconds: 5,
    pollIntervalMs: 100,
    ...overrides,
  });

export const creates = (f: FakeKube, resource: string) =>
  f.requests.filter((r) => r.method === "POST" && r.url.split("?")[0]!.endsWith(`/${resource}`));
