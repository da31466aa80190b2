import type { KubernetesObject } from "@kubernetes/client-node";
import { type InstanceInfo, isInstanceId } from "../driver.ts";
import type { KubeApi } from "./kube-api.ts";
import { LABELS, MANAGED_SELECTOR } from "./kube-manifests.ts";
import { kubeInstanceInfo } from "./kube-observation.ts";

interface Inventory {
  kube: KubeApi;
  namespace: string;
}

/** The launcher's Deployments, pods and tombstones in the namespace: three list calls. */
async function readAll({ kube, namespace }: Inventory) {
  const [deployments, pods, graves] = await Promise.all([
    kube.call("list deployments", (c) =>
      c.apps.listNamespacedDeployment({ namespace, labelSelector: MANAGED_SELECTOR }),
    ),
    kube.call("list pods", (c) =>
      c.core.listNamespacedPod({ namespace, labelSelector: MANAGED_SELECTOR }),
    ),
    kube.call("list tombstones", (c) =>
      c.core.listNamespacedConfigMap({
        namespace,
        labelSelector: `${MANAGED_SELECTOR},${LABELS.destroyed}=true`,
      }),
    ),
  ]);
  return {
    deployments: byId(deployments.items),
    pods: groupById(pods.items),
    graves: byId(graves.items),
  };
}

const idOf = (object: KubernetesObject): string | undefined => {
  const id = object.metadata?.labels?.[LABELS.id];
  return isInstanceId(id) ? id : undefined;
};

function byId<T extends KubernetesObject>(items: readonly T[]): Map<string, T> {
  const found = new Map<string, T>();
  for (const item of items) {
    const id = idOf(item);
    if (id) found.set(id, item);
  }
  return found;
}

function groupById<T extends KubernetesObject>(items: readonly T[]): Map<string, T[]> {
  const found = new Map<string, T[]>();
  for (const item of items) {
    const id = idOf(item);
    if (id) found.set(id, [...(found.get(id) ?? []), item]);
  }
  return found;
}

/**
 * Every instance in the namespace that is not destroyed, by label selector: owner, template
 * and lifetime from each Deployment's annotations, the phase from it, its pods and any
 * tombstone (a destroy under way shows as `destroying`).
 */
export async function listKube(inventory: Inventory): Promise<InstanceInfo[]> {
  const { deployments, pods, graves } = await readAll(inventory);
  const now = Date.now();
  return [...deployments].flatMap(([id, deployment]) => {
    const info = kubeInstanceInfo(id, {
      deployment,
      pods: pods.get(id) ?? [],
      tombstone: graves.get(id),
      now,
    });
    return info ? [info] : [];
  });
}

/**
 * Housekeeping, safe in several replicas at once (deletes are idempotent, a 404 is fine):
 * a Deployment still standing under a tombstone (a destroy cut short) is deleted again, and a
 * tombstone older than its lifetime is removed once nothing of its instance is left.
 */
export async function sweepKube(
  inventory: Inventory & {
    tombstoneTtlSeconds: number;
    finishTeardown(id: string): Promise<void>;
  },
): Promise<void> {
  const { kube, namespace } = inventory;
  const { deployments, pods, graves } = await readAll(inventory);
  const now = Date.now();
  for (const [id, grave] of graves) {
    const deployment = deployments.get(id);
    if (deployment) {
      if (!deployment.metadata?.deletionTimestamp) await inventory.finishTeardown(id);
      continue;
    }
    if (pods.has(id)) continue; // still terminating
    const created = grave.metadata?.creationTimestamp as Date | string | undefined;
    const at = created instanceof Date ? created.getTime() : Date.parse(created ?? "");
    if (!Number.isFinite(at) || now - at <= inventory.tombstoneTtlSeconds * 1000) continue;
    await kube.read("delete tombstone", (c) =>
      c.core.deleteNamespacedConfigMap({ name: grave.metadata!.name!, namespace }),
    );
  }
}
