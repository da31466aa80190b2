import { type InstanceInfo, isInstanceId, type Phase } from "../driver.ts";
import type { Marks } from "./container-observation.ts";
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
  const labels = container.Labels ?? {};
  const id = labels[LABELS.id];
  if (!isInstanceId(id)) return undefined;
  const createdAt = Number(labels[LABELS.createdAt]) || container.Created * 1000;
  const expiresAt = Number(labels[LABELS.expiresAt]) || createdAt;
  return {
    id,
    owner: labels[LABELS.owner] || "local",
    template: labels[LABELS.template] ?? "",
    phase: listedPhase(container, marks),
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
