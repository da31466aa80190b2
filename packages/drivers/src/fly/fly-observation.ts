import type { InstanceInfo, Observation, Phase } from "../driver.ts";
import { listedInstance } from "../instance-record.ts";
import { makeSteps, type StepKey } from "../steps.ts";
import { DESTROYED_VERSION, describeTombstone } from "../tombstone-observation.ts";
import { type FlyMachine, runs } from "./fly-platform.ts";
import type { FlyTombstone } from "./fly-tombstones.ts";
import { META } from "./machine-config.ts";

/** Fly pulls the image as part of creating a machine and does not report it apart. */
export const STEP_KEYS: readonly StepKey[] = ["create", "start", "check"];

/**
 * Versions. Every launcher process that reads the same Fly state computes the same number:
 *
 * - 0 `preparing` (no app yet), 1 `creating` (an app, no machine yet), and a failure recorded
 *   before any machine existed: the time of its mark (epoch ms, so above 1).
 * - Once a machine exists, T is the newest platform timestamp behind it (its creation, its
 *   `updated_at`, its events, its checks), in epoch ms. A state is T; a launch that ran out of
 *   its timeout is T + 1; a failure recorded on the machine is T + 2; `destroying` is
 *   max(T, tombstone time) + 3, so it follows whatever was shown before the destroy.
 * - `destroyed` is final: Number.MAX_SAFE_INTEGER, whatever remains to be read.
 *
 * Phases. A tombstone makes the instance `destroying` while a machine of it is not yet in
 * Fly's `destroyed` state (a `destroying` machine may still be stopping), and `destroyed`
 * once none is (or the app is gone). A machine Fly destroys on its own ends the same way. A machine marked ready stays `ready` while it runs, whatever its checks say
 * later; a machine marked failed is `failed`. The timeout counts from the machine's creation.
 */
export const VERSION = {
  preparing: 0,
  creating: 1,
  destroyed: DESTROYED_VERSION,
} as const;

export interface FlyFacts {
  /** The instance's app name (`<app>.fly.dev` is its URL). */
  app: string;
  appExists: boolean;
  /** The instance's machine: the live one if any, else a destroyed one. */
  machine?: FlyMachine;
  tombstone?: FlyTombstone;
  /** When a failure was recorded on the app before any machine existed (epoch ms). */
  failedBeforeMachineAt?: number;
  now: number;
}

/** The machine that is the instance: a live one wins over destroyed ones. */
export function pickMachine(machines: readonly FlyMachine[], id: string): FlyMachine | undefined {
  const mine = machines.filter((m) => m.config?.metadata?.[META.id] === id);
  return mine.find(runs) ?? mine[0];
}

const ms = (value: string | number | undefined): number => {
  if (value === undefined) return 0;
  const parsed = typeof value === "number" ? value : Date.parse(value);
  return Number.isFinite(parsed) ? parsed : 0;
};

/** T: the newest platform timestamp behind a machine's state. */
export function machineTime(machine: FlyMachine): number {
  return Math.max(
    1,
    ms(machine.created_at),
    ms(machine.updated_at),
    ...(machine.events ?? []).map((e) => ms(e.timestamp)),
    ...(machine.checks ?? []).map((c) => ms(c.updated_at)),
  );
}

const steps = (phase: Phase, failedStep?: StepKey) =>
  makeSteps({ keys: STEP_KEYS, phase: phase === "destroying" ? "destroyed" : phase, failedStep });

