import { EventEmitter } from "node:events";
import Docker, { type ContainerInspectInfo } from "dockerode";
import {
  type Availability,
  type Driver,
  DriverError,
  type InstanceSpec,
  isTerminal,
  type Observation,
  type SecretEnv,
} from "../driver.ts";
import { probeHealth } from "../health.ts";
import { makeSteps, type StepKey } from "../steps.ts";
import { fillPlaceholders, type Template } from "../template.ts";
import {
  describeContainer,
  LABELS,
  LOG_COUNT_CAP,
  publishedPort,
  STEP_KEYS,
  VERSION,
} from "./container-observation.ts";
import { demuxLogLines } from "./demux-logs.ts";
import { makePullProgress, type PullEvent } from "./pull-progress.ts";

export interface DockerDriverOptions {
  /** A configured client; by default one from `socketPath`, else `DOCKER_HOST`, else the default socket. */
  docker?: Docker;
  /** The engine's Unix socket, when `docker` is not given. */
  socketPath?: string;
  /** The host name used in instance URLs (ports are published on 127.0.0.1). Default `127.0.0.1`. */
  publicHost?: string;
  /** How often `observe` re-reads the container and probes its health path. Default 1000 ms. */
  probeIntervalMs?: number;
  /** Tombstones older than this are swept by a later `destroy`. Default 7 days; keep it above the ticket lifetime. */
  tombstoneTtlSeconds?: number;
  /** Receives one line per action (never a secret). */
  log?: (message: string) => void;
}

/** What only the ensuring process knows, before the container exists. */
type EarlyState =
  | { phase: "pulling"; progress: number; startedAt: number }
  | { phase: "creating"; pull?: { startedAt: number; endedAt: number } }
  | { phase: "failed"; failedStep: StepKey; error: string };

const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ENGINE_TIMEOUT_MS = 5000;
const PULLABLE_CACHE_MS = 60_000;
const ENGINE_STATUS_CACHE_MS = 2000;
const CREATE_RACE_MS = 10_000;

/** The container of an instance. */
export const containerName = (id: string): string => `launcher-${id}`;
/** The labelled volume that says an instance was destroyed. */
export const tombstoneName = (id: string): string => `launcher-${id}-destroyed`;
/** A labelled volume that says the instance passed its health check once. */
export const readyMarkName = (id: string): string => `launcher-${id}-ready`;

/**
 * A driver that runs instances as containers on a Docker Engine API (Docker, or Podman's
 * compatible service). The container is the record: any launcher process finds it by name
 * and derives the same observations from it.
 *
 * @example
 * const driver = createDockerDriver({ publicHost: "127.0.0.1" });
 * await driver.ensure({ id, template, createdAt: Date.now() }, { SCRATCHPAD_PASSWORD: pw }, signal);
 * for await (const o of driver.observe(id, signal)) if (o.phase === "ready") console.log(o.url);
 */
