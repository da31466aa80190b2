import type { Phase, Step } from "./driver.ts";

/** The steps a user sees, keyed by the phase in which each one runs. */
export const STEP_OF_PHASE = {
  pulling: { key: "pull", label: "Pulling image" },
  creating: { key: "create", label: "Creating instance" },
  starting: { key: "start", label: "Starting" },
  checking: { key: "check", label: "Health check" },
} as const satisfies Partial<Record<Phase, { key: string; label: string }>>;

export type StepKey = (typeof STEP_OF_PHASE)[keyof typeof STEP_OF_PHASE]["key"];

/** When each step started and ended, as the platform recorded it (epoch ms). */
export type StepMarks = Partial<
  Record<StepKey, { startedAt?: number; endedAt?: number; progress?: number }>
>;

/**
 * Builds the step list for a phase: steps before the current one are done, the
 * current one runs (or failed), later ones are pending. `keys` are the steps this
 * driver has (the local driver pulls nothing).
 */
export function makeSteps(options: {
  keys: readonly StepKey[];
  phase: Phase;
  /** On `failed`: the step that was running. */
  failedStep?: StepKey;
  marks?: StepMarks;
}): Step[] {
  const { keys, phase, failedStep, marks = {} } = options;
  const current = (STEP_OF_PHASE as Partial<Record<Phase, { key: StepKey }>>)[phase]?.key;
  const currentIndex =
    phase === "ready" || phase === "destroyed"
      ? keys.length
      : phase === "failed"
        ? keys.indexOf(failedStep ?? keys[keys.length - 1]!)
        : current
          ? keys.indexOf(current)
          : -1;
  return keys.map((key, index) => {
    const label = Object.values(STEP_OF_PHASE).find((s) => s.key === key)!.label;
    const state =
      index < currentIndex
        ? "done"
        : index === currentIndex
          ? phase === "failed"
            ? "failed"
            : "running"
          : phase === "failed" || phase === "destroyed"
            ? "skipped"
            : "pending";
    return { key, label, state, ...marks[key] };
  });
}
