import { existsSync } from "node:fs";
import { join } from "node:path";
import type {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObject,
  NetworkingV1Api,
  V1Deployment,
  V1OwnerReference,
  V1Pod,
  Watch,
} from "@kubernetes/client-node";
import {
  type Availability,
  type Driver,
  DriverError,
  type InstanceSpec,
  type Observation,
  type Phase,
  type SecretEnv,
} from "../driver.ts";
import { DEFAULT_RETRY, parseRetryAfter, type RetryOptions, retryDelay, sleep } from "../retry.ts";
import { makeSteps, type StepKey } from "../steps.ts";
import { fillPlaceholders } from "../template.ts";

export interface KubernetesDriverOptions {
  /** The namespace instances live in (`LAUNCHER_K8S_NAMESPACE`). */
  namespace: string;
  /** Default: loaded from the usual places (`KUBECONFIG`, `~/.kube/config`, in-cluster service account). */
  kubeConfig?: KubeConfig;
  /**
   * A host pattern with `{id}` (`LAUNCHER_K8S_INGRESS_HOST`, e.g. `{id}.launch.example.com`).
   * When set, each instance gets an Ingress and its URL is `https://<host>/…`; without it the
   * URL is the Service's in-cluster address.
   */
  ingressHost?: string;
  /** The Ingress's `ingressClassName`, if the cluster needs one. */
  ingressClassName?: string;
  /** Objects are named `<namePrefix>-<id>`. Default `launcher`. */
  namePrefix?: string;
  retry?: RetryOptions;
  /** Each pod watch ends after this many seconds and resumes from its last resourceVersion. Default 25. */
  watchSeconds?: number;
}

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const ID_LABEL = "launcher.id";
const TIMEOUT_ANNOTATION = "launcher.timeout";
const URL_ANNOTATION = "launcher.url";
const FAILED_ANNOTATION = "launcher.failed";
/** Set when the instance first passed its readiness probe: the timeout no longer applies. */
const READY_ANNOTATION = "launcher.ready";

/** Kubernetes reports the image pull apart, after the pod is created and scheduled. */
const STEP_KEYS: readonly StepKey[] = ["create", "pull", "start", "check"];

interface Clients {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  net: NetworkingV1Api;
  watch: Watch;
}

// The client library is about 70 MiB of a server's memory: it is loaded on first use, so a
// launcher that never talks to a cluster never pays for it.
let clientLibrary: typeof import("@kubernetes/client-node") | undefined;
async function loadClientLibrary() {
  clientLibrary ??= await import("@kubernetes/client-node");
  return clientLibrary;
}
export const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";
/** Whether `KubeConfig.loadFromDefault` would find a configuration (its order, on Linux). */
export function hasKubeConfig(
  env: NodeJS.ProcessEnv = process.env,
  serviceAccountToken = SERVICE_ACCOUNT_TOKEN,
): boolean {
  if (env.KUBECONFIG) return true;
  if (env.HOME && existsSync(join(env.HOME, ".kube", "config"))) return true;
  return existsSync(serviceAccountToken);
}
/** Only the library throws these, so it is loaded by the time one is caught. */
function isApiException(error: unknown): error is ApiException<unknown> {
  return clientLibrary !== undefined && error instanceof clientLibrary.ApiException;
}

/**
 * The Kubernetes driver: per instance a one-replica Deployment (the parent), and owned by it
 * a Secret with the generated secrets (reaching the container only through `secretKeyRef`), a
 * Service and, optionally, an Ingress. `destroy` leaves a ConfigMap tombstone and deletes the
 * parent with foreground propagation.
 *
 * @example
 * const driver = createKubernetesDriver({ namespace: "launcher", ingressHost: "{id}.apps.example.com" });
 * await driver.ensure(spec, secrets, signal);
 */