export function createDockerDriver(options: DockerDriverOptions = {}): Driver {
  const docker =
    options.docker ??
    (options.socketPath ? new Docker({ socketPath: options.socketPath }) : new Docker());
  const publicHost = options.publicHost ?? "127.0.0.1";
  const probeIntervalMs = options.probeIntervalMs ?? 1000;
  const tombstoneTtlMs = (options.tombstoneTtlSeconds ?? 7 * 24 * 3600) * 1000;
  const log = options.log ?? (() => {});
  const early = new Map<string, EarlyState>();
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  const pullable = new Map<string, { at: number; result: Availability }>();

  const setEarly = (id: string, state: EarlyState | undefined) => {
    if (state) early.set(id, state);
    else early.delete(id);
    changes.emit(id);
  };

  async function inspectContainer(id: string): Promise<ContainerInspectInfo | undefined> {
    try {
      return await docker.getContainer(containerName(id)).inspect();
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw toDriverError(error, "inspect the container", docker);
    }
  }

  /**
   * Inspects a container that was just created, here or by a racing process. Docker
   * reserves the name (and answers 409) a moment before the other's container can be
   * inspected, so a miss is retried briefly.
   */
  async function inspectCreated(id: string): Promise<ContainerInspectInfo> {
    const deadline = Date.now() + CREATE_RACE_MS;
    for (;;) {
      const info = await inspectContainer(id);
      if (info) return info;
      if (Date.now() > deadline) {
        throw new DriverError("platform", "the container vanished after it was created");
      }
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  async function hasVolume(name: string, what: string): Promise<boolean> {
    try {
      await docker.getVolume(name).inspect();
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw toDriverError(error, `look for the ${what}`, docker);
    }
  }
  const hasTombstone = (id: string) => hasVolume(tombstoneName(id), "tombstone");

  /** Creates a labelled marker volume; one that exists already is fine. */
  async function addMarkVolume(name: string, labels: Record<string, string>, what: string) {
    try {
      await docker.createVolume({ Name: name, Labels: labels });
    } catch (error) {
      if (!isNameConflict(error)) throw toDriverError(error, `write the ${what}`, docker);
    }
  }

  // The ready marks this process has written, so each is written once.
  const markedReady = new Set<string>();
  async function markReady(id: string): Promise<void> {
    if (markedReady.has(id)) return;
    await addMarkVolume(readyMarkName(id), { [LABELS.id]: id, [LABELS.ready]: "1" }, "ready mark");
    markedReady.add(id);
  }

  async function imagePresent(image: string): Promise<boolean> {
    try {
      await docker.getImage(image).inspect();
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw toDriverError(error, "inspect the image", docker);
    }
  }

  async function pull(id: string, image: string, signal: AbortSignal): Promise<void> {
    const startedAt = Date.now();
    const progress = makePullProgress();
    setEarly(id, { phase: "pulling", progress: 0, startedAt });
    log(`docker: pulling ${image} for ${id}`);
    let stream: NodeJS.ReadableStream;
    try {
      stream = await docker.pull(image);
    } catch (error) {
      throw toDriverError(error, `pull ${image}`, docker);
    }
    const abort = () => (stream as unknown as { destroy(): void }).destroy();
    signal.addEventListener("abort", abort, { once: true });
    try {
      let buffered = "";
      for await (const chunk of stream) {
        buffered += chunk.toString();
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) {
          if (!line.trim()) continue;
          const event = JSON.parse(line) as PullEvent;
          if (event.error) {
            throw new DriverError("platform", `could not pull ${image}: ${event.error}`);
          }
          if (progress.add(event)) {
            setEarly(id, { phase: "pulling", progress: progress.value, startedAt });
          }
        }
      }
    } catch (error) {
      signal.throwIfAborted();
      throw toDriverError(error, `pull ${image}`, docker);
    } finally {
      signal.removeEventListener("abort", abort);
    }
    signal.throwIfAborted();
    if (!(await imagePresent(image))) {
      throw new DriverError("platform", `pulling ${image} did not leave the image on the engine`);
    }
    setEarly(id, { phase: "creating", pull: { startedAt, endedAt: Date.now() } });
  }

  async function startContainer(id: string): Promise<void> {
    try {
      await docker.getContainer(containerName(id)).start();
      log(`docker: started ${containerName(id)}`);
    } catch (error) {
      // 304: another process started it first.
      if (statusOf(error) === 304) return;
      const info = await inspectContainer(id);
      if (info && info.State.Status !== "created") return;
      throw toDriverError(error, "start the container", docker);
    }
  }

  async function removeContainer(id: string): Promise<void> {
    const container = docker.getContainer(containerName(id));
    try {
      // A grace period for the app's TERM handler, then the engine kills it.
      await container.stop({ t: 10 });
    } catch (error) {
      const status = statusOf(error);
      if (status !== 304 && status !== 404)
        throw toDriverError(error, "stop the container", docker);
    }
    try {
      await container.remove({ force: true, v: true });
    } catch (error) {
      // 404: gone already; 409: another process is removing it.
      const status = statusOf(error);
      if (status !== 404 && status !== 409) {
        throw toDriverError(error, "remove the container", docker);
      }
    }
  }

  async function sweepTombstones(): Promise<void> {
    const { Volumes } = await docker.listVolumes({
      filters: JSON.stringify({ label: [`${LABELS.tombstone}=1`] }),
    });
    const cutoff = Date.now() - tombstoneTtlMs;
    for (const volume of Volumes ?? []) {
      const destroyedAt = Number(volume.Labels?.[LABELS.destroyedAt]);
      if (Number.isFinite(destroyedAt) && destroyedAt < cutoff) {
        await docker
          .getVolume(volume.Name)
          .remove()
          .catch(() => {});
      }
    }
  }

  async function logLines(id: string): Promise<string[]> {
    try {
      const buffer = await docker
        .getContainer(containerName(id))
        .logs({ stdout: true, stderr: true, follow: false, tail: LOG_COUNT_CAP + 1 });
      return demuxLogLines(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer)));
    } catch (error) {
      if (statusOf(error) === 404) return [];
      throw toDriverError(error, "read the container's log", docker);
    }
  }

  async function read(id: string): Promise<Observation> {
    if (await hasTombstone(id)) {
      return {
        version: VERSION.destroyed,
        phase: "destroyed",
        steps: makeSteps({ keys: STEP_KEYS, phase: "destroyed" }),
        logTail: [],
        message: "Destroyed",
      };
    }
    const info = await inspectContainer(id);
    if (info) {
      let healthy = false;
      let wasReady = false;
      const published = publishedPort(info);
      if (info.State.Status === "running" && published) {
        const healthPath = info.Config.Labels?.[LABELS.healthPath] ?? "/";
        const status = await probeHealth(`http://${published.host}:${published.port}${healthPath}`);
        healthy = status !== undefined && status >= 200 && status < 300;
        if (healthy) await markReady(id);
        else wasReady = markedReady.has(id) || (await hasVolume(readyMarkName(id), "ready mark"));
      } else if (info.State.Status === "paused" || info.State.Status === "restarting") {
        wasReady = markedReady.has(id) || (await hasVolume(readyMarkName(id), "ready mark"));
      }
      return describeContainer({
        info,
        healthy,
        wasReady,
        logLines: await logLines(id),
        now: Date.now(),
        publicHost,
      });
    }
    return describeEarly(early.get(id));
  }

  async function isPullable(image: string): Promise<Availability> {
    const cached = pullable.get(image);
    if (cached && Date.now() - cached.at < PULLABLE_CACHE_MS) return cached.result;
    let result: Availability;
    try {
      // Asks the registry for the manifest without pulling anything.
      await withTimeout(docker.getImage(image).distribution(), ENGINE_TIMEOUT_MS);
      result = { available: true, detail: `${image} will be pulled on first launch` };
    } catch (error) {
      result = {
        available: false,
        reason: `${image} is not on the engine and cannot be pulled (${shortMessage(error)})`,
      };
    }
    pullable.set(image, { at: Date.now(), result });
    return result;
  }

  let engineStatus: { at: number; value: Promise<Availability> } | undefined;
  async function askEngine(): Promise<Availability> {
    try {
      const version = await withTimeout(docker.version(), ENGINE_TIMEOUT_MS);
      const component = version.Components?.find((c) => /engine/i.test(c.Name))?.Name;
      const name = !component || component === "Engine" ? "Docker Engine" : component;
      return {
        available: true,
        detail: `${name} ${version.Version} (API ${version.ApiVersion})`,
      };
    } catch (error) {
      return { available: false, reason: unreachableReason(error, docker) };
    }
  }

  const driver: Driver = {
    name: "docker",

    // One `templates.list` asks once per template too: the answer is kept for a moment.
    available() {
      if (!engineStatus || Date.now() - engineStatus.at > ENGINE_STATUS_CACHE_MS) {
        engineStatus = { at: Date.now(), value: askEngine() };
      }
      return engineStatus.value;
    },

    async availableFor(template: Template) {
      const spec = template.drivers.docker;
      if (!spec) return { available: false, reason: `${template.name} has no docker image` };
      const engine = await driver.available();
      if (!engine.available) return engine;
      let image: string;
      try {
        image = fillPlaceholders(spec.image, {});
      } catch {
        return engine; // The image depends on the instance: nothing to check ahead of time.
      }
      try {
        if (await imagePresent(image)) return { available: true, detail: engine.detail };
      } catch (error) {
        return { available: false, reason: shortMessage(error) };
      }
      return isPullable(image);
    },

    async ensure(spec: InstanceSpec, env: SecretEnv, signal: AbortSignal) {
      const { id, template } = spec;
      assertId(id);
      const container = template.drivers.docker;
      if (!container) {
        throw new DriverError("bad_spec", `template ${template.id} has no docker spec`);
      }
      signal.throwIfAborted();
      let info: ContainerInspectInfo | undefined;
      try {
        if (await hasTombstone(id)) return; // Destroyed is final.
        info = await inspectContainer(id);
        if (!info) {
          const vars = { id };
          const fill = (text: string) => {
            try {
              return fillPlaceholders(text, vars);
            } catch (error) {
              throw new DriverError("bad_spec", (error as Error).message);
            }
          };
          const image = fill(container.image);
          if (await imagePresent(image)) setEarly(id, { phase: "creating" });
          else await pull(id, image, signal);
          signal.throwIfAborted();
          const port = `${container.port}/tcp`;
          const environment = {
            ...Object.fromEntries(Object.entries(container.env).map(([k, v]) => [k, fill(v)])),
            ...env,
          };
          try {
            await docker.createContainer({
              name: containerName(id),
              Image: image,
              ...(container.command ? { Cmd: container.command.map(fill) } : {}),
              Env: Object.entries(environment).map(([k, v]) => `${k}=${v}`),
              Labels: {
                [LABELS.id]: id,
                [LABELS.template]: template.id,
                [LABELS.port]: String(container.port),
                [LABELS.healthPath]: fill(container.healthPath),
                [LABELS.urlPath]: fill(container.urlPath),
                [LABELS.timeout]: String(container.timeout),
              },
              ExposedPorts: { [port]: {} },
              HostConfig: {
                // HostPort "" lets the engine choose; observe reads it back.
                PortBindings: { [port]: [{ HostIp: "127.0.0.1", HostPort: "" }] },
                RestartPolicy: { Name: "no" },
              },
            });
            log(`docker: created ${containerName(id)} from ${image}`);
          } catch (error) {
            if (!isNameConflict(error)) throw toDriverError(error, "create the container", docker);
            log(`docker: ${containerName(id)} exists already`);
          }
          // A destroy that ran while we created must win: no instance after a tombstone.
          if (await hasTombstone(id)) {
            await removeContainer(id);
            setEarly(id, undefined);
            return;
          }
          info = await inspectCreated(id);
        }
        setEarly(id, undefined);
        if (info.State.Status === "created" && !info.State.Error) await startContainer(id);
      } catch (error) {
        if (signal.aborted) {
          setEarly(id, undefined);
          throw signal.reason;
        }
        const failure =
          error instanceof DriverError ? error : toDriverError(error, "launch", docker);
        if (!info) {
          const current = early.get(id);
          setEarly(id, {
            phase: "failed",
            failedStep: current?.phase === "pulling" ? "pull" : "create",
            error: failure.message,
          });
        }
        throw failure;
      }
    },

    // Placeholders until the driver lists and sweeps its platform (issues 14 and 15).
    async list() {
      return [];
    },
    async sweep() {},
    // Placeholder until the driver records failures on its platform (issue 14, the launch session).
    async recordFailure() {},
    async *observe(id: string, signal: AbortSignal) {
      assertId(id);
      const waker = makeWaker(signal);
      const onChange = () => waker.poke();
      changes.on(id, onChange);
      const events = await watchEvents(docker, id, onChange);
      let last = -1;
      try {
        while (!signal.aborted) {
          const observation = await read(id);
          if (signal.aborted) return;
          if (observation.version > last) {
            last = observation.version;
            yield observation;
            if (isTerminal(observation.phase)) return;
          }
          await waker.wait(probeIntervalMs);
        }
      } finally {
        changes.off(id, onChange);
        events?.destroy();
      }
    },

    async destroy(id: string) {
      assertId(id);
      // The tombstone first: from here on, no ensure creates the container again.
      await addMarkVolume(
        tombstoneName(id),
        { [LABELS.id]: id, [LABELS.tombstone]: "1", [LABELS.destroyedAt]: String(Date.now()) },
        "tombstone",
      );
      await removeContainer(id);
      await docker
        .getVolume(readyMarkName(id))
        .remove()
        .catch(() => {}); // none, or removed already
      markedReady.delete(id);
      setEarly(id, undefined);
      log(`docker: destroyed ${containerName(id)}`);
      await sweepTombstones().catch(() => {});
    },
  };
  return driver;
}

