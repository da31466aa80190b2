import type { ContainerInspectInfo } from "dockerode";
import { isInstanceId, type Observation } from "../driver.ts";
import { makeSteps, type StepKey } from "../steps.ts";
import { DESTROYED_VERSION, describeTombstone } from "../tombstone-observation.ts";
import { LABELS, MARK_KINDS, type MarkKind } from "./container-spec.ts";

/**
 * Engine state → observation, with nothing else: no I/O, no clock. Every launcher process
 * that reads the same engine state derives the same observation. Invariants:
 *
 * 1. Phases come only from what the engine holds: the container's inspect and the marks
 *    (labelled volumes) `ensure`, `recordFailure` and `destroy` write. (The launch mark says
 *    who and what for `list()`; it changes no phase.) Nothing is inferred
 *    from the time of the read, so two processes never disagree about a terminal phase.
 * 2. Precedence: tombstone > failed mark > the container's own state > what the ensuring
 *    process knows before the container exists > `preparing`.
 * 3. `destroyed` only once the container is gone; while it exists under a tombstone the phase
 *    is `destroying`.
 * 4. `ready` only with a ready mark written for this very container (its engine id), so a
 *    container made anew never inherits an older one's readiness.
 * 5. Versions only grow along a launch: before the container exists they stay below 1,000
 *    (pulling 1..99, creating 100); then `T × 1000 + r` with T an engine timestamp in epoch ms
 *    (Created, State.StartedAt, State.FinishedAt) and r the rank in it: starting 200,
 *    checking 300 + log lines (≤ 399), ready 700, failed 800 (a failed mark takes the later of
 *    its own time and the container's); `destroying` and `destroyed` are the two largest safe
 *    integers, so they follow anything.
 * 6. The log tail is at most LOG_TAIL_LINES lines of at most LOG_LINE_CHARS characters.
 */

export const STEP_KEYS: readonly StepKey[] = ["pull", "create", "start", "check"];
export const LOG_TAIL_LINES = 20;
/** A log line in a snapshot is cut to this many characters (as the local driver does). */
export const LOG_LINE_CHARS = 500;
/** How many log lines the version counts while checking (bounds the sub-rank). */
export const LOG_COUNT_CAP = 399;

export const VERSION = {
  pulling: (progress: number) => 1 + Math.floor(Math.min(1, Math.max(0, progress)) * 98),
  creating: 100,
  destroying: Number.MAX_SAFE_INTEGER - 1,
  destroyed: DESTROYED_VERSION,
  at: (timestampMs: number, rank: number) => timestampMs * 1000 + rank,
} as const;

const RANK = { starting: 200, checking: 300, ready: 700, failed: 800 } as const;

/** What only the ensuring process knows, before the container exists. */
export type EarlyState =
  | { phase: "pulling"; progress: number; startedAt: number }
  | { phase: "creating"; pull?: { startedAt: number; endedAt: number } };

/** One mark read back from its volume's labels. */
export interface Mark {
  at: number;
  reason?: string;
  containerId?: string;
  /** On the launch mark: its labels, the instance's record (owner, template, lifetime). */
  record?: Readonly<Record<string, string>>;
}
export type Marks = Partial<Record<MarkKind, Mark>>;
type MarkVolume = { Name: string; Labels: Record<string, string> | null };

/** Everything the engine (and the ensuring process) says about one instance at one moment. */
export interface InstanceFacts {
  marks: Marks;
  container?: ContainerInspectInfo;
  early?: EarlyState;
  /** The container's log, up to the last LOG_COUNT_CAP + 1 lines. */
  logLines: string[];
  publicHost: string;
}

