import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Pod } from "@kubernetes/client-node";
import type { InstanceInfo, Observation, Phase } from "../driver.ts";
import { listedInstance } from "../instance-record.ts";
import { makeSteps, type StepKey } from "../steps.ts";
import { DESTROYED_VERSION, describeTombstone } from "../tombstone-observation.ts";
import { ANNOTATIONS } from "./kube-manifests.ts";

/** Kubernetes reports the image pull apart, after the pod is created and scheduled. */
export const STEP_KEYS: readonly StepKey[] = ["create", "pull", "start", "check"];

/**
 * Versions. An object's `resourceVersion` is opaque by the API's word; every upstream API
 * server stores objects in etcd and uses etcd's cluster-wide revision, a growing integer, so
 * a later write to any object has a larger one. This module relies on that (a value that is
 * not an integer counts as 0 and so never moves a version backwards):
 *
 * - 0 `preparing`: nothing of the instance exists yet.
 * - Otherwise R, the largest revision among the tombstone, the Deployment and its pods. A
 *   launch past its timeout that nobody has marked failed yet is R + 1, so the failure that
 *   is then recorded (a write: a larger revision) never goes backwards.
 * - `destroyed` is final: Number.MAX_SAFE_INTEGER. While the tombstone stands and something
 *   still exists (Deployment, pods), the instance is `destroying`, at R; R may fall as objects
 *   go, and such observations are simply not newer.
 *
 * Phases. A failure recorded on the Deployment is final. A pod walks pulling → starting →
 * checking → ready by its container's state; the timeout (from the Deployment's creation)
 * stops applying once `ensure` recorded readiness, but a pod whose probe fails later is
 * `checking` again, not ready.
 */
export const VERSION = { preparing: 0, destroyed: DESTROYED_VERSION } as const;

export interface KubeFacts {
  tombstone?: V1ConfigMap;
  deployment?: V1Deployment;
  /** The instance's pods (by its id label). */
  pods: readonly V1Pod[];
  now: number;
}

export function revisionOf(object: KubernetesObject | undefined): number {
  const value = object?.metadata?.resourceVersion;
  return value && /^\d{1,15}$/.test(value) ? Number(value) : 0;
}

/** The step that was running in each phase before ready. */
const STEP_OF: Partial<Record<Phase, StepKey>> = {
  creating: "create",
  pulling: "pull",
  starting: "start",
  checking: "check",
};

const steps = (phase: Phase, failedStep?: StepKey) =>
  makeSteps({ keys: STEP_KEYS, phase: phase === "destroying" ? "destroyed" : phase, failedStep });

const timeOf = (value: Date | string | undefined): number => {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value ?? "");
  return Number.isFinite(ms) ? ms : Number.NaN;
};

/** The observation a tombstone, a Deployment and its pods amount to. Pure. */
export function describeKube(facts: KubeFacts): Observation {
  const { tombstone, deployment, pods } = facts;
  const version = Math.max(
    revisionOf(tombstone),
    revisionOf(deployment),
    ...pods.map(revisionOf),
    0,
  );
  const logTail: string[] = [];
  if (tombstone) {
    return describeTombstone({
      keys: STEP_KEYS,
      expired: tombstone.metadata?.annotations?.[ANNOTATIONS.reason] === "expired",
      running: deployment !== undefined || pods.length > 0,
      destroyingVersion: version,
    });
  }
  if (!deployment && pods.length === 0) {
    return { version: VERSION.preparing, phase: "preparing", steps: steps("preparing"), logTail };
  }
  const annotations = deployment?.metadata?.annotations ?? {};
  const failed = annotations[ANNOTATIONS.failed];
  if (failed)
    return { version, phase: "failed", steps: steps("failed", "check"), logTail, error: failed };

  const pod = pods.find((p) => !p.metadata?.deletionTimestamp) ?? pods[0];
  const status = pod?.status?.containerStatuses?.[0];
  const waiting = status?.state?.waiting;
  const fail = (failedStep: StepKey, error: string): Observation => ({
    version,
    phase: "failed",
    steps: steps("failed", failedStep),
    logTail,
    error,
  });
  let phase: Phase;
  let message: string | undefined;
  if (!pod) {
    phase = "creating";
  } else if (pod.status?.phase === "Failed" || status?.state?.terminated) {
    const reason = status?.state?.terminated?.reason ?? pod.status?.reason ?? "Error";
    return fail("start", `The container stopped (${reason})`);
  } else if (waiting?.reason === "InvalidImageName") {
    return fail("pull", "The image name is invalid");
  } else if (
    waiting?.reason === "CreateContainerConfigError" &&
    /runAsNonRoot/.test(waiting.message ?? "")
  ) {
    // The kubelet retries this for ever; only another image can fix it.
    return fail("start", "The image runs as root, and instances must run as a non-root user");
  } else if (
    pod.status?.conditions?.some((c) => c.type === "PodScheduled" && c.status !== "True")
  ) {
    phase = "creating";
    message = "Waiting for a node with room for the instance";
  } else if (!status || waiting) {
    // ContainerCreating covers the pull; the kubelet retries pull and config errors by itself.
    phase = waiting?.reason === "CrashLoopBackOff" ? "starting" : "pulling";
    if (waiting?.reason && waiting.reason !== "ContainerCreating") {
      message = `Kubernetes: ${waiting.reason}`;
    }
  } else if (status.ready) {
    phase = "ready";
  } else if (status.started === false) {
    phase = "starting";
  } else {
    phase = "checking";
    message = "Waiting for the readiness probe to pass";
  }
  if (phase === "ready") {
    return { version, phase, steps: steps(phase), logTail, url: annotations[ANNOTATIONS.url] };
  }
  const timeout = Number(annotations[ANNOTATIONS.timeout] ?? "0");
  const created = timeOf(deployment?.metadata?.creationTimestamp as Date | string | undefined);
  const wasReady = annotations[ANNOTATIONS.ready] !== undefined;
  if (
    !wasReady &&
    timeout > 0 &&
    Number.isFinite(created) &&
    facts.now > created + timeout * 1000
  ) {
    return {
      ...fail(STEP_OF[phase] ?? "check", `The instance did not become ready within ${timeout} s`),
      version: version + 1,
    };
  }
  return { version, phase, steps: steps(phase), logTail, ...(message ? { message } : {}) };
}

/** How `list` shows an instance, from its Deployment's annotations; not once destroyed. */
export function kubeInstanceInfo(id: string, facts: KubeFacts): InstanceInfo | undefined {
  return listedInstance({
    id,
    record: facts.deployment?.metadata?.annotations,
    keys: ANNOTATIONS,
    phase: () => describeKube(facts).phase,
  });
}