function describeEarly(state: EarlyState | undefined): Observation {
  if (!state) {
    return {
      version: 0,
      phase: "preparing",
      steps: makeSteps({ keys: STEP_KEYS, phase: "preparing" }),
      logTail: [],
      message: "Preparing",
    };
  }
  switch (state.phase) {
    case "pulling":
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
    case "creating":
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
    case "failed":
      return {
        version: VERSION.failedBeforeCreate,
        phase: "failed",
        steps: makeSteps({ keys: STEP_KEYS, phase: "failed", failedStep: state.failedStep }),
        logTail: [],
        message: "The launch failed",
        error: state.error,
      };
  }
}

/** Wakes an observer early when the engine reports an event for the instance. */
async function watchEvents(
  docker: Docker,
  id: string,
  onEvent: () => void,
): Promise<{ destroy(): void } | undefined> {
  try {
    // `since`, never `until`: Podman's events with `until` return nothing.
    const stream = await docker.getEvents({
      since: Math.floor(Date.now() / 1000) - 1,
      filters: { label: [`${LABELS.id}=${id}`] },
    });
    stream.on("data", onEvent);
    stream.on("error", () => {});
    return stream as unknown as { destroy(): void };
  } catch {
    return undefined; // Polling alone still converges.
  }
}

function makeWaker(signal: AbortSignal) {
  let pending = false;
  let wake: (() => void) | undefined;
  return {
    poke() {
      pending = true;
      wake?.();
    },
    wait(ms: number): Promise<void> {
      if (pending || signal.aborted) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          wake = undefined;
          pending = false;
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal.addEventListener("abort", done, { once: true });
        wake = done;
      });
    },
  };
}

