import { randomUUID } from "node:crypto";

/**
 * The state behind the fake API server (`fake-kube.ts`): stored objects, one counter standing
 * for etcd's revision (every write takes the next one), a history of change events for
 * watches (until compacted), and two controllers — a deployment controller with a kubelet that
 * walks the pod through ContainerCreating → running → started → ready, and the garbage
 * collector's foreground deletion (dependents by ownerReferences first, pods terminating for a
 * moment, then the owner).
 */
export type Obj = Record<string, unknown> & {
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

export interface WatchEvent {
  resource: string;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: Obj;
  rv: number;
}

export interface FakeKubeStoreOptions {
  stepMs: number;
  /** How long a deleted pod stays terminating (its grace period). */
  terminationMs: number;
  /** Pods never pass their readiness probe. */
  neverReady?: boolean;
  /** Images that run as root: a pod that must run as non-root cannot start them. */
  rootImages?: readonly string[];
}

type Container = { image?: string; securityContext?: { runAsNonRoot?: boolean } };
type PodSpec = { securityContext?: { runAsNonRoot?: boolean }; containers?: Container[] };

export function createFakeKubeStore(options: FakeKubeStoreOptions) {
  const objects = new Map<string, Obj>();
  const history: WatchEvent[] = [];
  const watchers = new Set<(event: WatchEvent) => void>();
  const timers = new Set<NodeJS.Timeout>();
  let revision = 100;
  let compactedTo = 0;

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const emit = (resource: string, type: WatchEvent["type"], obj: Obj) => {
    const event = { resource, type, object: structuredClone(obj), rv: revision };
    history.push(event);
    for (const watcher of watchers) watcher(event);
  };
  const put = (resource: string, obj: Obj, type: "ADDED" | "MODIFIED") => {
    revision++;
    obj.metadata.resourceVersion = String(revision);
    objects.set(`${resource}/${obj.metadata.name}`, obj);
    emit(resource, type, obj);
  };
  const remove = (resource: string, obj: Obj) => {
    objects.delete(`${resource}/${obj.metadata.name}`);
    revision++;
    obj.metadata.resourceVersion = String(revision);
    emit(resource, "DELETED", obj);
  };

  /** What the kubelet does with the pod, one step per `stepMs`. */
  const kubeletSteps = (spec: PodSpec): ((status: Record<string, unknown>) => boolean)[] => {
    const container = spec.containers?.[0];
    const nonRoot = container?.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
    const asRoot = nonRoot && options.rootImages?.includes(container?.image ?? "");
    const containerStatus = (state: object, extra: object = {}) => [
      {
        name: "app",
        ready: false,
        started: false,
        restartCount: 0,
        image: "",
        imageID: "",
        state,
        ...extra,
      },
    ];
    return [
      (s) => {
        s.conditions = [{ type: "PodScheduled", status: "True" }];
        s.containerStatuses = containerStatus({ waiting: { reason: "ContainerCreating" } });
        return true;
      },
      (s) => {
        if (asRoot) {
          s.containerStatuses = containerStatus({
            waiting: {
              reason: "CreateContainerConfigError",
              message: "container has runAsNonRoot and image will run as root",
            },
          });
          return false; // the kubelet retries for ever
        }
        s.phase = "Running";
        s.containerStatuses = containerStatus({ running: { startedAt: new Date().toISOString() } });
        return true;
      },
      (s) => {
        (s.containerStatuses as Record<string, unknown>[])[0]!.started = true;
        return true;
      },
      (s) => {
        if (options.neverReady) return false;
        (s.containerStatuses as Record<string, unknown>[])[0]!.ready = true;
        s.conditions = [
          { type: "PodScheduled", status: "True" },
          { type: "Ready", status: "True" },
        ];
        return true;
      },
    ];
  };

  /** The deployment controller: one pod per deployment with replicas ≥ 1, walked to ready. */
  const reconcile = (deployment: Obj) => {
    const spec = deployment.spec as {
      replicas?: number;
      template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    };
    if ((spec.replicas ?? 1) < 1 || deployment.metadata.deletionTimestamp) return;
    const podName = `${deployment.metadata.name}-7d4b9c-x2k8p`;
    if (objects.has(`pods/${podName}`)) return;
    const pod: Obj = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: podName,
        namespace: deployment.metadata.namespace,
        uid: randomUUID(),
        resourceVersion: "0",
        creationTimestamp: new Date().toISOString(),
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
    const steps = kubeletSteps(spec.template.spec);
    const advance = (index: number) =>
      later(options.stepMs, () => {
        const current = objects.get(`pods/${podName}`);
        if (!current || current.metadata.deletionTimestamp || index >= steps.length) return;
        const status = structuredClone(current.status) as Record<string, unknown>;
        const goOn = steps[index]!(status);
        if (JSON.stringify(status) !== JSON.stringify(current.status)) {
          current.status = status;
          put("pods", current, "MODIFIED");
        }
        if (goOn) advance(index + 1);
      });
    advance(0);
  };

  /** Foreground deletion: dependents first (pods terminate for a step), then the owner. */
  const deleteWithDependents = (resource: string, owner: Obj) => {
    owner.metadata.deletionTimestamp = new Date().toISOString();
    owner.metadata.finalizers = ["foregroundDeletion"];
    put(resource, owner, "MODIFIED");
    const dependents = [...objects].filter(([, obj]) =>
      obj.metadata.ownerReferences?.some((o) => o.uid === owner.metadata.uid),
    );
    for (const [key, obj] of dependents) {
      if (key.startsWith("pods/")) {
        obj.metadata.deletionTimestamp = new Date().toISOString();
        put("pods", obj, "MODIFIED");
      }
    }
    later(options.terminationMs, () => {
      for (const [key, obj] of dependents) {
        if (objects.get(key) === obj) remove(key.split("/")[0]!, obj);
      }
      if (objects.get(`${resource}/${owner.metadata.name}`) === owner) remove(resource, owner);
    });
  };

  return {
    objects,
    history,
    watchers,
    put,
    remove,
    reconcile,
    deleteWithDependents,
    revision: () => revision,
    compactedTo: () => compactedTo,
    /** Forget events up to now, as etcd compaction does. */
    compact(): void {
      revision += 10; // the rest of the cluster kept writing meanwhile
      compactedTo = revision;
      history.length = 0;
    },
    stop(): void {
      for (const timer of timers) clearTimeout(timer);
    },
  };
}

export type FakeKubeStore = ReturnType<typeof createFakeKubeStore>;