/** The marks of instance `id` among labelled volumes (named `launcher-<id>-<kind>`). */
export function readMarks(id: string, volumes: readonly MarkVolume[]): Marks {
  const marks: Marks = {};
  for (const kind of MARK_KINDS) {
    const volume = volumes.find((v) => v.Name === `launcher-${id}-${kind}`);
    if (!volume || volume.Labels?.[LABELS.id] !== id) continue;
    const labels = volume.Labels;
    marks[kind] = {
      at: Number(labels[LABELS.at] ?? labels[LABELS.destroyedAt]) || 0,
      ...(labels[LABELS.reason] ? { reason: labels[LABELS.reason] } : {}),
      ...(labels[LABELS.containerId] ? { containerId: labels[LABELS.containerId] } : {}),
      ...(kind === "launch" ? { record: labels } : {}),
    };
  }
  return marks;
}

/** The marks of every instance among labelled volumes, by instance id. */
export function marksById(volumes: readonly MarkVolume[]): Map<string, Marks> {
  const byId = new Map<string, MarkVolume[]>();
  for (const volume of volumes) {
    const id = volume.Labels?.[LABELS.id];
    if (!isInstanceId(id)) continue;
    byId.set(id, [...(byId.get(id) ?? []), volume]);
  }
  return new Map([...byId].map(([id, own]) => [id, readMarks(id, own)]));
}

/** Epoch ms of an engine timestamp (RFC 3339 with up to nanoseconds), or undefined for Go's zero time. */
export function parseEngineTime(text: string | undefined): number | undefined {
  if (!text || text.startsWith("0001-01-01")) return undefined;
  // Keep milliseconds: Date.parse does not promise to read nanoseconds.
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(ms) ? undefined : ms;
}

/** Where a running container's port is published on the host, read back from inspect. */
export function publishedPort(
  info: ContainerInspectInfo,
): { host: string; port: number } | undefined {
  const containerPort = info.Config.Labels?.[LABELS.port];
  const binding = info.NetworkSettings?.Ports?.[`${containerPort}/tcp`]?.[0];
  const port = Number(binding?.HostPort);
  if (!binding || !Number.isInteger(port) || port <= 0) return undefined;
  return { host: binding.HostIp || "127.0.0.1", port };
}

/** The last LOG_TAIL_LINES lines, each cut to LOG_LINE_CHARS characters. */
export const logTailOf = (lines: readonly string[]): string[] =>
  lines.slice(-LOG_TAIL_LINES).map((line) => line.slice(0, LOG_LINE_CHARS));

/** The observation the facts amount to. */
export function describeInstance(facts: InstanceFacts): Observation {
  const { marks, container } = facts;
  if (marks.destroyed) {
    return describeTombstone({
      keys: STEP_KEYS,
      expired: marks.destroyed.reason === "expired",
      running: container !== undefined,
      destroyingVersion: VERSION.destroying,
    });
  }
  if (marks.failed) return describeFailureMark(marks.failed, facts);
  if (container) {
    const ready = marks.ready !== undefined && marks.ready.containerId === container.Id;
    return describeContainer(container, ready, facts);
  }
  return describeEarly(facts.early);
}

function describeFailureMark(mark: Mark, facts: InstanceFacts): Observation {
  const info = facts.container;
  const times = info ? engineTimes(info) : undefined;
  const engineAt = times ? (times.finishedAt ?? times.startedAt ?? times.created) : 0;
  const failedStep: StepKey = info
    ? times?.startedAt
      ? "check"
      : "start"
    : facts.early?.phase === "pulling"
      ? "pull"
      : "create";
  return {
    version: VERSION.at(Math.max(mark.at, engineAt), RANK.failed),
    phase: "failed",
    steps: makeSteps({
      keys: STEP_KEYS,
      phase: "failed",
      failedStep,
      marks: times ? stepMarks(times) : {},
    }),
    logTail: logTailOf(facts.logLines),
    message: "The launch failed",
    error: mark.reason ?? "The launch failed",
  };
}

function engineTimes(info: ContainerInspectInfo) {
  return {
    created: parseEngineTime(info.Created) ?? 0,
    startedAt: parseEngineTime(info.State.StartedAt),
    finishedAt: parseEngineTime(info.State.FinishedAt),
  };
}