function assertId(id: string): void {
  if (!ID_PATTERN.test(id)) throw new TypeError("an instance id is lowercase letters and digits");
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number } | undefined)?.statusCode;
}

/** Docker answers a name clash with 409; Podman with 500 "that name is already in use". */
function isNameConflict(error: unknown): boolean {
  const status = statusOf(error);
  return status === 409 || (status === 500 && /already (in use|exists)/i.test(shortMessage(error)));
}

function shortMessage(error: unknown): string {
  const raw = error as { json?: { message?: string }; message?: string; code?: string };
  const message = raw?.json?.message ?? raw?.message ?? String(error);
  return message.split("\n")[0]!.trim();
}

const UNREACHABLE_CODES = new Set([
  "ENOENT",
  "ECONNREFUSED",
  "EACCES",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "timeout",
]);

function where(docker: Docker): string {
  const modem = docker.modem as { socketPath?: unknown; host?: string; port?: number | string };
  if (typeof modem.socketPath === "string") return `unix://${modem.socketPath}`;
  // No DOCKER_HOST: the modem falls back to the default socket.
  if (!modem.host) return "unix:///var/run/docker.sock";
  return `${modem.host}:${modem.port ?? "?"}`;
}

function unreachableReason(error: unknown, docker: Docker): string {
  const code = (error as { code?: string } | undefined)?.code;
  const explain: Record<string, string> = {
    ENOENT: "no socket there",
    ECONNREFUSED: "connection refused",
    EACCES: "permission denied",
    timeout: `no answer within ${ENGINE_TIMEOUT_MS / 1000} s`,
  };
  const why = (code && explain[code]) ?? code ?? shortMessage(error);
  return `No container engine answers at ${where(docker)} (${why})`;
}

function toDriverError(error: unknown, action: string, docker: Docker): DriverError {
  if (error instanceof DriverError) return error;
  const code = (error as { code?: string } | undefined)?.code;
  if (code && UNREACHABLE_CODES.has(code)) {
    return new DriverError("unavailable", unreachableReason(error, docker), { cause: error });
  }
  return new DriverError("platform", `could not ${action}: ${shortMessage(error)}`, {
    cause: error,
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error("timeout"), { code: "timeout" })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
