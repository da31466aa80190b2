import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

/**
 * A fake Kubernetes API server for contract tests: a real HTTP server on 127.0.0.1 that
 * implements, as documented, only what the Kubernetes driver uses — create/read of
 * ConfigMaps, Secrets, Services, Ingresses and Deployments (409 AlreadyExists, 409 Conflict
 * on a stale resourceVersion), pod list and watch (resumable from a resourceVersion, 410
 * Gone once it is compacted away), and delete with Foreground propagation through
 * ownerReferences. One counter stands for etcd's revision. A "deployment controller"
 * creates the pod and walks it through ContainerCreating → running → ready.
 */
export interface FakeKubeOptions {
  token?: string;
  /** Delay of each pod status change. */
  stepMs?: number;
  /** Pods never pass their readiness probe. */
  neverReady?: boolean;
}

export interface FakeKubeRequest {
  method: string;
  url: string;
  body: string;
  status?: number;
}

type Obj = Record<string, unknown> & {
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { uid: string }[];
    deletionTimestamp?: string;
    finalizers?: string[];
  };
};

interface Fault {
  method: string;
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  times: number;
}

export interface FakeKube {
  url: string;
  token: string;
  requests: FakeKubeRequest[];
  /** Stored objects by `<resource>/<name>`. */
  objects: Map<string, Obj>;
  kubeConfig(namespace: string, token?: string): KubeConfig;
  fail(fault: Omit<Fault, "times"> & { times?: number }): void;
  clearFaults(): void;
  /** Forget pod events up to now, as etcd compaction does: older watches get 410 Gone. */
  compact(): void;
  /** How many pod watches were answered with 410 Gone. */
  goneCount(): number;
  /** The kubelet reports the readiness probe of the instance's pod passing or failing. */
  setPodReady(instanceId: string, ready: boolean): void;
  close(): Promise<void>;
}

const ROUTES: [RegExp, string][] = [
  [/^\/api\/v1\/namespaces\/([^/]+)\/(configmaps|secrets|services|pods)(?:\/([^/]+))?$/, "core"],
  [/^\/apis\/apps\/v1\/namespaces\/([^/]+)\/(deployments)(?:\/([^/]+))?$/, "apps"],
  [/^\/apis\/networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/(ingresses)(?:\/([^/]+))?$/, "net"],
];
const KINDS: Record<string, [string, string]> = {
  configmaps: ["v1", "ConfigMap"],
  secrets: ["v1", "Secret"],
  services: ["v1", "Service"],
  pods: ["v1", "Pod"],
  deployments: ["apps/v1", "Deployment"],
  ingresses: ["networking.k8s.io/v1", "Ingress"],
};

