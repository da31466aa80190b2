import type { Template } from "./template.ts";

/** Whether a driver (or a template on it) can run here, and if not, why. */
export type Availability =
  | { available: true; detail?: string }
  | { available: false; reason: string };

/** The phases of a launch, in order; the last three are terminal. */
export const PHASES = [
  "preparing",
  "pulling",
  "creating",
  "starting",
  "checking",
  "ready",
  "failed",
  "destroyed",
] as const;
export type Phase = (typeof PHASES)[number];
export const TERMINAL_PHASES: ReadonlySet<Phase> = new Set(["ready", "failed", "destroyed"]);
export const isTerminal = (phase: Phase): boolean => TERMINAL_PHASES.has(phase);

export type StepState = "pending" | "running" | "done" | "failed" | "skipped";

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

/**
 * What the platform says about an instance at one moment. `version` only grows,
 * and is read from (or kept on) the platform so that any launcher process observes
 * the same sequence.
 */
export interface Observation {
  version: number;
  phase: Phase;
  steps: Step[];
  logTail: string[];
  message?: string;
  /** The instance's base URL, ending in `/`, with no secret in it (ready only). */
  url?: string;
  /** Why the launch failed (failed only). Never holds a secret. */
  error?: string;
}

/** Generated secrets as the environment the instance receives: env name → value. */
export type SecretEnv = Readonly<Record<string, string>>;

/** Everything a driver needs to create one instance. Holds no secret. */
export interface InstanceSpec {
  /** The instance id: 32 lowercase hex characters (128 random bits). */
  id: string;
  template: Template;
  /** When the ticket was issued, epoch ms. */
  createdAt: number;
}

/**
 * A place instances run. Every method is safe to call from any launcher process at
 * any time: `ensure` and `destroy` are idempotent by instance id, and `observe`
 * reads the platform's own state.
 */
export interface Driver {
  readonly name: string;
  /** Can this driver run here at all (engine reachable, token set…), and why not. */
  available(): Promise<Availability>;
  /** Can this template run on this driver here (binary on PATH, spec present…). */
  availableFor(template: Template): Promise<Availability>;
  /** Create the instance unless it exists (or was destroyed). Idempotent by `spec.id`. */
  ensure(spec: InstanceSpec, env: SecretEnv, signal: AbortSignal): Promise<void>;
  /** Observations of the instance until the signal aborts; versions never go backwards. */
  observe(id: string, signal: AbortSignal): AsyncIterable<Observation>;
  /** Tear the instance down and leave a tombstone. Idempotent. */
  destroy(id: string): Promise<void>;
}

/** A driver failure a user can act on (engine unreachable, token refused…). Never holds a secret. */
export class DriverError extends Error {
  override readonly name = "DriverError";
  constructor(
    readonly code: "unavailable" | "refused" | "not_found" | "platform" | "bad_spec",
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
