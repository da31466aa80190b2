import type { KubeConfig } from "@kubernetes/client-node";
import { cacheFor } from "../availability-cache.ts";
import type { Driver, InstanceSpec, SecretEnv } from "../driver.ts";
import { createRemoteDriver } from "../remote-driver.ts";
import { DEFAULT_RETRY, type RetryOptions } from "../retry.ts";
import { createKubeApi } from "./kube-api.ts";
import { hasKubeConfig, probeCluster } from "./kube-config.ts";
import { listKube, sweepKube } from "./kube-inventory.ts";
import {
  ANNOTATIONS,
  childrenFor,
  deploymentFor,
  namesFor,
  tombstoneFor,
} from "./kube-manifests.ts";
import { describeKube, type KubeFacts } from "./kube-observation.ts";

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
  /** Each watch ends after this many seconds and resumes from its last resourceVersion. Default 25. */
  watchSeconds?: number;
  /** How often `observe` re-reads between watch events. Default 2,000 ms. */
  pollIntervalMs?: number;
  /** Tombstone ConfigMaps older than this are removed by `sweep` (seconds). Default 7 days. */
  tombstoneTtlSeconds?: number;
  /** How long `destroy` waits for the pods to be gone before leaving it to `sweep`. Default 120 s. */
  destroyTimeoutMs?: number;
}

/**
 * The Kubernetes driver: per instance a one-replica Deployment (the parent, carrying the owner,
 * template and lifetime as annotations and an owner-hash label), and owned by it a Secret with
 * the generated secrets (reaching the container only through `secretKeyRef`), a Service and,
 * optionally, an Ingress. `destroy` leaves a ConfigMap tombstone and deletes the parent with
 * foreground propagation; `sweep` finishes what a crash left and removes old tombstones.
 *
 * @example
 * const driver = createKubernetesDriver({ namespace: "launcher", ingressHost: "{id}.apps.example.com" });
 * await driver.ensure(spec, secrets, signal);
 */
