import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { KubeConfig } from "@kubernetes/client-node";
import {
  type FakeRequest,
  type Fault,
  sendJson as json,
  startFakePlatformServer,
} from "../fake-platform-server.ts";
import { type LabelMatcher, parseLabelSelector, SelectorError } from "./fake-kube-selectors.ts";
import { createFakeKubeStore, type Obj, type WatchEvent } from "./fake-kube-store.ts";
import { KINDS, type KubeRefusal, validateKubeObject } from "./fake-kube-validate.ts";

/**
 * A fake Kubernetes API server for contract tests: a real HTTP server on 127.0.0.1 (with
 * request records and fault injection: `fake-platform-server.ts`) that implements, as documented, only what the Kubernetes driver uses — create, read, replace,
 * list and delete of ConfigMaps, Secrets, Services, Pods, Ingresses and Deployments (409
 * AlreadyExists, 409 Conflict on a stale resourceVersion), lists and watches filtered by
 * label selectors (`fake-kube-selectors.ts`), watches that start with the current objects
 * when no resourceVersion is given, resume from one, and answer 410 Gone once it is
 * compacted away, and delete with Foreground propagation through ownerReferences. Every
 * object created or replaced is judged as the apiserver does (`fake-kube-validate.ts`: the
 * Kubernetes schema through `kubernetes-models`, then the apiserver's rules), and refused
 * with its 400/422 `Status`. The objects and controllers are in `fake-kube-store.ts`.
 */
export interface FakeKubeOptions {
  token?: string;
  /** Delay of each pod status change. */
  stepMs?: number;
  /** How long a deleted pod stays terminating (its grace period). Default `stepMs`. */
  terminationMs?: number;
  /** Pods never pass their readiness probe. */
  neverReady?: boolean;
  /** Images that run as root: a pod that must run as non-root cannot start them. */
  rootImages?: readonly string[];
}

export type FakeKubeRequest = FakeRequest;

export type { Obj };

export interface FakeKube {
  url: string;
  token: string;
  requests: FakeKubeRequest[];
  /** Stored objects by `<resource>/<name>`. */
  objects: Map<string, Obj>;
  /** Objects refused as the apiserver refuses them (400 undecodable, 422 invalid). */
  refused: { method: string; url: string; code: number; message: string }[];
  kubeConfig(namespace: string, token?: string): KubeConfig;
  fail(fault: Omit<Fault, "times"> & { times?: number }): void;
  clearFaults(): void;
  /** Forget events up to now, as etcd compaction does: older watches get 410 Gone. */
  compact(): void;
  /** How many watches were answered with 410 Gone. */
  goneCount(): number;
  /** The kubelet reports the readiness probe of the instance's pod passing or failing. */
  setPodReady(instanceId: string, ready: boolean): void;
  close(): Promise<void>;
}

const ROUTES: RegExp[] = [
  /^\/api\/v1\/namespaces\/([^/]+)\/(configmaps|secrets|services|pods)(?:\/([^/]+))?$/,
  /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/(deployments)(?:\/([^/]+))?$/,
  /^\/apis\/networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/(ingresses)(?:\/([^/]+))?$/,
];

