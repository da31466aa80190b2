import type { ContainerCreateOptions } from "dockerode";
import { DriverError, type InstanceSpec, type SecretEnv } from "../driver.ts";
import { type ContainerSpec, fillPlaceholders } from "../template.ts";

/**
 * What the docker driver writes on the engine, and how it is named and labelled. Nothing
 * here holds a secret: secrets go only into the container's `Env`.
 *
 *   container `launcher-<id>`            the instance; its labels are its non-secret record
 *   volume `launcher-<id>-launch`        `ensure` began the launch: the same record (owner,
 *                                        template, lifetime), written before any pull, so the
 *                                        instance is listed before its container exists
 *   volume `launcher-<id>-ready`         `ensure` saw the health check pass (for one container id)
 *   volume `launcher-<id>-failed`        the launch failed, and why (`recordFailure`)
 *   volume `launcher-<id>-destroyed`     the tombstone, with its reason (`destroy`)
 */
export const LABELS = {
  id: "launcher.id",
  owner: "launcher.owner",
  template: "launcher.template",
  createdAt: "launcher.created-at",
  expiresAt: "launcher.expires-at",
  port: "launcher.port",
  healthPath: "launcher.health-path",
  urlPath: "launcher.url-path",
  timeout: "launcher.timeout",
  /** On marks: what the mark says (`launch`, `ready`, `failed`, `destroyed`). */
  mark: "launcher.mark",
  /** On marks: when it was written, epoch ms. */
  at: "launcher.at",
  /** On the failed mark and the tombstone: why (no secret). */
  reason: "launcher.reason",
  /** On the ready mark: the container that passed its health check. */
  containerId: "launcher.container-id",
  /** On tombstones (`1`), and their time as older launchers wrote it. */
  tombstone: "launcher.tombstone",
  destroyedAt: "launcher.destroyed-at",
} as const;

export const MARK_KINDS = ["launch", "ready", "failed", "destroyed"] as const;
export type MarkKind = (typeof MARK_KINDS)[number];

/** The grace the app's TERM handler gets on destroy before the engine kills it, by default. */
export const STOP_GRACE_SECONDS = 10;
/** A reason kept on a mark is cut to this many characters. */
export const REASON_CHARS = 500;
/** Processes and threads an instance may run when its template sets no `resources.pids`. */
export const DEFAULT_PIDS_LIMIT = 512;
/** With the engine's `json-file` log driver, a container's log on disk is capped: 2 × 10 MB. */
export const LOG_ROTATION = { "max-size": "10m", "max-file": "2" } as const;

/** The container of an instance. */
export const containerName = (id: string): string => `launcher-${id}`;
/** The labelled volume that holds one mark of an instance. */
export const markName = (id: string, kind: MarkKind): string => `launcher-${id}-${kind}`;
/** The labelled volume that says an instance was destroyed. */
export const tombstoneName = (id: string): string => markName(id, "destroyed");
/** The labelled volume that says the instance's health check passed. */
export const readyMarkName = (id: string): string => markName(id, "ready");
/** The labelled volume that says the launch failed, and why. */
export const failureMarkName = (id: string): string => markName(id, "failed");
/** The labelled volume that records a launch `ensure` began (before its container exists). */
export const launchMarkName = (id: string): string => markName(id, "launch");

/** The instance's non-secret record, as labels: on its container and on its launch mark. */
export const recordLabels = (spec: InstanceSpec): Record<string, string> => ({
  [LABELS.id]: spec.id,
  [LABELS.owner]: spec.owner,
  [LABELS.template]: spec.template.id,
  [LABELS.createdAt]: String(spec.createdAt),
  [LABELS.expiresAt]: String(spec.expiresAt),
});

