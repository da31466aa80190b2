import { AppsV1Api } from "@kubernetes/client-node";
import { expect } from "vitest";
import type { InstanceSpec } from "../driver.ts";
import type { DriverContractAdapter } from "../driver-contract.ts";
import { requestsAt } from "../driver-contract-adapter.ts";
import { bundledTemplate, newInstanceSpec, secretEnvFor, withSpec } from "../driver-fixtures.ts";
import { until } from "../driver-test.ts";
import type { Template } from "../template.ts";
import { type FakeKube, type Obj, startFakeKube } from "./fake-kube.ts";
import { ANNOTATIONS, LABELS, ownerHash } from "./kube-manifests.ts";
import { STEP_KEYS } from "./kube-observation.ts";
import { createKubernetesDriver, type KubernetesDriverOptions } from "./kubernetes-driver.ts";

/**
 * What the Kubernetes driver's tests share: a template, specs, secrets and a driver on a fake.
 * The template is the bundled Jupyter, with a plain env value to see where it goes.
 */
export const template: Template = withSpec(bundledTemplate("jupyter"), "kubernetes", {
  env: { JUPYTER_PORT: "8888" },
});

export const NS = "launcher-test";

export const newSpec = (t: Template = template, owner = "local"): InstanceSpec =>
  newInstanceSpec(t, { owner });

export const secretEnv = () => secretEnvFor(template);

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

const nameOf = (id: string) => `launcher-${id}`;
const podsOf = (fake: FakeKube, id: string) =>
  [...fake.objects].filter(
    ([key, obj]) => key.startsWith("pods/") && obj.metadata.labels?.[LABELS.id] === id,
  );
const annotationsOf = (fake: FakeKube, id: string) =>
  fake.objects.get(`deployments/${nameOf(id)}`)?.metadata.annotations ?? {};
/** The pod template of a Deployment the fake stores. */
export const podTemplateOf = (deployment: Obj) =>
  (
    deployment.spec as {
      template: {
        spec: { containers: Record<string, unknown>[]; automountServiceAccountToken?: boolean };
      };
    }
  ).template.spec;

