import { cacheByKey, cacheFor } from "../availability-cache.ts";
import {
  type Availability,
  assertInstanceId,
  type DestroyReason,
  type Driver,
  type InstanceInfo,
} from "../driver.ts";
import { destroyInstance } from "../lifecycle.ts";
import { observeLoop } from "../observe-loop.ts";
import { fillPlaceholders, type Template } from "../template.ts";
import {
  describeInstance,
  type EarlyState,
  LOG_COUNT_CAP,
  marksById,
  readMarks,
} from "./container-observation.ts";
import {
  containerName,
  DEFAULT_PIDS_LIMIT,
  failureMarkName,
  LABELS,
  labelReason,
  markLabels,
  STOP_GRACE_SECONDS,
  tombstoneName,
} from "./container-spec.ts";
import { demuxLogLines } from "./demux-logs.ts";
import { createEngineApi } from "./engine-api.ts";
import { shortMessage } from "./engine-errors.ts";
import { ensureContainer } from "./ensure-instance.ts";
import { createInstanceEvents } from "./instance-events.ts";
import { listInstance, listLaunch } from "./instance-listing.ts";
import { sweep, teardown } from "./teardown.ts";

export interface DockerDriverOptions {
  /**
   * The engine: `unix:///path/docker.sock`, `tcp://host:port` or `https://host:port` (the
   * server passes its `DOCKER_HOST`). Default: dockerode's own (`DOCKER_HOST`, else
   * `/var/run/docker.sock`).
   */
  host?: string;
  /** The host name used in instance URLs (ports are published on 127.0.0.1). Default `127.0.0.1`. */
  publicHost?: string;
  /** The longest wait between two health probes while `ensure` waits for ready. Default 500 ms. */
  probeIntervalMs?: number;
  /** How often `observe` re-reads the engine when no event woke it. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Tombstones older than this are removed by `sweep`. Default 7 days; keep it above the ticket lifetime. */
  tombstoneTtlSeconds?: number;
  /** Seconds an instance's app gets to stop on TERM before destroy kills it. Default 10. */
  stopGraceSeconds?: number;
  /** Processes an instance may run when its template sets no `resources.pids`. Default 512. */
  defaultPidsLimit?: number;
  /** Receives one line per action (never a secret). */
  log?: (message: string) => void;
}

const ENGINE_STATUS_CACHE_MS = 2000;
const PULLABLE_CACHE_MS = 60_000;
const ENGINE_SETTINGS_CACHE_MS = 60_000;

/**
 * A driver that runs instances as containers on a Docker Engine API (Docker, or Podman's
 * compatible service). The engine is the record: the container's labels and a few labelled
 * volumes (launch, ready, failed, tombstone), so any launcher process derives the same
 * observations and listings.
 * dockerode is loaded when the driver first talks to the engine, not when it is created.
 *
 * @example
 * const driver = createDockerDriver({ host: "unix:///run/docker.sock" });
 * await driver.ensure(spec, { SCRATCHPAD_PASSWORD: pw }, signal); // resolves once ready
 * for await (const o of driver.observe(spec.id, signal)) if (o.phase === "ready") console.log(o.url);
 */