export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  const token = options.token ?? "fake-kube-token";
  const stepMs = options.stepMs ?? 5;
  const objects = new Map<string, Obj>();
  const requests: FakeKubeRequest[] = [];
  const faults: Fault[] = [];
  const timers = new Set<NodeJS.Timeout>();
  /** Pod events, in revision order, for watches to replay. */
  const podEvents: { type: string; object: Obj; rv: number }[] = [];
  const watchers = new Set<(event: { type: string; object: Obj; rv: number }) => void>();
  let revision = 100;
  let compactedTo = 0;
  let gone = 0;

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const bump = (obj: Obj) => {
    revision++;
    obj.metadata.resourceVersion = String(revision);
    return revision;
  };
  const podEvent = (type: string, pod: Obj) => {
    const event = { type, object: structuredClone(pod), rv: Number(pod.metadata.resourceVersion) };
    podEvents.push(event);
    for (const watcher of watchers) watcher(event);
  };
  const put = (resource: string, obj: Obj, type: "ADDED" | "MODIFIED") => {
    bump(obj);
    objects.set(`${resource}/${obj.metadata.name}`, obj);
    if (resource === "pods") podEvent(type, obj);
  };
  const remove = (resource: string, obj: Obj) => {
    objects.delete(`${resource}/${obj.metadata.name}`);
    bump(obj);
    if (resource === "pods") podEvent("DELETED", obj);
  };

  /** The deployment controller: one pod per deployment with replicas ≥ 1, walked to ready. */
  const reconcile = (deployment: Obj) => {
    const spec = deployment.spec as {
      replicas?: number;
      template: { metadata: { labels: Record<string, string> }; spec: unknown };
    };
    if ((spec.replicas ?? 1) < 1 || deployment.metadata.deletionTimestamp) return;
    const podName = `${deployment.metadata.name}-7d4b9c-x2k8p`;
    if (objects.has(`pods/${podName}`)) return;
    const now = new Date().toISOString();
    const pod: Obj = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: podName,
        namespace: deployment.metadata.namespace,
        uid: randomUUID(),
        resourceVersion: "0",
        creationTimestamp: now,
        labels: { ...spec.template.metadata.labels },
        ownerReferences: [{ uid: deployment.metadata.uid }],
      },
      spec: spec.template.spec,
      status: {
        phase: "Pending",
        conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }],
      },
    };
    put("pods", pod, "ADDED");
    const steps: ((status: Record<string, unknown>) => void)[] = [
      (s) => {
        s.conditions = [{ type: "PodScheduled", status: "True" }];
        s.containerStatuses = [
          {
            name: "app",
            ready: false,
            started: false,
            restartCount: 0,
            image: "",
            imageID: "",
            state: { waiting: { reason: "ContainerCreating" } },
          },
        ];
      },
      (s) => {
        s.phase = "Running";
        s.containerStatuses = [
          {
            name: "app",
            ready: false,
            started: false,
            restartCount: 0,
            image: "",
            imageID: "",
            state: { running: { startedAt: new Date().toISOString() } },
          },
        ];
      },
      (s) => {
        (s.containerStatuses as Record<string, unknown>[])[0]!.started = true;
      },
      (s) => {
        if (options.neverReady) return;
        (s.containerStatuses as Record<string, unknown>[])[0]!.ready = true;
        s.conditions = [
          { type: "PodScheduled", status: "True" },
          { type: "Ready", status: "True" },
        ];
      },
    ];
    const advance = (index: number) =>
      later(stepMs, () => {
        const current = objects.get(`pods/${podName}`);
        if (!current || current.metadata.deletionTimestamp || index >= steps.length) return;
        if (index === steps.length - 1 && options.neverReady) return;
        steps[index]!(current.status as Record<string, unknown>);
        put("pods", current, "MODIFIED");
        advance(index + 1);
      });
    advance(0);
  };

  /** Foreground deletion: dependents first (by ownerReferences), then the owner. */
  const deleteWithDependents = (resource: string, owner: Obj) => {
    owner.metadata.deletionTimestamp = new Date().toISOString();
    owner.metadata.finalizers = ["foregroundDeletion"];
    put(resource, owner, "MODIFIED");
    later(stepMs, () => {
      for (const [key, obj] of [...objects]) {
        if (obj.metadata.ownerReferences?.some((o) => o.uid === owner.metadata.uid)) {
          remove(key.split("/")[0]!, obj);
        }
      }
      remove(resource, owner);
    });
  };

  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const entry: FakeKubeRequest = { method: req.method ?? "GET", url: req.url ?? "/", body };
      requests.push(entry);
      res.on("finish", () => {
        entry.status = res.statusCode;
      });
      try {
        handle(req, res, body);
      } catch (error) {
        status(res, 500, "InternalError", String(error));
      }
    });
  });

  function handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    if (req.headers.authorization !== `Bearer ${token}`)
      return status(res, 401, "Unauthorized", "Unauthorized");
    const fault = faults.find((f) => f.method === method && f.path.test(url.pathname));
    if (fault) {
      if (--fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
      return status(res, fault.status, "Injected", "injected fault", fault.headers);
    }
    if (url.pathname === "/version" && method === "GET") {
      // The API server's version, as `kubectl version` reads it.
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ major: "1", minor: "31", gitVersion: "v1.31.0-fake" }));
      return;
    }
    const route = ROUTES.map(([re]) => re.exec(url.pathname)).find(Boolean);
    if (!route) return status(res, 404, "NotFound", `no route ${url.pathname}`);
    const [, namespace, resource, name] = route as unknown as [
      string,
      string,
      string,
      string | undefined,
    ];
    const key = `${resource}/${name}`;
    const existing = name ? objects.get(key) : undefined;
    const [apiVersion, kind] = KINDS[resource]!;

    if (!name && method === "GET") {
      const selector = parseSelector(url.searchParams.get("labelSelector"));
      const matches = (o: Obj) =>
        Object.entries(selector).every(([k, v]) => o.metadata.labels?.[k] === v);
      if (url.searchParams.get("watch") === "true") return watch(res, url, matches);
      const items = [...objects]
        .filter(([k, o]) => k.startsWith(`${resource}/`) && matches(o))
        .map(([, o]) => o);
      return json(res, 200, {
        apiVersion,
        kind: `${kind}List`,
        metadata: { resourceVersion: String(revision) },
        items,
      });
    }
    if (!name && method === "POST") {
      const obj = JSON.parse(raw) as Obj;
      if (objects.has(`${resource}/${obj.metadata.name}`)) {
        return status(
          res,
          409,
          "AlreadyExists",
          `${resource} "${obj.metadata.name}" already exists`,
        );
      }
      obj.apiVersion = apiVersion;
      obj.kind = kind;
      obj.metadata = {
        ...obj.metadata,
        namespace,
        uid: randomUUID(),
        creationTimestamp: new Date().toISOString(),
      };
      if (resource === "secrets" && obj.stringData) {
        obj.data = Object.fromEntries(
          Object.entries(obj.stringData as Record<string, string>).map(([k, v]) => [
            k,
            Buffer.from(v).toString("base64"),
          ]),
        );
        delete obj.stringData;
      }
      put(resource, obj, "ADDED");
      if (resource === "deployments") reconcile(obj);
      return json(res, 201, obj);
    }
    if (!existing) return status(res, 404, "NotFound", `${resource} "${name}" not found`);
    if (method === "GET") return json(res, 200, existing);
    if (method === "PUT") {
      const obj = JSON.parse(raw) as Obj;
      if (obj.metadata.resourceVersion !== existing.metadata.resourceVersion) {
        return status(
          res,
          409,
          "Conflict",
          "the object has been modified; please apply your changes to the latest version and try again",
        );
      }
      obj.metadata = {
        ...obj.metadata,
        uid: existing.metadata.uid,
        creationTimestamp: existing.metadata.creationTimestamp,
      };
      obj.apiVersion = apiVersion;
      obj.kind = kind;
      put(resource, obj, "MODIFIED");
      if (resource === "deployments") reconcile(obj);
      return json(res, 200, obj);
    }
    if (method === "DELETE") {
      if (existing.metadata.deletionTimestamp) return json(res, 200, existing);
      const policy = url.searchParams.get("propagationPolicy");
      if (policy === "Foreground") {
        deleteWithDependents(resource, existing);
        return json(res, 200, existing);
      }
      remove(resource, existing);
      return json(res, 200, { apiVersion: "v1", kind: "Status", status: "Success" });
    }
    return status(res, 405, "MethodNotAllowed", method);
  }

  function watch(res: ServerResponse, url: URL, matches: (o: Obj) => boolean) {
    const from = Number(url.searchParams.get("resourceVersion") ?? revision);
    res.writeHead(200, { "content-type": "application/json" });
    const write = (event: { type: string; object: unknown }) =>
      res.write(`${JSON.stringify(event)}\n`);
    if (from < compactedTo) {
      gone++;
      write({
        type: "ERROR",
        object: {
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          reason: "Expired",
          code: 410,
          message: `too old resource version: ${from} (${compactedTo})`,
        },
      });
      res.end();
      return;
    }
    const send = (event: { type: string; object: Obj; rv: number }) => {
      if (event.rv > from && matches(event.object))
        write({ type: event.type, object: event.object });
    };
    for (const event of podEvents) send(event);
    watchers.add(send);
    const seconds = Number(url.searchParams.get("timeoutSeconds") ?? "1800");
    const timer = setTimeout(() => res.end(), seconds * 1000);
    res.on("close", () => {
      clearTimeout(timer);
      watchers.delete(send);
    });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    token,
    requests,
    objects,
    kubeConfig(namespace, userToken = token) {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: "fake", server: url, skipTLSVerify: true }],
        users: [{ name: "launcher", token: userToken }],
        contexts: [{ name: "fake", cluster: "fake", user: "launcher", namespace }],
        currentContext: "fake",
      });
      return kc;
    },
    fail(fault) {
      faults.push({ ...fault, times: fault.times ?? 1 });
    },
    clearFaults() {
      faults.length = 0;
    },
    compact() {
      revision += 10; // the rest of the cluster kept writing meanwhile
      compactedTo = revision;
      podEvents.length = 0;
      // Open watches are cut, as when an API server restarts; they resume from a now-stale version.
      server.closeAllConnections();
    },
    goneCount: () => gone,
    setPodReady(instanceId, ready) {
      for (const [key, obj] of objects) {
        if (!key.startsWith("pods/") || obj.metadata.labels?.["launcher.id"] !== instanceId)
          continue;
        const status = obj.status as Record<string, unknown>;
        (status.containerStatuses as Record<string, unknown>[])[0]!.ready = ready;
        status.conditions = [
          { type: "PodScheduled", status: "True" },
          { type: "Ready", status: ready ? "True" : "False" },
        ];
        put("pods", obj, "MODIFIED");
      }
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parseSelector(value: string | null): Record<string, string> {
  if (!value) return {};
  return Object.fromEntries(value.split(",").map((part) => part.split("=") as [string, string]));
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function status(
  res: ServerResponse,
  code: number,
  reason: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(code, { "content-type": "application/json", ...headers });
  res.end(
    JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason, message, code }),
  );
}
