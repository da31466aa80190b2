import { type InstanceInfo, isInstanceId, type Phase } from "../driver.ts";
import type { EarlyState, Marks } from "./container-observation.ts";
import { LABELS } from "./container-spec.ts";

/** A container as the engine lists it (the fields `listInstance` reads). */
export interface ListedContainer {
  Id: string;
  State: string;
  Created: number;
  Labels: Record<string, string> | null;
}

/**
 * An instance as `list()` reports it, from its container's labels and its marks; `undefined`
 * for a container that is not an instance's. The phase follows the same precedence as
 * `describeInstance`. A container made before owners and lifetimes were recorded belongs to
 * `local` and counts as expired, so the reaper ends it.
 */
export function listInstance(container: ListedContainer, marks: Marks): InstanceInfo | undefined {
  return recordOf(container.Labels ?? {}, container.Created * 1000, listedPhase(container, marks));
}

/**
 * An instance that has a launch mark and no container yet (its image is being pulled, say, or
 * its launcher died before it made one), from the mark's record: listed from the moment
 * `ensure` began, so a quota counts it. `undefined` under a tombstone (nothing of it runs: it
 * is destroyed). The phase is what `describeInstance` says without a container: a failed mark,
 * else what the ensuring process knows (`early`, in that process only), else `preparing`.
 */
export function listLaunch(marks: Marks, early?: EarlyState): InstanceInfo | undefined {
  const launch = marks.launch;
  if (!launch?.record || marks.destroyed) return undefined;
  const phase = marks.failed ? "failed" : (early?.phase ?? "preparing");
  return recordOf(launch.record, launch.at, phase);
}

/** The instance's record from its labels (see `recordLabels`); created at `madeAt` when unsaid. */
function recordOf(
  labels: Readonly<Record<string, string>>,
  madeAt: number,
  phase: Phase,
): InstanceInfo | undefined {
  const id = labels[LABELS.id];
  if (!isInstanceId(id)) return undefined;
  const createdAt = Number(labels[LABELS.createdAt]) || madeAt;
  const expiresAt = Number(labels[LABELS.expiresAt]) || createdAt;
  return {
    id,
    owner: labels[LABELS.owner] || "local",
    template: labels[LABELS.template] ?? "",
    phase,
    createdAt,
    expiresAt,
  };
}

function listedPhase(container: ListedContainer, marks: Marks): Phase {
  if (marks.destroyed) return "destroying";
  if (marks.failed) return "failed";
  switch (container.State) {
    case "created":
      return "starting";
    case "running":
    case "paused":
    case "restarting":
      return marks.ready?.containerId === container.Id ? "ready" : "checking";
    default:
      return "failed";
  }
}
