/**
 * The phases of a launch, in the order a launch passes through them. `ready`, `failed` and
 * `destroyed` are terminal for a follower: its stream ends there. `destroying` sits between
 * a running (or failed) instance and its tombstone, while its teardown is under way, so
 * that `destroyed` is said only when nothing of the instance runs any more.
 */
export const PHASES = [
  "preparing",
  "pulling",
  "creating",
  "starting",
  "checking",
  "ready",
  "failed",
  "destroying",
  "destroyed",
] as const;
export type Phase = (typeof PHASES)[number];

export const TERMINAL_PHASES: ReadonlySet<Phase> = new Set<Phase>(["ready", "failed", "destroyed"]);

/**
 * Whether a follower's stream ends at this phase.
 *
 * @example
 * isTerminal("ready"); // true
 * isTerminal("checking"); // false
 */
export const isTerminal = (phase: Phase): boolean => TERMINAL_PHASES.has(phase);

/** A phase's place in `PHASES`: later phases rank higher. */
export const phaseRank = (phase: Phase): number => PHASES.indexOf(phase);

export const STEP_STATES = ["pending", "running", "done", "failed", "skipped"] as const;
export type StepState = (typeof STEP_STATES)[number];

/** One step a user sees in the progress list. Times are epoch milliseconds. */
export interface Step {
  key: string;
  label: string;
  state: StepState;
  /** 0..1, where the platform reports it (image pull). */
  progress?: number;
  startedAt?: number;
  endedAt?: number;
}