function stepMarks(times: ReturnType<typeof engineTimes>) {
  const { created, startedAt } = times;
  return {
    create: { endedAt: created },
    ...(startedAt ? { start: { endedAt: startedAt }, check: { startedAt } } : {}),
  };
}

function describeContainer(
  info: ContainerInspectInfo,
  ready: boolean,
  facts: InstanceFacts,
): Observation {
  const labels = info.Config.Labels ?? {};
  const state = info.State;
  const times = engineTimes(info);
  const { created, startedAt, finishedAt } = times;
  const healthPath = labels[LABELS.healthPath] ?? "/";
  const logTail = logTailOf(facts.logLines);
  const marks = stepMarks(times);
  // Every state of a live container: its phase at a rank of an engine time, with the marks.
  const at = (
    phase: "starting" | "checking" | "ready" | "failed",
    version: number,
    more: Pick<Observation, "message" | "url" | "error"> & { failedStep?: StepKey },
  ): Observation => {
    const { failedStep, ...said } = more;
    return {
      version,
      phase,
      steps: makeSteps({ keys: STEP_KEYS, phase, failedStep, marks }),
      logTail,
      ...said,
    };
  };
  const failed = (time: number, failedStep: StepKey, error: string): Observation =>
    at("failed", VERSION.at(time, RANK.failed), {
      message: "The launch failed",
      error,
      failedStep,
    });

  switch (state.Status) {
    case "created":
      if (state.Error) {
        return failed(created, "start", `The container did not start: ${state.Error}`);
      }
      return at("starting", VERSION.at(created, RANK.starting), {
        message: "Starting the container",
      });
    case "running":
    case "paused":
    case "restarting": {
      const since = startedAt ?? created;
      const published = publishedPort(info);
      if (ready && published) {
        const urlPath = labels[LABELS.urlPath] ?? "/";
        return at("ready", VERSION.at(since, RANK.ready), {
          message: "Ready",
          url: `http://${facts.publicHost}:${published.port}${urlPath}`,
        });
      }
      const logCount = Math.min(facts.logLines.length, LOG_COUNT_CAP);
      return at("checking", VERSION.at(since, RANK.checking + logCount), {
        message: `Waiting for ${healthPath} to answer`,
      });
    }
    default: {
      // exited, dead, removing: the instance is gone (it never stays up on its own accord).
      const end = finishedAt ?? startedAt ?? created;
      return failed(end, startedAt ? "check" : "start", `The container ${exitOf(info)}`);
    }
  }
}

/** How a container that stopped ended, in words: "exited with code 2". */
export const exitOf = (info: ContainerInspectInfo): string =>
  info.State.OOMKilled
    ? "was killed for lack of memory"
    : `exited with code ${info.State.ExitCode}`;

/** What the ensuring process alone knows before the container exists. */
export function describeEarly(state: EarlyState | undefined): Observation {
  if (!state) {
    return {
      version: 0,
      phase: "preparing",
      steps: makeSteps({ keys: STEP_KEYS, phase: "preparing" }),
      logTail: [],
      message: "Preparing",
    };
  }
  if (state.phase === "pulling") {
    return {
      version: VERSION.pulling(state.progress),
      phase: "pulling",
      steps: makeSteps({
        keys: STEP_KEYS,
        phase: "pulling",
        marks: { pull: { startedAt: state.startedAt, progress: state.progress } },
      }),
      logTail: [],
      message: `Pulling the image (${Math.round(state.progress * 100)}%)`,
    };
  }
  return {
    version: VERSION.creating,
    phase: "creating",
    steps: makeSteps({
      keys: STEP_KEYS,
      phase: "creating",
      marks: state.pull ? { pull: { ...state.pull, progress: 1 } } : {},
    }),
    logTail: [],
    message: "Creating the container",
  };
}
