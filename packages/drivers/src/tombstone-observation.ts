import type { Observation } from "./driver.ts";
import { makeSteps, type StepKey } from "./steps.ts";

/** `destroyed` follows anything: its version is the largest there is. */
export const DESTROYED_VERSION = Number.MAX_SAFE_INTEGER;

/**
 * What a tombstone amounts to, on every platform that keeps one (docker, fly, kubernetes):
 * `destroying` while anything of the instance still runs, then `destroyed`; an instance that
 * expired says so in both messages. The steps show the launch as over either way.
 *
 * @example
 * if (tombstone) return describeTombstone({ keys: STEP_KEYS, expired, running, destroyingVersion });
 */
export function describeTombstone(options: {
  /** The driver's steps. */
  keys: readonly StepKey[];
  /** The tombstone's reason is `expired`. */
  expired: boolean;
  /** Anything of the instance still runs. */
  running: boolean;
  /** The version of `destroying`, ordered as the platform orders its own changes. */
  destroyingVersion: number;
}): Observation {
  const { expired } = options;
  const steps = makeSteps({ keys: options.keys, phase: "destroyed" });
  if (options.running) {
    return {
      version: options.destroyingVersion,
      phase: "destroying",
      steps,
      logTail: [],
      message: expired ? "The instance expired: stopping it" : "Stopping the instance",
    };
  }
  return {
    version: DESTROYED_VERSION,
    phase: "destroyed",
    steps,
    logTail: [],
    message: expired ? "The instance expired and was destroyed" : "Destroyed",
  };
}
