import type { Snapshot } from "@launcher/contract";

/**
 * How far a launch has got, 0 to 1, the same in every client: finished steps count whole, the
 * running one by its progress, or half when it reports none (so that a long step does not look
 * stuck at its start).
 */
export function launchProgress(snapshot: Pick<Snapshot, "phase" | "steps">): number {
  if (snapshot.phase === "ready") return 1;
  const { steps } = snapshot;
  if (steps.length === 0) return 0;
  let sum = 0;
  for (const step of steps) {
    if (step.state === "done" || step.state === "skipped") sum += 1;
    else if (step.state === "running") sum += step.progress ?? 0.5;
  }
  return Math.min(1, sum / steps.length);
}
