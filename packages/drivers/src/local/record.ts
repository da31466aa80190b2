import type { InstanceInfo, Observation, Phase } from "../driver.ts";
import { phaseRank } from "../driver.ts";
import { makeSteps, type StepKey, type StepMarks } from "../steps.ts";
import { DESTROYED_VERSION, describeTombstone } from "../tombstone-observation.ts";

/**
 * The local driver's platform record, and how it reads as an observation. Pure: no file, no
 * process; `record-files.ts` reads the folder and `proc.ts` the processes.
 *
 * An instance is a folder `<stateDir>/instances/<id>/` of small marker files that are only ever
 * added (created whole and exclusively, so of two processes exactly one wins), never changed:
 *
 *   instance.json   owner, template, createdAt, expiresAt (ensure, before anything else)
 *   claim.N         who is starting the instance (N grows when a crashed start is taken over)
 *   launch.json     the command, non-secret env, port and working dir (ensure)
 *   monitor.json    the monitor process (pid, start time), written by the monitor
 *   app.json        the app process started (pid, start time), by the monitor
 *   listening.json  the app's port answered, by the monitor
 *   ready.json      the health check passed, by the monitor
 *   exit.json       the app exited (code, signal), by the monitor
 *   failed.json     the launch failed for another reason (timeout, a start error, recordFailure)
 *   destroyed.json  the tombstone, with its reason (destroy, before any teardown)
 *   gone.json       the teardown finished: nothing of the instance runs, its files are removed
 *   log             the app's output, cut to its tail past a size (the cut is said in it)
 *
 * Invariants:
 * - The phase is derived from which markers exist, plus one fact about processes: whether the
 *   recorded monitor (pid and start time) still runs. A dead process never comes back, so every
 *   launcher process derives the same phase, and it never goes backwards.
 * - `destroyed` only once `gone.json` exists; between the tombstone and it, `destroying`
 *   (described as on every platform that keeps a tombstone: tombstone-observation.ts).
 * - A record whose monitor is gone is `failed`, even after `ready`: nothing watches the app.
 * - The version is the phase's rank × 2³², plus, while the launch moves, the log's length
 *   counted from its first byte (bytes cut from its head still count), which only grows;
 *   `destroyed` is the largest version there is. Terminal phases have a fixed version, so a
 *   resent terminal snapshot is the same event.
 * - None of it holds a secret.
 */
export interface Marker {
  at: number;
  [key: string]: unknown;
}

/** A process as recorded: its pid and the start time that tells it from a reused pid. */
export interface ProcessMark extends Marker {
  pid: number;
  startTime: number;
}

export interface Claim extends ProcessMark {
  generation: number;
}

export interface InstanceFile extends Marker {
  owner: string;
  template: string;
  createdAt: number;
  expiresAt: number;
}

export interface LaunchFile {
  id: string;
  command: string[];
  env: Record<string, string>;
  cwd: string;
  port: number;
  url: string;
  healthUrl: string;
  template: string;
  timeout: number;
  startDelayMs: number;
  /** The log is cut to its tail past this many bytes. */
  logMaxBytes: number;
  /** The uid (and gid) the app runs as, when isolated (see isolation.ts). */
  uid?: number;
}

export interface RecordState {
  exists: boolean;
  instance?: InstanceFile;
  claim?: Claim;
  launch?: LaunchFile;
  monitor?: ProcessMark;
  /** `startTime` is missing in records written before it was kept. */
  app?: Marker & { pid: number; startTime?: number };
  listening?: Marker;
  ready?: Marker;
  exit?: Marker & { code?: number | null; signal?: string | null; error?: string };
  failed?: Marker & { reason: string; step?: string };
  destroyed?: Marker & { reason?: string };
  gone?: Marker;
  /** The log's length from its first byte ever written: its size plus what was cut. */
  logLength: number;
}

/** What the record alone cannot say. `monitorAlive` undefined: not looked at (taken as alive). */
export interface ProcessFacts {
  monitorAlive?: boolean;
}

export const STEP_KEYS = ["create", "start", "check"] as const satisfies readonly StepKey[];
type LocalStep = (typeof STEP_KEYS)[number];