/** The labels of a mark: `extra` are the mark's own facts (a reason, a container id). */
export function markLabels(
  id: string,
  kind: MarkKind,
  extra: Record<string, string> = {},
  now = Date.now(),
): Record<string, string> {
  const labels: Record<string, string> = {
    [LABELS.id]: id,
    [LABELS.mark]: kind,
    [LABELS.at]: String(now),
    ...extra,
  };
  if (kind === "destroyed") {
    labels[LABELS.tombstone] = "1";
    labels[LABELS.destroyedAt] = String(now);
  }
  return labels;
}

/** A reason fit for a label: one line, no longer than REASON_CHARS. */
export const labelReason = (reason: string): string =>
  reason.replace(/\s+/g, " ").trim().slice(0, REASON_CHARS) || "The launch failed";

/** The instance's docker spec with `{id}` filled in; a bad placeholder is a `bad_spec`. */
export function resolveContainerSpec(spec: InstanceSpec): ContainerSpec {
  const container = spec.template.drivers.docker;
  if (!container) {
    throw new DriverError("bad_spec", `template ${spec.template.id} has no docker spec`);
  }
  const vars = { id: spec.id };
  const fill = (text: string) => {
    try {
      return fillPlaceholders(text, vars);
    } catch (error) {
      throw new DriverError("bad_spec", (error as Error).message);
    }
  };
  return {
    ...container,
    image: fill(container.image),
    ...(container.command ? { command: container.command.map(fill) } : {}),
    env: Object.fromEntries(Object.entries(container.env).map(([k, v]) => [k, fill(v)])),
    healthPath: fill(container.healthPath),
    urlPath: fill(container.urlPath),
  };
}

export interface ContainerPlanOptions {
  /** `resources.pids` when the template sets none. */
  defaultPidsLimit: number;
  /** The engine's default log driver: with `json-file`, the log on disk is rotated. */
  loggingDriver?: string;
}

/**
 * The create options of an instance's container: named after the instance, labelled with its
 * owner, template and lifetime (what `list()` reads back) and the facts `observe` needs; the
 * port published on loopback only; the template's resources; no privilege escalation and no
 * capabilities. `env` (the secrets) goes into `Env` and nowhere else; it wins over the
 * template's own env of the same name.
 */
export function planContainer(
  spec: InstanceSpec,
  env: SecretEnv,
  options: ContainerPlanOptions,
): ContainerCreateOptions {
  const container = resolveContainerSpec(spec);
  const port = `${container.port}/tcp`;
  const environment = { ...container.env, ...env };
  const resources = spec.template.resources ?? {};
  return {
    name: containerName(spec.id),
    Image: container.image,
    ...(container.command ? { Cmd: container.command } : {}),
    Env: Object.entries(environment).map(([k, v]) => `${k}=${v}`),
    Labels: {
      ...recordLabels(spec),
      [LABELS.port]: String(container.port),
      [LABELS.healthPath]: container.healthPath,
      [LABELS.urlPath]: container.urlPath,
      [LABELS.timeout]: String(container.timeout),
    },
    ExposedPorts: { [port]: {} },
    HostConfig: {
      // HostPort "" lets the engine choose; observe reads it back.
      PortBindings: { [port]: [{ HostIp: "127.0.0.1", HostPort: "" }] },
      RestartPolicy: { Name: "no" },
      SecurityOpt: ["no-new-privileges"],
      CapDrop: ["ALL"],
      PidsLimit: resources.pids ?? options.defaultPidsLimit,
      ...(resources.cpus ? { NanoCpus: Math.round(resources.cpus * 1e9) } : {}),
      // The same for MemorySwap: no swap beyond the memory limit.
      ...(resources.memoryMiB
        ? {
            Memory: resources.memoryMiB * 1024 * 1024,
            MemorySwap: resources.memoryMiB * 1024 * 1024,
          }
        : {}),
      ...(options.loggingDriver === "json-file"
        ? { LogConfig: { Type: "json-file", Config: { ...LOG_ROTATION } } }
        : {}),
    },
  };
}