export function createKubernetesDriver(options: KubernetesDriverOptions): Driver {
  const { namespace } = options;
  const prefix = options.namePrefix ?? "launcher";
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const watchSeconds = options.watchSeconds ?? 25;
  let clients: Clients | undefined;

  const api = async (): Promise<Clients> => {
    if (!clients) {
      const k8s = await loadClientLibrary();
      const kc = options.kubeConfig ?? new k8s.KubeConfig();
      if (!options.kubeConfig) kc.loadFromDefault();
      clients = {
        kc,
        core: kc.makeApiClient(k8s.CoreV1Api),
        apps: kc.makeApiClient(k8s.AppsV1Api),
        net: kc.makeApiClient(k8s.NetworkingV1Api),
        watch: new k8s.Watch(kc),
      };
    }
    return clients;
  };

  const nameOf = (id: string): string => {
    if (!/^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/.test(id))
      throw new TypeError(`bad instance id "${id}"`);
    return `${prefix}-${id}`;
  };
  const tombstoneName = (id: string) => `${nameOf(id)}-destroyed`;
  const labels = (id: string) => ({ [MANAGED_BY_LABEL]: "launcher", [ID_LABEL]: id });
  const selector = (id: string) => `${MANAGED_BY_LABEL}=launcher,${ID_LABEL}=${id}`;

  /** One API call, retried on 429/5xx and dropped connections; 401/403 become "refused". */
  async function call<T>(
    what: string,
    fn: (c: Clients) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const c = await api();
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(c);
      } catch (error) {
        const code = isApiException(error) ? error.code : undefined;
        if (code === 401 || code === 403) {
          throw new DriverError("refused", `Kubernetes refused the credentials (${what})`);
        }
        const transient = code === undefined || code === 429 || code >= 500;
        if (!transient) throw error; // 404, 409…: the callers decide
        if (attempt >= retry.retries) {
          // Out of retries: a driver error, so followers hear "unavailable", not silence.
          throw code === undefined
            ? new DriverError("unavailable", `The Kubernetes API could not be reached (${what})`, {
                cause: error,
              })
            : new DriverError("platform", `The Kubernetes API answered ${code} (${what})`, {
                cause: error,
              });
        }
        const headers = isApiException(error) ? error.headers : {};
        await sleep(retryDelay(attempt, retry, parseRetryAfter(headers?.["retry-after"])), signal);
      }
    }
  }

  /** The object, or `undefined` on 404. */
  async function read<T>(what: string, fn: (c: Clients) => Promise<T>, signal?: AbortSignal) {
    try {
      return await call(what, fn, signal);
    } catch (error) {
      if (isApiException(error) && error.code === 404) return undefined;
      throw error;
    }
  }

  /** Creates an object; 409 AlreadyExists means another launcher got there first: read it instead. */
  async function createOrRead<T>(
    what: string,
    create: (c: Clients) => Promise<T>,
    get: (c: Clients) => Promise<T>,
  ) {
    try {
      return await call(what, create);
    } catch (error) {
      if (isApiException(error) && error.code === 409) return call(what, get);
      throw error;
    }
  }

  const readTombstone = (id: string, signal?: AbortSignal) =>
    read(
      "read tombstone",
      (c) => c.core.readNamespacedConfigMap({ name: tombstoneName(id), namespace }),
      signal,
    );
  const readDeployment = (id: string, signal?: AbortSignal) =>
    read(
      "read deployment",
      (c) => c.apps.readNamespacedDeployment({ name: nameOf(id), namespace }),
      signal,
    );

  async function deleteParent(id: string): Promise<void> {
    await read("delete deployment", (c) =>
      c.apps.deleteNamespacedDeployment({
        name: nameOf(id),
        namespace,
        propagationPolicy: "Foreground",
      }),
    );
  }

  /** Changes the Deployment with optimistic concurrency (a 409 Conflict re-reads and retries). */
  async function updateDeployment(id: string, change: (d: V1Deployment) => boolean): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await readDeployment(id);
      if (!current || current.metadata?.deletionTimestamp || !change(current)) return;
      try {
        await call("update deployment", (c) =>
          c.apps.replaceNamespacedDeployment({ name: nameOf(id), namespace, body: current }),
        );
        return;
      } catch (error) {
        if (!(isApiException(error) && error.code === 409)) throw error;
      }
    }
  }

  function instanceUrl(id: string, port: number, urlPath: string): string {
    if (options.ingressHost)
      return `https://${fillPlaceholders(options.ingressHost, { id })}${urlPath}`;
    return `http://${nameOf(id)}.${namespace}.svc.cluster.local${port === 80 ? "" : `:${port}`}${urlPath}`;
  }

  async function ensure(spec: InstanceSpec, env: SecretEnv, signal: AbortSignal): Promise<void> {
    const container = spec.template.drivers.kubernetes;
    if (!container) {
      throw new DriverError("bad_spec", `template "${spec.template.id}" has no Kubernetes spec`);
    }
    const { id } = spec;
    const name = nameOf(id);
    const vars = { id };
    if (await readTombstone(id, signal)) return; // destroyed stays destroyed
    const urlPath = fillPlaceholders(container.urlPath, vars);
    const secretNames = new Set(Object.keys(env));
    // The parent starts with no replica: its children are created owned by it, so a crash at any
    // point leaves nothing that one delete of the parent would not remove.
    const deployment: V1Deployment = {
      metadata: {
        name,
        labels: labels(id),
        annotations: {
          [TIMEOUT_ANNOTATION]: String(container.timeout),
          [URL_ANNOTATION]: instanceUrl(id, container.port, urlPath),
        },
      },
      spec: {
        replicas: 0,
        strategy: { type: "Recreate" },
        selector: { matchLabels: labels(id) },
        template: {
          metadata: { labels: labels(id) },
          spec: {
            automountServiceAccountToken: false,
            containers: [
              {
                name: "app",
                image: container.image,
                ...(container.command
                  ? { args: container.command.map((c) => fillPlaceholders(c, vars)) }
                  : {}),
                ports: [{ name: "http", containerPort: container.port }],
                env: [
                  ...Object.entries(container.env)
                    .filter(([envName]) => !secretNames.has(envName))
                    .map(([envName, value]) => ({
                      name: envName,
                      value: fillPlaceholders(value, vars),
                    })),
                  ...[...secretNames].map((envName) => ({
                    name: envName,
                    valueFrom: { secretKeyRef: { name, key: envName } },
                  })),
                ],
                readinessProbe: {
                  httpGet: {
                    path: fillPlaceholders(container.healthPath, vars),
                    port: container.port,
                  },
                  periodSeconds: 5,
                  failureThreshold: 3,
                },
              },
            ],
          },
        },
      },
    };
    const parent = await createOrRead(
      "create deployment",
      (c) => c.apps.createNamespacedDeployment({ namespace, body: deployment }),
      (c) => c.apps.readNamespacedDeployment({ name, namespace }),
    );
    signal.throwIfAborted();
    const owner: V1OwnerReference = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name,
      uid: parent.metadata!.uid!,
      blockOwnerDeletion: true,
    };
    const meta = { name, labels: labels(id), ownerReferences: [owner] };
    await createOrRead(
      "create secret",
      (c) =>
        c.core.createNamespacedSecret({
          namespace,
          body: { metadata: meta, type: "Opaque", stringData: { ...env } },
        }),
      (c) => c.core.readNamespacedSecret({ name, namespace }),
    );
    await createOrRead(
      "create service",
      (c) =>
        c.core.createNamespacedService({
          namespace,
          body: {
            metadata: meta,
            spec: {
              selector: labels(id),
              ports: [{ name: "http", port: container.port, targetPort: container.port }],
            },
          },
        }),
      (c) => c.core.readNamespacedService({ name, namespace }),
    );
    if (options.ingressHost) {
      await createOrRead(
        "create ingress",
        (c) =>
          c.net.createNamespacedIngress({
            namespace,
            body: {
              metadata: meta,
              spec: {
                ...(options.ingressClassName ? { ingressClassName: options.ingressClassName } : {}),
                rules: [
                  {
                    host: fillPlaceholders(options.ingressHost!, vars),
                    http: {
                      paths: [
                        {
                          path: "/",
                          pathType: "Prefix",
                          backend: { service: { name, port: { number: container.port } } },
                        },
                      ],
                    },
                  },
                ],
              },
            },
          }),
        (c) => c.net.readNamespacedIngress({ name, namespace }),
      );
    }
    signal.throwIfAborted();
    await updateDeployment(id, (d) => {
      if (d.spec!.replicas !== 0) return false;
      d.spec!.replicas = 1;
      return true;
    });
    // A destroy that ran meanwhile left its tombstone first: it wins.
    if (await readTombstone(id)) await deleteParent(id);
  }

  async function* observe(id: string, signal: AbortSignal): AsyncIterable<Observation> {
    nameOf(id);
    const pods = new Map<string, V1Pod>();
    let resourceVersion: string | undefined;
    let last: { version: number; key: string } | undefined;

    const snapshot = async (): Promise<Observation | undefined> => {
      const [tombstone, deployment] = await Promise.all([
        readTombstone(id, signal),
        readDeployment(id, signal),
      ]);
      let observation = toObservation({ tombstone, deployment, pods: [...pods.values()] });
      if (observation.phase === "ready" && !deployment?.metadata?.annotations?.[READY_ANNOTATION]) {
        // Recorded on the platform, so no launcher process later times a ready launch out.
        await updateDeployment(id, (d) => {
          d.metadata!.annotations = {
            ...d.metadata!.annotations,
            [READY_ANNOTATION]: new Date().toISOString(),
          };
          return true;
        });
      }
      if (observation.timedOut && deployment) {
        // Record the failure on the platform, so every launcher process reports the same end.
        await updateDeployment(id, (d) => {
          d.metadata!.annotations = {
            ...d.metadata!.annotations,
            [FAILED_ANNOTATION]: observation.timedOut!,
          };
          return true;
        });
        const updated = await readDeployment(id, signal);
        observation = toObservation({ tombstone, deployment: updated, pods: [...pods.values()] });
      }
      const { timedOut: _, ...plain } = observation;
      const key = JSON.stringify({ ...plain, version: 0 });
      if (last && key === last.key) return undefined;
      const version = last ? Math.max(plain.version, last.version + 1) : plain.version;
      last = { version, key };
      return { ...plain, version };
    };

    while (!signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          const list = await call(
            "list pods",
            (c) => c.core.listNamespacedPod({ namespace, labelSelector: selector(id) }),
            signal,
          );
          pods.clear();
          for (const pod of list.items) pods.set(pod.metadata!.name!, pod);
          resourceVersion = list.metadata?.resourceVersion;
        }
        const first = await snapshot();
        if (first) yield first;

        // Watch from where the list (or the last event) left off; `ended` is set when the stream closes.
        const queue: { type: string; object: KubernetesObject & { code?: number } }[] = [];
        let ended: (Error & { statusCode?: number }) | null | undefined;
        let wake: (() => void) | undefined;
        const controller = await (await api()).watch.watch(
          `/api/v1/namespaces/${namespace}/pods`,
          {
            labelSelector: selector(id),
            resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: watchSeconds,
          },
          (type, object) => {
            queue.push({ type, object });
            wake?.();
          },
          (error) => {
            ended = error ?? null;
            wake?.();
          },
        );
        const onAbort = () => controller.abort();
        signal.addEventListener("abort", onAbort, { once: true });
        let gone = false;
        try {
          while (!signal.aborted) {
            let changed = false;
            for (const event of queue.splice(0)) {
              if (event.type === "ERROR") {
                if (event.object.code === 410) gone = true;
                continue;
              }
              const pod = event.object as V1Pod;
              if (event.type === "DELETED") pods.delete(pod.metadata!.name!);
              else if (event.type !== "BOOKMARK") pods.set(pod.metadata!.name!, pod);
              resourceVersion = pod.metadata?.resourceVersion ?? resourceVersion;
              changed ||= event.type !== "BOOKMARK";
            }
            if (changed) {
              const next = await snapshot();
              if (next) yield next;
            }
            if (gone || ended !== undefined) break;
            await new Promise<void>((resolve) => {
              wake = resolve;
              if (queue.length > 0 || ended !== undefined || signal.aborted) resolve();
            });
            wake = undefined;
          }
        } finally {
          signal.removeEventListener("abort", onAbort);
          controller.abort();
        }
        // 410 Gone: our resourceVersion was compacted away; start again from a fresh list.
        if (gone || ended?.statusCode === 410) resourceVersion = undefined;
        else if (ended) await sleep(retryDelay(0, retry), signal);
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
    }
  }

  async function destroy(id: string): Promise<void> {
    const name = nameOf(id);
    // Intent first: once the tombstone exists, no `ensure` anywhere creates this instance again.
    await createOrRead(
      "create tombstone",
      (c) =>
        c.core.createNamespacedConfigMap({
          namespace,
          body: {
            metadata: {
              name: tombstoneName(id),
              labels: { ...labels(id), "launcher.destroyed": "true" },
            },
            data: { destroyedAt: String(Date.now()) },
          },
        }),
      (c) => c.core.readNamespacedConfigMap({ name: tombstoneName(id), namespace }),
    );
    await deleteParent(id);
    // Children carry the parent as owner; this only covers a Secret left by an older launcher.
    await read("delete secret", (c) => c.core.deleteNamespacedSecret({ name, namespace }));
  }

  // Asking the API server is the only way to know. Without a kubeconfig the client library
  // would fall back to http://localhost:8080 (a port Kubernetes closed years ago): that case is
  // answered here, without loading the library. The answer is kept for a few seconds.
  let availability: { at: number; value: Promise<Availability> } | undefined;
  async function probe(): Promise<Availability> {
    if (!options.kubeConfig && !hasKubeConfig()) {
      return {
        available: false,
        reason: "no kubeconfig (KUBECONFIG, ~/.kube/config or an in-cluster service account)",
      };
    }
    let kc: KubeConfig;
    try {
      kc = (await api()).kc;
    } catch (error) {
      return { available: false, reason: `no usable kubeconfig: ${(error as Error).message}` };
    }
    const cluster = kc.getCurrentCluster();
    if (!cluster) return { available: false, reason: "no Kubernetes cluster configured" };
    try {
      const version = await Promise.race([
        kc.makeApiClient((await loadClientLibrary()).VersionApi).getCode(),
        sleep(3000).then(() => Promise.reject(new Error("timeout"))),
      ]);
      return {
        available: true,
        detail: `Kubernetes ${version.gitVersion}, namespace ${namespace}`,
      };
    } catch {
      return { available: false, reason: `the Kubernetes API at ${cluster.server} did not answer` };
    }
  }
  function available(): Promise<Availability> {
    if (!availability || Date.now() - availability.at > 10_000) {
      availability = { at: Date.now(), value: probe() };
    }
    return availability.value;
  }

  return {
    name: "kubernetes",
    available,
    async availableFor(template) {
      if (!template.drivers.kubernetes) {
        return { available: false, reason: `${template.name} has no Kubernetes image` };
      }
      return available();
    },
    // Placeholders until the driver lists and sweeps its platform (issues 14 and 15).
    async list() {
      return [];
    },
    async sweep() {},
    // Placeholder until the driver records failures on its platform (issue 14, the launch session).
    async recordFailure() {},
    ensure,
    observe,
    destroy,
  };
}