/** The observation Fly's state amounts to. Pure: the same facts give the same observation. */
export function describeFly(facts: FlyFacts): Observation {
  const { machine, tombstone } = facts;
  const logTail: string[] = [];
  if (tombstone) {
    const running = machine !== undefined && runs(machine);
    return describeTombstone({
      keys: STEP_KEYS,
      expired: tombstone.reason === "expired",
      running,
      destroyingVersion: running ? Math.max(machineTime(machine), tombstone.at) + 3 : 0,
    });
  }
  if (!facts.appExists) {
    return { version: VERSION.preparing, phase: "preparing", steps: steps("preparing"), logTail };
  }
  // Fly destroying a machine by itself (no tombstone of ours) ends the instance as well.
  if (machine?.state === "destroyed") {
    return { version: VERSION.destroyed, phase: "destroyed", steps: steps("destroyed"), logTail };
  }
  if (machine?.state === "destroying") {
    return {
      version: machineTime(machine),
      phase: "destroying",
      steps: steps("destroying"),
      logTail,
      message: "Fly.io is destroying the machine",
    };
  }
  if (!machine) {
    if (facts.failedBeforeMachineAt !== undefined) {
      return {
        version: Math.max(2, facts.failedBeforeMachineAt),
        phase: "failed",
        steps: steps("failed", "create"),
        logTail,
        error: "The launch failed before its machine was created",
      };
    }
    return { version: VERSION.creating, phase: "creating", steps: steps("creating"), logTail };
  }
  return describeMachine(facts.app, machine, facts.now);
}

function describeMachine(app: string, machine: FlyMachine, now: number): Observation {
  const t = machineTime(machine);
  const metadata = machine.config?.metadata ?? {};
  const logTail: string[] = [];
  const checks = machine.checks ?? [];
  const passing = checks.length > 0 && checks.every((c) => c.status === "passing");
  const state = machine.state ?? "created";
  let phase: Phase;
  let message: string | undefined;
  let failedStep: StepKey | undefined;
  switch (state) {
    case "created":
      phase = "creating";
      break;
    case "started":
      phase = passing || metadata[META.ready] ? "ready" : "checking";
      if (phase === "checking") message = "Waiting for the health check to pass";
      break;
    case "stopping":
    case "stopped":
    case "suspending":
    case "suspended":
      phase = "failed";
      failedStep = "start";
      message = `The machine ${state.startsWith("stop") ? "stopped" : "was suspended"}`;
      break;
    case "failed":
      phase = "failed";
      failedStep = "start";
      message = "The machine failed to start";
      break;
    default: // starting, replacing, updating, launching
      phase = "starting";
  }
  const recorded = metadata[META.failed];
  if (recorded && phase !== "failed") {
    return {
      version: t + 2,
      phase: "failed",
      steps: steps("failed", stepOf(phase)),
      logTail,
      error: recorded,
    };
  }
  const timeoutSeconds = Number(metadata[META.timeout] ?? "0");
  if (
    phase !== "ready" &&
    phase !== "failed" &&
    timeoutSeconds > 0 &&
    now > ms(machine.created_at) + timeoutSeconds * 1000
  ) {
    return {
      version: t + 1,
      phase: "failed",
      steps: steps("failed", stepOf(phase)),
      logTail,
      error: `The instance did not pass its health check within ${timeoutSeconds} s`,
    };
  }
  const observation: Observation = { version: t, phase, steps: steps(phase, failedStep), logTail };
  if (phase === "ready") observation.url = `https://${app}.fly.dev${metadata[META.urlPath] ?? "/"}`;
  if (phase === "failed") observation.error = recorded ?? message;
  else if (message) observation.message = message;
  return observation;
}

function stepOf(phase: Phase): StepKey {
  return phase === "creating" ? "create" : phase === "starting" ? "start" : "check";
}

/**
 * How `list` shows an instance, from its machine's metadata; `undefined` for a machine that
 * is not a launcher instance (no id or owner) or is destroyed.
 */
export function flyInstanceInfo(facts: FlyFacts): InstanceInfo | undefined {
  const metadata = facts.machine?.config?.metadata;
  return listedInstance({
    id: metadata?.[META.id],
    record: metadata,
    keys: META,
    phase: () => describeFly(facts).phase,
    madeAt: ms(facts.machine?.created_at),
  });
}