export function createDockerDriver(options: DockerDriverOptions = {}): Driver {
  const engine = createEngineApi(options.host);
  const publicHost = options.publicHost ?? "127.0.0.1";
  const tombstoneTtlMs = (options.tombstoneTtlSeconds ?? 7 * 24 * 3600) * 1000;
  const defaultPidsLimit = options.defaultPidsLimit ?? DEFAULT_PIDS_LIMIT;
  const stopGraceSeconds = options.stopGraceSeconds ?? STOP_GRACE_SECONDS;
  const log = options.log ?? (() => {});
  const events = createInstanceEvents(engine);
  const early = new Map<string, EarlyState>();

  const readMarksOf = async (id: string) =>
    readMarks(id, await engine.listVolumes(`${LABELS.id}=${id}`));

  async function read(id: string) {
    const name = containerName(id);
    const [volumes, container] = await Promise.all([
      engine.listVolumes(`${LABELS.id}=${id}`),
      engine.inspectContainer(name),
    ]);
    const marks = readMarks(id, volumes);
    const logLines =
      container && !marks.destroyed
        ? demuxLogLines(await engine.containerLogs(name, LOG_COUNT_CAP + 1))
        : [];
    return describeInstance({ marks, container, early: early.get(id), logLines, publicHost });
  }

  const engineStatus = cacheFor(ENGINE_STATUS_CACHE_MS, async (): Promise<Availability> => {
    try {
      const { name, version, apiVersion } = await engine.version();
      return { available: true, detail: `${name} ${version} (API ${apiVersion})` };
    } catch (error) {
      return { available: false, reason: shortMessage(error) };
    }
  });

  const pullable = cacheByKey(PULLABLE_CACHE_MS, async (image): Promise<Availability> => {
    try {
      await engine.checkPullable(image);
      return { available: true, detail: `${image} will be pulled on first launch` };
    } catch (error) {
      const why = shortMessage(error);
      return {
        available: false,
        reason: `${image} is not on the engine and cannot be pulled (${why})`,
      };
    }
  });

  const loggingDriver = cacheFor(ENGINE_SETTINGS_CACHE_MS, () =>
    engine.loggingDriver().catch(() => undefined),
  );

  const driver: Driver = {
    name: "docker",

    // One `templates.list` asks once per template too: the answer is kept for a moment.
    available: engineStatus,

    async availableFor(template: Template) {
      const spec = template.drivers.docker;
      if (!spec) return { available: false, reason: `${template.name} has no docker image` };
      const status = await engineStatus();
      if (!status.available) return status;
      let image: string;
      try {
        image = fillPlaceholders(spec.image, {});
      } catch {
        return status; // The image depends on the instance: nothing to check ahead of time.
      }
      try {
        if (await engine.imagePresent(image)) return { available: true, detail: status.detail };
      } catch (error) {
        return { available: false, reason: shortMessage(error) };
      }
      return pullable(image);
    },

    ensure(spec, env, signal) {
      return ensureContainer(
        {
          engine,
          readMarks: readMarksOf,
          teardown: (id) => teardown(engine, id, stopGraceSeconds),
          setEarly(id, state) {
            if (state) early.set(id, state);
            else early.delete(id);
            events.poke(id);
          },
          poke: events.poke,
          watch: events.subscribe,
          planOptions: async () => ({ defaultPidsLimit, loggingDriver: await loggingDriver() }),
          probeIntervalMs: options.probeIntervalMs ?? 500,
          log,
        },
        spec,
        env,
        signal,
      );
    },

    async recordFailure(id, reason) {
      assertInstanceId(id);
      const marks = await readMarksOf(id);
      if (marks.destroyed || marks.failed) return;
      const container = await engine.inspectContainer(containerName(id));
      // Ready, or exited (failed already, with the engine's own reason): terminal either way.
      if (container && marks.ready?.containerId === container.Id) return;
      if (
        container &&
        !["created", "running", "paused", "restarting"].includes(container.State.Status)
      ) {
        return;
      }
      await engine.createVolume(
        failureMarkName(id),
        markLabels(id, "failed", { [LABELS.reason]: labelReason(reason) }),
      );
      events.poke(id);
      log(`docker: recorded the failure of ${id}`);
    },

    async *observe(id, signal) {
      assertInstanceId(id);
      yield* observeLoop(signal, {
        read: () => read(id),
        subscribe: (wake) => events.subscribe(id, wake),
        intervalMs: () => options.pollIntervalMs ?? 1000,
      });
    },

    async destroy(id, reason: DestroyReason = "destroyed") {
      assertInstanceId(id);
      await destroyInstance({
        async writeTombstone() {
          await engine.createVolume(
            tombstoneName(id),
            markLabels(id, "destroyed", { [LABELS.reason]: reason }),
          );
          events.poke(id);
        },
        // Resolves only once the engine no longer has the container: no observe to wait on.
        teardown: () => teardown(engine, id, stopGraceSeconds),
        async cleanUp() {
          early.delete(id);
          events.poke(id);
        },
      });
      log(`docker: destroyed ${containerName(id)} (${reason})`);
    },

    async list(): Promise<InstanceInfo[]> {
      const [containers, volumes] = await Promise.all([
        engine.listContainers(LABELS.id),
        engine.listVolumes(LABELS.id),
      ]);
      const marks = marksById(volumes);
      const withContainer = new Set(containers.map((c) => c.Labels?.[LABELS.id]));
      const listed = containers.flatMap((container) => {
        const id = container.Labels?.[LABELS.id] ?? "";
        return listInstance(container, marks.get(id) ?? {}) ?? [];
      });
      // Launches with no container yet (a pull under way): listed from their launch mark.
      for (const [id, own] of marks) {
        if (withContainer.has(id)) continue;
        const launch = listLaunch(own, early.get(id));
        if (launch) listed.push(launch);
      }
      return listed;
    },

    sweep: () => sweep(engine, { tombstoneTtlMs, stopGraceSeconds }),
  };
  return driver;
}
