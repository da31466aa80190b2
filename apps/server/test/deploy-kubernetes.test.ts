import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { loadAll } from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { EnvSchema, readEnv } from "../src/env.ts";

// deploy/kubernetes as `kubectl kustomize` renders it, each object checked against the
// Kubernetes API's schema (kubernetes-models), and the parts checked against each other, the
// server's configuration and the kubernetes driver's calls.
const ROOT = resolve(import.meta.dirname, "../../..");
const kubectl = await promisify(execFile)("kubectl", ["version", "--client"]).then(
  () => true,
  () => false,
);
if (!kubectl && process.env.CI)
  throw new Error("CI must install kubectl (Debian's kubernetes-client)");

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}
interface Model {
  validate(): void;
}

/** The kubernetes-models class of an object's kind: `kubernetes-models/apps/v1/Deployment`. */
async function modelOf(object: K8sObject): Promise<new (data: unknown) => Model> {
  const module = await import(
    /* @vite-ignore */ `kubernetes-models/${object.apiVersion}/${object.kind}`
  );
  return module[object.kind];
}

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML, read field by field below.
type Loose = any;

describe.skipIf(!kubectl)("deploy/kubernetes", () => {
  let objects: K8sObject[];
  const find = (kind: string, name?: string): Loose => {
    const found = objects.filter((o) => o.kind === kind && (!name || o.metadata.name === name));
    expect(found, `${kind} ${name ?? ""}`).toHaveLength(1);
    return found[0];
  };

  beforeAll(async () => {
    const { stdout } = await promisify(execFile)("kubectl", ["kustomize", "deploy/kubernetes"], {
      cwd: ROOT,
    });
    objects = (loadAll(stdout) as K8sObject[]).filter(Boolean);
  });

  it("renders objects that the Kubernetes API's schema accepts, every one of them", async () => {
    expect(objects.map((o) => o.kind).sort()).toEqual([
      "ConfigMap",
      "Deployment",
      "Ingress",
      "Namespace",
      "Namespace",
      "PodDisruptionBudget",
      "Role",
      "RoleBinding",
      "Service",
      "ServiceAccount",
    ]);
    for (const object of objects) {
      const Kind = await modelOf(object);
      expect(
        () => new Kind(object).validate(),
        `${object.kind} ${object.metadata.name}`,
      ).not.toThrow();
    }
    // The validation is real: the same Deployment with a wrong type in it is refused.
    const deployment = structuredClone(find("Deployment", "launcher"));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = "http";
    const Deployment = await modelOf(deployment);
    expect(() => new Deployment(deployment).validate()).toThrow(/containerPort/);
  });

  it("runs 2+ replicas, ready on /health, with the keys from a Secret, as a user that is not root", () => {
    const deployment = find("Deployment", "launcher");
    const config = find("ConfigMap", "launcher-config");
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    const http = container.ports.find((p: Loose) => p.name === "http");
    expect(String(http.containerPort)).toBe(config.data.PORT);
    expect(container.readinessProbe.httpGet).toEqual({ path: "/health", port: "http" });
    const keys = container.env.find((e: Loose) => e.name === "LAUNCHER_KEYS");
    expect(keys.valueFrom.secretKeyRef).toEqual({ name: "launcher-keys", key: "LAUNCHER_KEYS" });
    expect(container.envFrom).toEqual([{ configMapRef: { name: "launcher-config" } }]);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBe(1000); // the image's USER
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    // Replicas share no state: an absolute state dir on the pod's own volume.
    const stateDir = config.data.LAUNCHER_STATE_DIR;
    expect(stateDir.startsWith("/")).toBe(true);
    expect(container.volumeMounts.map((m: Loose) => m.mountPath)).toContain(stateDir);
    expect(container.image).toBe("registry.example.com/launcher:0.1.0");
  });

  it("configures the server with values its own env schema accepts, on the kubernetes driver only", () => {
    const config = find("ConfigMap", "launcher-config");
    // Every key is one the server reads, and together they pass its checks (a HOST open to
    // other machines needs LAUNCHER_AUTH said out loud, for one).
    for (const key of Object.keys(config.data)) expect(Object.keys(EnvSchema.shape)).toContain(key);
    const env = readEnv({ ...config.data, LAUNCHER_KEYS: "k1:placeholder" });
    expect(env.LAUNCHER_DRIVERS).toEqual(["kubernetes"]);
    expect(env.LAUNCHER_DEFAULT_DRIVER).toBe("kubernetes");
    // Browsers reach it at the Ingress's host, over HTTPS.
    const ingress = find("Ingress", "launcher");
    expect(env.LAUNCHER_ALLOWED_ORIGINS).toEqual([`https://${ingress.spec.rules[0].host}`]);
    expect(ingress.spec.tls[0].hosts).toContain(ingress.spec.rules[0].host);
  });

  it("serves every replica through a Service and an Ingress that keeps WebSockets open", () => {
    const deployment = find("Deployment", "launcher");
    const service = find("Service", "launcher");
    const ingress = find("Ingress", "launcher");
    const podLabels = deployment.spec.template.metadata.labels;
    for (const [key, value] of Object.entries(service.spec.selector)) {
      expect(podLabels[key]).toBe(value);
    }
    expect(service.spec.ports[0].targetPort).toBe("http");
    expect(service.spec.sessionAffinity ?? "None").toBe("None"); // no sticky sessions
    const backend = ingress.spec.rules[0].http.paths[0];
    expect(backend.path).toBe("/");
    expect(backend.backend.service).toEqual({ name: "launcher", port: { name: "http" } });
    // ingress-nginx passes the Upgrade; a quiet socket must outlive the server's 10 s pings.
    expect(ingress.spec.ingressClassName).toBe("nginx");
    const annotations = ingress.metadata.annotations;
    expect(Number(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"])).toBeGreaterThan(
      60,
    );
    expect(Number(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"])).toBeGreaterThan(
      60,
    );
    expect(Object.keys(annotations).some((a) => /affinity/.test(a))).toBe(false);
  });

  it("grants the launcher's service account exactly what the kubernetes driver calls, in the instances' namespace", async () => {
    const config = find("ConfigMap", "launcher-config");
    const role = find("Role", "launcher-driver");
    const binding = find("RoleBinding", "launcher-driver");
    const account = find("ServiceAccount", "launcher");
    const deployment = find("Deployment", "launcher");
    expect(role.metadata.namespace).toBe(config.data.LAUNCHER_K8S_NAMESPACE);
    expect(binding.metadata.namespace).toBe(role.metadata.namespace);
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: role.metadata.name,
    });
    expect(binding.subjects).toEqual([
      {
        kind: "ServiceAccount",
        name: account.metadata.name,
        namespace: account.metadata.namespace,
      },
    ]);
    expect(deployment.spec.template.spec.serviceAccountName).toBe(account.metadata.name);
    expect(deployment.metadata.namespace).toBe(account.metadata.namespace);

    const granted = new Set<string>();
    for (const rule of role.rules) {
      for (const group of rule.apiGroups)
        for (const resource of rule.resources)
          for (const verb of rule.verbs) granted.add(`${group}/${resource}:${verb}`);
    }
    expect([...granted].sort()).toEqual([...(await driverCalls())].sort());
  });
});

