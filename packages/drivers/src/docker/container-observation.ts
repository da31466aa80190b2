import type { ContainerInspectInfo } from "dockerode";
import type { Observation } from "../driver.ts";
import { makeSteps, type StepKey } from "../steps.ts";

/** Labels the driver puts on what it creates. None holds a secret. */
export const LABELS = {
  id: "launcher.id",
  template: "launcher.template",
  port: "launcher.port",
  healthPath: "launcher.health-path",
  urlPath: "launcher.url-path",
  timeout: "launcher.timeout",
  tombstone: "launcher.tombstone",
  destroyedAt: "launcher.destroyed-at",
  ready: "launcher.ready",
} as const;

export const STEP_KEYS: readonly StepKey[] = ["pull", "create", "start", "check"];
export const LOG_TAIL_LINES = 20;
/** How many log lines the version counts while checking (bounds the sub-rank). */
export const LOG_COUNT_CAP = 399;

/**
 * Versions. Before the container exists only the ensuring process knows anything, and its
 * versions stay below 1,000: pulling 1..99, creating 100, failed 101. Once the container
 * exists a version is `T × 1000 + r`, where T is a timestamp the engine recorded (epoch ms:
 * Created, State.StartedAt or State.FinishedAt) and r ranks the phase within it: starting 200,
 * checking 300 + log lines, ready 700, failed 800. Every process computes the same number
 * from the same inspect, a restarted container starts after its previous run finished, and
 * the tombstone is final.
 */
export const VERSION = {
  pulling: (progress: number) => 1 + Math.floor(Math.min(1, Math.max(0, progress)) * 98),
  creating: 100,
  failedBeforeCreate: 101,
  destroyed: Number.MAX_SAFE_INTEGER,
  at: (timestampMs: number, rank: number) => timestampMs * 1000 + rank,
} as const;

const RANK = { starting: 200, checking: 300, ready: 700, failed: 800 } as const;

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

export interface ContainerFacts {
  info: ContainerInspectInfo;
  /** The launcher's own probe of the health path answered 2xx just now. */
  healthy: boolean;
  /**
   * The instance passed its health check once (recorded on the engine): it stays ready while
   * the container runs, so one slow probe after the timeout cannot turn it into a failure.
   */
  wasReady: boolean;
  /** The container's log, up to the last LOG_COUNT_CAP + 1 lines. */
  logLines: string[];
  now: number;
  publicHost: string;
}

/** The observation a container's inspect (plus the launcher's probe and its log) amounts to. */
export function describeContainer(facts: ContainerFacts): Observation {
  const { info, healthy, wasReady, logLines, now, publicHost } = facts;
  const labels = info.Config.Labels ?? {};
  const state = info.State;
  const created = parseEngineTime(info.Created) ?? 0;
  const startedAt = parseEngineTime(state.StartedAt);
  const finishedAt = parseEngineTime(state.FinishedAt);
  const timeoutS = Number(labels[LABELS.timeout]) || 300;
  const healthPath = labels[LABELS.healthPath] ?? "/";
  const logTail = logLines.slice(-LOG_TAIL_LINES);
  const marks = {
    create: { endedAt: created },
    ...(startedAt ? { start: { endedAt: startedAt }, check: { startedAt } } : {}),
  };
  const failed = (at: number, failedStep: StepKey, error: string): Observation => ({
    version: VERSION.at(at, RANK.failed),
    phase: "failed",
    steps: makeSteps({ keys: STEP_KEYS, phase: "failed", failedStep, marks }),
    logTail,
    message: "The launch failed",
    error,
  });

  switch (state.Status) {
    case "created":
      if (state.Error)
        return failed(created, "start", `The container did not start: ${state.Error}`);
      return {
        version: VERSION.at(created, RANK.starting),
        phase: "starting",
        steps: makeSteps({ keys: STEP_KEYS, phase: "starting", marks }),
        logTail,
        message: "Starting the container",
      };
    case "running":
    case "paused":
    case "restarting": {
      const since = startedAt ?? created;
      const published = publishedPort(info);
      if ((healthy || wasReady) && published) {
        const urlPath = labels[LABELS.urlPath] ?? "/";
        return {
          version: VERSION.at(since, RANK.ready),
          phase: "ready",
          steps: makeSteps({ keys: STEP_KEYS, phase: "ready", marks }),
          logTail,
          message: "Ready",
          url: `http://${publicHost}:${published.port}${urlPath}`,
        };
      }
      if (now > since + timeoutS * 1000) {
        return failed(
          since,
          "check",
          `The health check (${healthPath}) did not pass within ${timeoutS} s`,
        );
      }
      return {
        version: VERSION.at(since, RANK.checking + Math.min(logLines.length, LOG_COUNT_CAP)),
        phase: "checking",
        steps: makeSteps({ keys: STEP_KEYS, phase: "checking", marks }),
        logTail,
        message: `Waiting for ${healthPath} to answer`,
      };
    }
    default: {
      // exited, dead, removing: the instance is gone (it never stays up on its own accord).
      const at = finishedAt ?? startedAt ?? created;
      const how = state.OOMKilled
        ? "was killed for lack of memory"
        : `exited with code ${state.ExitCode}`;
      return failed(at, startedAt ? "check" : "start", `The container ${how}`);
    }
  }
}