export const MONITOR_DIED = "The instance's monitor process died";

/** Whether the monitor is worth looking at: it is recorded and nothing final happened yet. */
export const monitorMatters = (state: RecordState): boolean =>
  !!state.monitor && !state.exit && !state.failed && !state.destroyed;

const monitorDied = (state: RecordState, facts: ProcessFacts) =>
  monitorMatters(state) && facts.monitorAlive === false;

/** The phase the markers say, ignoring a tombstone. */
function launchPhase(state: RecordState, facts: ProcessFacts): Phase {
  if (state.failed || state.exit || monitorDied(state, facts)) return "failed";
  if (state.ready) return "ready";
  if (state.listening) return "checking";
  if (state.app) return "starting";
  if (state.claim) return "creating";
  return "preparing";
}

export function phaseOf(state: RecordState, facts: ProcessFacts = {}): Phase {
  if (state.destroyed) return state.gone ? "destroyed" : "destroying";
  return launchPhase(state, facts);
}

/** `destroyed` takes the shared `DESTROYED_VERSION`, above every other. */
export function versionOf(state: RecordState, phase: Phase): number {
  if (!state.exists) return 0;
  if (phase === "destroyed") return DESTROYED_VERSION;
  const moving = phaseRank(phase) < phaseRank("ready");
  return phaseRank(phase) * 2 ** 32 + (moving ? Math.min(state.logLength, 2 ** 32 - 1) : 0);
}

function failure(state: RecordState): { error: string; step: LocalStep } {
  const running: LocalStep = state.listening ? "check" : state.app ? "start" : "create";
  if (state.failed) {
    const step = STEP_KEYS.find((key) => key === state.failed?.step) ?? running;
    return { error: state.failed.reason, step };
  }
  if (state.exit) {
    const { error, signal, code } = state.exit;
    return {
      error: error
        ? `The command could not start (${error})`
        : `The instance exited (${signal ? `signal ${signal}` : `code ${code}`})`,
      step: running,
    };
  }
  return { error: MONITOR_DIED, step: running };
}

/** The observation the record makes, given the processes' facts and the log's last lines. */
export function toObservation(
  state: RecordState,
  facts: ProcessFacts,
  logTail: string[],
): Observation {
  if (state.destroyed) {
    return describeTombstone({
      keys: STEP_KEYS,
      expired: state.destroyed.reason === "expired",
      running: !state.gone,
      destroyingVersion: versionOf(state, "destroying"),
    });
  }
  const phase = launchPhase(state, facts);
  const failed = phase === "failed" ? failure(state) : undefined;
  const marks: StepMarks = {
    create: { startedAt: state.claim?.at, endedAt: state.app?.at },
    start: { startedAt: state.app?.at, endedAt: state.listening?.at },
    check: { startedAt: state.listening?.at, endedAt: state.ready?.at },
  };
  const steps = makeSteps({ keys: STEP_KEYS, phase, failedStep: failed?.step, marks });
  const observation: Observation = { version: versionOf(state, phase), phase, steps, logTail };
  if (phase === "ready" && state.launch) observation.url = state.launch.url;
  if (failed) observation.error = failed.error;
  return observation;
}

/**
 * The instance as `list()` shows it, or `undefined` when it is not listed: destroyed, or never
 * created (a record holding only a failure or a tombstone). A record from before owners and
 * lifetimes were kept belongs to `local` and counts as expired, so the reaper ends it (as on
 * docker).
 */
export function toInstanceInfo(
  id: string,
  state: RecordState,
  facts: ProcessFacts,
): InstanceInfo | undefined {
  const phase = phaseOf(state, facts);
  if (phase === "destroyed" || !state.exists) return undefined;
  if (state.instance) {
    const { owner, template, createdAt, expiresAt } = state.instance;
    return { id, owner, template, phase, createdAt, expiresAt };
  }
  if (!state.claim) return undefined;
  const createdAt = state.claim.at;
  return {
    id,
    owner: "local",
    template: state.launch?.template ?? "",
    phase,
    createdAt,
    expiresAt: createdAt,
  };
}