export function createKubernetesDriver(options: KubernetesDriverOptions): Driver {
  const { namespace } = options;
  const prefix = options.namePrefix ?? "launcher";
  const watchSeconds = options.watchSeconds ?? 25;
  const kube = createKubeApi({
    kubeConfig: options.kubeConfig,
    retry: { ...DEFAULT_RETRY, ...options.retry },
  });
  const manifests = {
    prefix,
    namespace,
    ingressHost: options.ingressHost,
    ingressClassName: options.ingressClassName,
  };
  // Ids are checked by the shared driver before any name is built from them.
  const names = (id: string) => namesFor(prefix, id);

  const readTombstone = (id: string, signal?: AbortSignal) =>
    kube.read(
      "read tombstone",
      (c) => c.core.readNamespacedConfigMap({ name: names(id).tombstone, namespace }),
      signal,
    );

  /** The tombstone, the Deployment and the pods of one instance. Read-only. */
  async function readFacts(id: string, signal?: AbortSignal): Promise<KubeFacts> {
    const { name, selector } = names(id);
    const [grave, deployment, pods] = await Promise.all([
      readTombstone(id, signal),
      kube.read(
        "read deployment",
        (c) => c.apps.readNamespacedDeployment({ name, namespace }),
        signal,
      ),
      kube.call(
        "list pods",
        (c) => c.core.listNamespacedPod({ namespace, labelSelector: selector }),
        signal,
      ),
    ]);
    return { tombstone: grave, deployment, pods: pods.items, now: Date.now() };
  }

  async function deleteParent(id: string): Promise<void> {
    const { name } = names(id);
    await kube.read("delete deployment", (c) =>
      c.apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: "Foreground" }),
    );
  }

  async function create(spec: InstanceSpec, env: SecretEnv, signal: AbortSignal): Promise<void> {
    const { name } = names(spec.id);
    const parent = await kube.createOrRead(
      "create deployment",
      (c) =>
        c.apps.createNamespacedDeployment({
          namespace,
          body: deploymentFor(spec, new Set(Object.keys(env)), manifests),
        }),
      (c) => c.apps.readNamespacedDeployment({ name, namespace }),
    );
    if (parent.metadata?.deletionTimestamp) return; // a destroy is under way
    signal.throwIfAborted();
    const { secret, service, ingress } = childrenFor(spec, env, parent, manifests);
    await kube.createOrRead(
      "create secret",
      (c) => c.core.createNamespacedSecret({ namespace, body: secret }),
      (c) => c.core.readNamespacedSecret({ name, namespace }),
    );
    await kube.createOrRead(
      "create service",
      (c) => c.core.createNamespacedService({ namespace, body: service }),
      (c) => c.core.readNamespacedService({ name, namespace }),
    );
    if (ingress) {
      await kube.createOrRead(
        "create ingress",
        (c) => c.net.createNamespacedIngress({ namespace, body: ingress }),
        (c) => c.net.readNamespacedIngress({ name, namespace }),
      );
    }
    signal.throwIfAborted();
    await kube.updateDeployment(namespace, name, (d) => {
      if (d.spec!.replicas !== 0) return false;
      d.spec!.replicas = 1;
      return true;
    });
  }

  /** Sets an annotation on the Deployment unless `skip` says the record is there already. */
  const annotate = (id: string, key: string, value: string, skip: readonly string[]) =>
    kube.updateDeployment(namespace, names(id).name, (d) => {
      d.metadata!.annotations ??= {};
      const annotations = d.metadata!.annotations;
      if (skip.some((k) => annotations[k] !== undefined)) return false;
      annotations[key] = value;
      return true;
    });

  const configured = () => options.kubeConfig !== undefined || hasKubeConfig();
  const available = cacheFor(10_000, () =>
    probeCluster({ api: kube, namespace, configured: options.kubeConfig !== undefined }),
  );

  return createRemoteDriver<KubeFacts>({
    name: "kubernetes",
    label: "Kubernetes",
    readFacts,
    describe: describeKube,
    // The pods and the Deployment change as the instance moves: their watches wake the loop.
    changes: (id) => ({
      subscribe(wake) {
        const stops = [
          `/api/v1/namespaces/${namespace}/pods`,
          `/apis/apps/v1/namespaces/${namespace}/deployments`,
        ].map((path) =>
          kube.watchChanges({
            path,
            labelSelector: names(id).selector,
            timeoutSeconds: watchSeconds,
            wake,
          }),
        );
        return () => {
          for (const stop of stops) stop();
        };
      },
    }),
    pollIntervalMs: options.pollIntervalMs ?? 2000,
    tombstoned: async (id, signal) => (await readTombstone(id, signal)) !== undefined,
    create,
    undo: deleteParent,
    async recordReady(id) {
      await annotate(id, ANNOTATIONS.ready, new Date().toISOString(), [ANNOTATIONS.ready]);
    },
    async recordFailure(id, reason) {
      const facts = await readFacts(id);
      if (facts.tombstone || !facts.deployment) return;
      if (describeKube(facts).phase === "ready") return;
      await annotate(id, ANNOTATIONS.failed, reason.slice(0, 500), [
        ANNOTATIONS.failed,
        ANNOTATIONS.ready,
      ]);
    },
    destroySteps: (id, reason) => ({
      async writeTombstone() {
        await kube.createOrRead(
          "create tombstone",
          (c) =>
            c.core.createNamespacedConfigMap({ namespace, body: tombstoneFor(prefix, id, reason) }),
          (c) => c.core.readNamespacedConfigMap({ name: names(id).tombstone, namespace }),
        );
      },
      teardown: () => deleteParent(id),
      // Children carry the parent as owner; this only covers a Secret left by an older launcher.
      async cleanUp() {
        const { name } = names(id);
        await kube.read("delete secret", (c) => c.core.deleteNamespacedSecret({ name, namespace }));
      },
    }),
    destroyTimeoutMs: options.destroyTimeoutMs ?? 120_000,
    available,
    // Without any kubeconfig there is no cluster to ask (and no waiting out retries to learn it).
    list: async () => (configured() ? listKube({ kube, namespace }) : []),
    sweep: async () => {
      if (!configured()) return;
      await sweepKube({
        kube,
        namespace,
        tombstoneTtlSeconds: options.tombstoneTtlSeconds ?? 7 * 86_400,
        finishTeardown: deleteParent,
      });
    },
  });
}