/** The Kubernetes driver held to the remote drivers' contract, on the fake API server. */
export const kubeContract: DriverContractAdapter<FakeKube> = {
  name: "kubernetes",
  template,
  startFake: (knobs = {}) =>
    startFakeKube({
      ...(knobs.slow ? { stepMs: 300 } : {}),
      ...(knobs.neverHealthy ? { neverReady: true } : {}),
      ...(knobs.slowTeardown ? { terminationMs: 1000 } : {}),
    }),
  driverFor: (fake, { credentials, ...knobs } = {}) =>
    driverFor(fake, {
      ingressHost: "{id}.apps.example.com",
      ...knobs,
      ...(credentials ? { kubeConfig: fake.kubeConfig(NS, credentials) } : {}),
    }),
  steps: STEP_KEYS,
  phases: ["pulling", "starting", "checking"], // every pod state is seen
  urlOf: (id) => `https://${id}.apps.example.com/`,
  running: (fake, id) => podsOf(fake, id).length,
  holds: (fake, id) => fake.objects.has(`deployments/${nameOf(id)}`),
  creates: { method: "POST", path: /\/deployments$/ },
  tombstoneReason: (fake, id) =>
    fake.objects.get(`configmaps/${nameOf(id)}-destroyed`)?.metadata.annotations?.[
      ANNOTATIONS.reason
    ],
  marks(fake, id) {
    const annotations = annotationsOf(fake, id);
    return { ready: annotations[ANNOTATIONS.ready], failed: annotations[ANNOTATIONS.failed] };
  },
  setHealthy: (fake, id, healthy) => fake.setPodReady(id, healthy),
  faults: {
    // The parent and the Secret exist by then.
    midCreate: { method: "POST", path: /\/services$/ },
    teardown: { method: "DELETE", path: /\/deployments\// },
    throttled: { method: "POST", path: /\/deployments$/ },
    burst: { method: "POST", path: /\/secrets$/ },
  },
  secretsIn: (r) =>
    r.method === "POST" && r.url.split("?")[0]!.endsWith("/secrets")
      ? JSON.parse(r.body).stringData
      : undefined,
  timedOut: /ready within 1 s/,
  afterHiccup: "checking", // not ready now, but not failed: the probe decides again
  refused: /^Kubernetes refused the credentials/,
  availableDetail: `Kubernetes v1.31.0-fake, namespace ${NS}`,
  unreachable: (fake) =>
    `the Kubernetes API at ${fake.kubeConfig(NS).getCurrentCluster()!.server} did not answer`,
  check: {
    launched(fake, spec) {
      // Deployment, Secret, Service and Ingress named after the id, labelled, owned by the
      // Deployment; the secret reaches the container only through `secretKeyRef`.
      const name = nameOf(spec.id);
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
        if (resource === "deployments") continue;
        expect(obj.metadata.ownerReferences?.map((o) => o.uid)).toEqual([deployment.metadata.uid]);
      }
      const [container] = podTemplateOf(deployment).containers;
      expect(container!.env).toEqual([
        { name: "JUPYTER_PORT", value: "8888" },
        { name: "JUPYTER_TOKEN", valueFrom: { secretKeyRef: { name, key: "JUPYTER_TOKEN" } } },
      ]);
      expect(container!.readinessProbe).toMatchObject({ httpGet: { path: "/api", port: 8888 } });
    },
    secretsGone(fake, _spec, env) {
      // No label or annotation of anything left holds a secret.
      for (const obj of fake.objects.values()) {
        expect(JSON.stringify(obj.metadata)).not.toContain(env.JUPYTER_TOKEN);
      }
    },
    halfMade(fake, spec, error) {
      expect(error).toMatchObject({
        code: "platform",
        message: "The Kubernetes API answered 502 (create service)",
      });
      // The parent waits with no replica, so no pod runs with a half-made instance.
      const parent = fake.objects.get(`deployments/${nameOf(spec.id)}`);
      expect(parent?.spec).toMatchObject({ replicas: 0 });
    },
    resumed(fake) {
      // The objects were there already: each create answered 409 and was read instead.
      expect(requestsAt(fake, kubeContract.creates).every((r) => r.status === 409)).toBe(true);
      const secrets = requestsAt(fake, kubeContract.faults.burst);
      expect(secrets.every((r) => r.status === 409)).toBe(true);
    },
    async destroyed(fake, spec, env) {
      const deletes = fake.requests.filter(
        (r) => r.method === "DELETE" && r.url.includes("/deployments/"),
      );
      expect(deletes[0]!.url).toContain("propagationPolicy=Foreground");
      // Foreground deletion finishes through the owner references: only the tombstone is left.
      await until(() => [...fake.objects.keys()].every((k) => k.startsWith("configmaps/")));
      const keys = [...fake.objects.keys()];
      expect(keys).toEqual([`configmaps/${nameOf(spec.id)}-destroyed`]);
      expect(JSON.stringify(fake.objects.get(keys[0]!))).not.toContain(env.JUPYTER_TOKEN);
    },
    plantForeign(fake, like) {
      // A Deployment someone else manages in the same namespace is not an instance.
      const theirs = structuredClone(fake.objects.get(`deployments/${nameOf(like)}`)!);
      theirs.metadata.name = "their-app";
      theirs.metadata.labels = { "app.kubernetes.io/managed-by": "helm" };
      fake.objects.set("deployments/their-app", theirs);
    },
    async listed(fake, spec) {
      // The owner is selectable by its hash (labels cannot hold an e-mail address).
      const apps = fake.kubeConfig(NS).makeApiClient(AppsV1Api);
      const owned = await apps.listNamespacedDeployment({
        namespace: NS,
        labelSelector: `launcher.owner-hash=${ownerHash(spec.owner)},app.kubernetes.io/managed-by in (launcher)`,
      });
      expect(owned.items.map((d) => d.metadata?.labels?.["launcher.id"])).toEqual([spec.id]);
    },
  },
};
