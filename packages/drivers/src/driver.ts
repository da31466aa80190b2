import type { Phase, Step } from "@launcher/contract";
import type { Template } from "./template.ts";

/** Whether a driver (or a template on it) can run here, and if not, why. */
export type Availability =
  | { available: true; detail?: string }
  | { available: false; reason: string };

export {
  assertInstanceId,
  isInstanceId,
  isTerminal,
  PHASES,
  type Phase,
  phaseRank,
  type Step,
  type StepState,
  TERMINAL_PHASES,
} from "@launcher/contract";

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
  /** Who launched it (the ticket's owner; `local` without sign-in). Recorded on the platform. */
  owner: string;
  /** When the instance is reaped, epoch ms. Recorded on the platform at create. */
  expiresAt: number;
}

/** An instance as the platform lists it: no secret, no ticket. Times are epoch ms. */
export interface InstanceInfo {
  id: string;
  owner: string;
  /** The template's id. */
  template: string;
  phase: Phase;
  createdAt: number;
  expiresAt: number;
}

/** Why an instance is torn down; an expired one tells its followers so. */
export type DestroyReason = "destroyed" | "expired";

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
  /**
   * Drives the instance to `ready`: creates it unless it exists (or was destroyed), starts it,
   * checks its health and records readiness on the platform. Idempotent by `spec.id` and safe
   * to run in several launcher processes at once. Rejects when the launch cannot go on; the
   * caller then records the failure with `recordFailure`.
   */
  ensure(spec: InstanceSpec, env: SecretEnv, signal: AbortSignal): Promise<void>;
  /**
   * Records on the platform that the launch failed, and why (no secret), unless the instance
   * is already in a terminal phase or gone; every process then observes the same `failed`.
   * A platform that cannot hold it ignores it (the next `ensure` tries again).
   */
  recordFailure(id: string, reason: string): Promise<void>;
  /**
   * Observations of the instance until the signal aborts or a terminal phase; versions never
   * go backwards. Read-only: observing never writes to the platform.
   */
  observe(id: string, signal: AbortSignal): AsyncIterable<Observation>;
  /**
   * Leaves a tombstone (with its reason), then tears the instance down; resolves when nothing
   * of it runs. Observers see `destroying` until then, and `destroyed` only after. Idempotent.
   */
  destroy(id: string, reason?: DestroyReason): Promise<void>;
  /**
   * The instances this driver's platform holds and that are not destroyed (failed ones too),
   * read from the owner, template and expiry each `ensure` recorded there.
   */
  list(): Promise<InstanceInfo[]>;
  /**
   * Housekeeping any replica may run at any time, several at once: finishes a teardown left
   * half-done under a tombstone (a crash mid-destroy) and removes tombstones past their lifetime.
   */
  sweep(): Promise<void>;
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