/**
 * `resourceVersion` as a number. The API calls it opaque; every upstream API server stores
 * objects in etcd and uses etcd's cluster-wide revision, a growing integer, so a later write
 * to any object has a larger one. That is the assumption this driver documents and relies on
 * (a value that is not an integer counts as 0 and so never moves a version backwards).
 */
export function revisionOf(object: KubernetesObject | undefined): number {
  const value = object?.metadata?.resourceVersion;
  return value && /^\d{1,15}$/.test(value) ? Number(value) : 0;
}

function toObservation(state: {
  tombstone?: KubernetesObject;
  deployment?: V1Deployment;
  pods: V1Pod[];
}): Observation & { timedOut?: string } {
  const { tombstone, deployment, pods } = state;
  const version = Math.max(
    revisionOf(tombstone),
    revisionOf(deployment),
    ...pods.map(revisionOf),
    0,
  );
  const base = { version, logTail: [] as string[] };
  const steps = (phase: Phase, failedStep?: StepKey) =>
    makeSteps({ keys: STEP_KEYS, phase, failedStep });
  if (tombstone) return { ...base, phase: "destroyed", steps: steps("destroyed") };
  if (!deployment && pods.length === 0) {
    return { ...base, version: 0, phase: "preparing", steps: steps("preparing") };
  }
  const annotations = deployment?.metadata?.annotations ?? {};
  const failed = annotations[FAILED_ANNOTATION];
  if (failed) return { ...base, phase: "failed", steps: steps("failed", "check"), error: failed };

  const pod = pods.find((p) => !p.metadata?.deletionTimestamp) ?? pods[0];
  const status = pod?.status?.containerStatuses?.[0];
  const waiting = status?.state?.waiting;
  let phase: Phase;
  let message: string | undefined;
  if (!pod) {
    phase = "creating";
  } else if (pod.status?.phase === "Failed" || status?.state?.terminated) {
    const reason = status?.state?.terminated?.reason ?? pod.status?.reason ?? "Error";
    return {
      ...base,
      phase: "failed",
      steps: steps("failed", "start"),
      error: `The container stopped (${reason})`,
    };
  } else if (waiting?.reason === "InvalidImageName") {
    return {
      ...base,
      phase: "failed",
      steps: steps("failed", "pull"),
      error: "The image name is invalid",
    };
  } else if (
    pod.status?.conditions?.some((c) => c.type === "PodScheduled" && c.status !== "True")
  ) {
    phase = "creating";
    message = "Waiting for a node with room for the instance";
  } else if (!status || waiting) {
    // ContainerCreating covers the pull; the kubelet retries pull and config errors by itself.
    phase = waiting?.reason === "CrashLoopBackOff" ? "starting" : "pulling";
    if (waiting?.reason && waiting.reason !== "ContainerCreating")
      message = `Kubernetes: ${waiting.reason}`;
  } else if (status.ready) {
    phase = "ready";
  } else if (status.started === false) {
    phase = "starting";
  } else {
    phase = "checking";
    message = "Waiting for the readiness probe to pass";
  }
  if (phase === "ready") {
    return { ...base, phase, steps: steps(phase), url: annotations[URL_ANNOTATION] };
  }
  const timeout = Number(annotations[TIMEOUT_ANNOTATION] ?? "0");
  const createdAt = deployment?.metadata?.creationTimestamp as Date | string | undefined;
  const created = createdAt instanceof Date ? createdAt.getTime() : Date.parse(createdAt ?? "");
  const observation: Observation & { timedOut?: string } = { ...base, phase, steps: steps(phase) };
  if (message) observation.message = message;
  const wasReady = annotations[READY_ANNOTATION] !== undefined;
  if (
    !wasReady &&
    timeout > 0 &&
    Number.isFinite(created) &&
    Date.now() > created + timeout * 1000
  ) {
    observation.timedOut = `The instance did not become ready within ${timeout} s`;
  }
  return observation;
}