/**
 * Every `group/resource:verb` the kubernetes driver's source calls: the client library's
 * `c.<api>.<verb>Namespaced<Kind>(…)` methods, the collections it watches, and the finalizers of an
 * owner whose children block its deletion.
 */
async function driverCalls(): Promise<Set<string>> {
  const dir = join(ROOT, "packages/drivers/src/kubernetes");
  const files = (await readdir(dir)).filter(
    (f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.startsWith("fake-"),
  );
  const source = (await Promise.all(files.map((f) => readFile(join(dir, f), "utf8")))).join("\n");
  const groups: Record<string, string> = { core: "", apps: "apps", net: "networking.k8s.io" };
  const verbs: Record<string, string> = {
    create: "create",
    read: "get",
    replace: "update",
    patch: "patch",
    delete: "delete",
    list: "list",
    deleteCollection: "deletecollection",
  };
  const resourceOf = (kind: string) => {
    const sub = kind.match(/^(\w+?)(Status|Log|Scale)$/);
    const base = (sub ? sub[1]! : kind).toLowerCase();
    const plural = base.endsWith("s") ? `${base}es` : `${base}s`;
    return sub ? `${plural}/${sub[2]!.toLowerCase()}` : plural;
  };
  const calls = new Set<string>();
  const methods =
    /\.(core|apps|net)\.(create|read|replace|patch|delete|list|deleteCollection)Namespaced(\w+)\(/g;
  for (const [, api, verb, kind] of source.matchAll(methods)) {
    calls.add(`${groups[api!]}/${resourceOf(kind!)}:${verbs[verb!]}`);
  }
  // The only API paths it spells out are the collections it watches.
  const watched = /`\/apis?\/(?:([\w.]+)\/)?v\w+\/namespaces\/\$\{namespace\}\/(\w+)`/g;
  for (const [, group, resource] of source.matchAll(watched)) {
    calls.add(`${group && group !== "v1" ? group : ""}/${resource}:watch`);
  }
  // Children that block their owner's deletion (the owner is always the instance's Deployment).
  if (/blockOwnerDeletion:\s*true/.test(source)) calls.add("apps/deployments/finalizers:update");
  expect(calls.size).toBeGreaterThan(0);
  return calls;
}