export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  const token = options.token ?? "fake-kube-token";
  const store = createFakeKubeStore({
    stepMs: options.stepMs ?? 5,
    terminationMs: options.terminationMs ?? options.stepMs ?? 5,
    neverReady: options.neverReady,
    rootImages: options.rootImages,
  });
  const { objects } = store;
  const refused: FakeKube["refused"] = [];
  let gone = 0;

  function handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    if (url.pathname === "/version" && method === "GET") {
      // The API server's version, as `kubectl version` reads it.
      return json(res, 200, { major: "1", minor: "31", gitVersion: "v1.31.0-fake" });
    }
    const route = ROUTES.map((re) => re.exec(url.pathname)).find(Boolean);
    if (!route) return status(res, 404, "NotFound", `no route ${url.pathname}`);
    const [, namespace, resource, name] = route as unknown as [string, string, string, string?];
    const key = `${resource}/${name}`;
    const existing = name ? objects.get(key) : undefined;
    const { apiVersion, kind } = KINDS[resource]!;

    if (!name && method === "GET") {
      const matches = parseLabelSelector(url.searchParams.get("labelSelector"));
      if (url.searchParams.get("watch") === "true") return watch(res, url, resource, matches);
      const items = [...objects]
        .filter(([k, o]) => k.startsWith(`${resource}/`) && matches(o.metadata.labels))
        .map(([, o]) => o);
      return json(res, 200, {
        apiVersion,
        kind: `${kind}List`,
        metadata: { resourceVersion: String(store.revision()) },
        items,
      });
    }
    const refuse = ({ code, status: body }: KubeRefusal) => {
      refused.push({ method, url: url.pathname, code, message: String(body.message) });
      return json(res, code, body);
    };
    if (!name && method === "POST") {
      const obj = JSON.parse(raw) as Obj;
      const refusal = validateKubeObject(resource, obj, { namespace });
      if (refusal) return refuse(refusal);
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
      store.put(resource, obj, "ADDED");
      if (resource === "deployments") store.reconcile(obj);
      return json(res, 201, obj);
    }
    if (!existing) return status(res, 404, "NotFound", `${resource} "${name}" not found`);
    if (method === "GET") return json(res, 200, existing);
    if (method === "PUT") {
      const obj = JSON.parse(raw) as Obj;
      const refusal = validateKubeObject(resource, obj, {
        namespace,
        urlName: name,
        current: existing,
      });
      if (refusal) return refuse(refusal);
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
      store.put(resource, obj, "MODIFIED");
      if (resource === "deployments") store.reconcile(obj);
      return json(res, 200, obj);
    }
    if (method === "DELETE") {
      if (existing.metadata.deletionTimestamp) return json(res, 200, existing);
      if (url.searchParams.get("propagationPolicy") === "Foreground") {
        store.deleteWithDependents(resource, existing);
        return json(res, 200, existing);
      }
      store.remove(resource, existing);
      return json(res, 200, { apiVersion: "v1", kind: "Status", status: "Success" });
    }
    return status(res, 405, "MethodNotAllowed", method);
  }

  function watch(res: ServerResponse, url: URL, resource: string, matches: LabelMatcher) {
    const given = url.searchParams.get("resourceVersion");
    res.writeHead(200, { "content-type": "application/json" });
    const write = (event: { type: string; object: unknown }) =>
      res.write(`${JSON.stringify(event)}\n`);
    if (given && Number(given) < store.compactedTo()) {
      gone++;
      write({
        type: "ERROR",
        object: {
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          reason: "Expired",
          code: 410,
          message: `too old resource version: ${given} (${store.compactedTo()})`,
        },
      });
      res.end();
      return;
    }
    const send = (event: WatchEvent, from: number) => {
      if (event.resource === resource && event.rv > from && matches(event.object.metadata.labels)) {
        write({ type: event.type, object: event.object });
      }
    };
    let from: number;
    if (given) {
      from = Number(given);
      for (const event of store.history) send(event, from);
    } else {
      // No version: the current objects as ADDED events, then every change after them.
      from = store.revision();
      for (const [k, obj] of objects) {
        if (k.startsWith(`${resource}/`) && matches(obj.metadata.labels)) {
          write({ type: "ADDED", object: obj });
        }
      }
    }
    const watcher = (event: WatchEvent) => send(event, from);
    store.watchers.add(watcher);
    const seconds = Number(url.searchParams.get("timeoutSeconds") ?? "1800");
    const timer = setTimeout(() => res.end(), seconds * 1000);
    res.on("close", () => {
      clearTimeout(timer);
      store.watchers.delete(watcher);
    });
  }

  const base = await startFakePlatformServer({
    token,
    refuse: (res, code, headers) =>
      code === 401
        ? status(res, 401, "Unauthorized", "Unauthorized")
        : status(res, code, "Injected", "injected fault", headers),
    handle,
    crashed(res, error) {
      if (error instanceof SelectorError || error instanceof SyntaxError) {
        status(res, 400, "BadRequest", error.message);
      } else status(res, 500, "InternalError", String(error));
    },
  });
  const { url } = base;
  return {
    url,
    token,
    requests: base.requests,
    objects,
    refused,
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
    fail: base.fail,
    clearFaults: base.clearFaults,
    compact() {
      store.compact();
      // Open watches are cut, as when an API server restarts; they resume from a now-stale version.
      base.dropConnections();
    },
    goneCount: () => gone,
    setPodReady(instanceId, ready) {
      for (const [key, obj] of objects) {
        if (!key.startsWith("pods/") || obj.metadata.labels?.["launcher.id"] !== instanceId) {
          continue;
        }
        const podStatus = obj.status as Record<string, unknown>;
        (podStatus.containerStatuses as Record<string, unknown>[])[0]!.ready = ready;
        podStatus.conditions = [
          { type: "PodScheduled", status: "True" },
          { type: "Ready", status: ready ? "True" : "False" },
        ];
        store.put("pods", obj, "MODIFIED");
      }
    },
    async close() {
      store.stop();
      await base.close();
    },
  };
}

function status(
  res: ServerResponse,
  code: number,
  reason: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  json(
    res,
    code,
    { kind: "Status", apiVersion: "v1", status: "Failure", reason, message, code },
    headers,
  );
}
