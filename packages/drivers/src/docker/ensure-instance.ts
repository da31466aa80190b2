import type { ContainerInspectInfo } from "dockerode";
import { assertInstanceId, DriverError, type InstanceSpec, type SecretEnv } from "../driver.ts";
import { probeHealth } from "../health.ts";
import { ensureInstance } from "../lifecycle.ts";
import { sleep } from "../retry.ts";
import {
  type EarlyState,
  exitOf,
  type Marks,
  parseEngineTime,
  publishedPort,
} from "./container-observation.ts";
import {
  type ContainerPlanOptions,
  containerName,
  LABELS,
  launchMarkName,
  markLabels,
  planContainer,
  readyMarkName,
  recordLabels,
  resolveContainerSpec,
} from "./container-spec.ts";
import type { EngineApi } from "./engine-api.ts";
import { makePullProgress } from "./pull-progress.ts";

/** What `ensureContainer` needs from the driver it runs in. */
export interface EnsureContext {
  engine: EngineApi;
  readMarks(id: string): Promise<Marks>;
  /** Tears the container down (a destroy raced the create). */
  teardown(id: string): Promise<void>;
  /** Records what only this process knows before the container exists (and wakes observers). */
  setEarly(id: string, state: EarlyState | undefined): void;
  /** Wakes this process's observers of `id`. */
  poke(id: string): void;
  /** Calls `wake` whenever something of instance `id` changes on the engine; returns how to stop. */
  watch(id: string, wake: () => void): () => void;
  planOptions(): Promise<ContainerPlanOptions>;
  /** The longest wait between two health probes, in ms; the first ones come faster. */
  probeIntervalMs: number;
  log(message: string): void;
}

/** Docker reserves a name (409) a moment before the other creator's container can be inspected. */
const CREATE_RACE_MS = 10_000;
const FIRST_PROBE_MS = 25;

/**
 * Drives an instance to `ready` on the shared skeleton (`ensureInstance` in `lifecycle.ts`):
 * unless a tombstone or a failed mark says otherwise, writes the launch mark (so `list()`
 * shows the instance from now on, a pull included), pulls the image if needed (a destroy
 * meanwhile stops the pull), creates the container (a name clash means another process did)
 * unless a destroy began or a failure was recorded meanwhile, starts it, probes its health
 * path until it answers 2xx, and records that as the ready mark. Safe in several processes at
 * once and after a crash between any two steps: each step reads what the engine holds first.
 * Rejects with a `DriverError` when the launch cannot go on.
 */
export async function ensureContainer(
  context: EnsureContext,
  spec: InstanceSpec,
  env: SecretEnv,
  signal: AbortSignal,
): Promise<void> {
  const { id } = spec;
  assertInstanceId(id);
  const container = resolveContainerSpec(spec);
  signal.throwIfAborted();
  const { engine, log } = context;
  const name = containerName(id);
  let marks: Marks = {};
  let info: ContainerInspectInfo | undefined;
  try {
    await ensureInstance({
      signal,
      async tombstoned() {
        marks = await context.readMarks(id);
        return marks.destroyed !== undefined;
      },
      async create() {
        if (marks.failed) {
          throw new DriverError("platform", marks.failed.reason ?? "The launch failed");
        }
        info = await engine.inspectContainer(name);
        if (info) return;
        // Listed from here on: a quota counts the instance through a pull of any length. A
        // destroy that missed this mark (its teardown ran before it was written) is seen
        // below, before any container; the tombstone check after `create` then removes it.
        if (!marks.launch) {
          await engine.createVolume(
            launchMarkName(id),
            markLabels(id, "launch", recordLabels(spec)),
          );
        }
        if (await engine.imagePresent(container.image)) context.setEarly(id, { phase: "creating" });
        else await pull(context, id, container.image, signal);
        signal.throwIfAborted();
        // What came meanwhile (a pull may take minutes): a destroy wins, a recorded failure
        // stands (a container made now would run on under it).
        const latest = await context.readMarks(id);
        if (latest.destroyed) return;
        if (latest.failed) {
          throw new DriverError("platform", latest.failed.reason ?? "The launch failed");
        }
        const plan = planContainer(spec, env, await context.planOptions());
        const created = await engine.createContainer(plan);
        log(`docker: ${created ? "created" : "found"} ${name} (${container.image})`);
      },
      teardown: () => context.teardown(id),
      async untilReady() {
        info ??= await inspectCreated(engine, name);
        context.setEarly(id, undefined);
        if (info.State.Status === "created" && !info.State.Error) await start(engine, name, log);
        await untilHealthy(context, id, signal);
      },
    });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw error instanceof DriverError
      ? error
      : new DriverError("platform", "could not launch the container", { cause: error });
  } finally {
    context.setEarly(id, undefined);
  }
}

/**
 * Pulls `image` with its progress as the early state of `id`. A tombstone written meanwhile
 * (seen through the engine's events) stops the pull: the caller then creates nothing.
 */
async function pull(
  context: EnsureContext,
  id: string,
  image: string,
  signal: AbortSignal,
): Promise<void> {
  const startedAt = Date.now();
  const progress = makePullProgress();
  context.setEarly(id, { phase: "pulling", progress: 0, startedAt });
  context.log(`docker: pulling ${image} for ${id}`);
  const pulling = new AbortController();
  const stop = () => pulling.abort(signal.reason);
  signal.addEventListener("abort", stop, { once: true });
  if (signal.aborted) stop();
  let destroyed = false;
  // A progress report wakes this instance's watchers, `check` included: no news of a
  // tombstone, and a read of the marks on each step would load the engine through the pull.
  let reporting = false;
  const check = () => {
    if (reporting) return;
    void context.readMarks(id).then(
      (marks) => {
        destroyed ||= marks.destroyed !== undefined;
        if (destroyed) pulling.abort();
      },
      () => {}, // the next event, or the check after the pull, reads them again
    );
  };
  const unwatch = context.watch(id, check);
  check(); // a tombstone written before the watch began
  try {
    await context.engine.pullImage(image, pulling.signal, (event) => {
      if (!progress.add(event)) return;
      reporting = true;
      try {
        context.setEarly(id, { phase: "pulling", progress: progress.value, startedAt });
      } finally {
        reporting = false;
      }
    });
  } catch (error) {
    if (destroyed && !signal.aborted) {
      context.log(`docker: stopped pulling ${image} for ${id}: destroyed`);
      return;
    }
    throw error;
  } finally {
    unwatch();
    signal.removeEventListener("abort", stop);
  }
  if (!(await context.engine.imagePresent(image))) {
    throw new DriverError("platform", `pulling ${image} did not leave the image on the engine`);
  }
  context.setEarly(id, { phase: "creating", pull: { startedAt, endedAt: Date.now() } });
}

async function inspectCreated(engine: EngineApi, name: string): Promise<ContainerInspectInfo> {
  const deadline = Date.now() + CREATE_RACE_MS;
  for (;;) {
    const info = await engine.inspectContainer(name);
    if (info) return info;
    if (Date.now() > deadline) {
      throw new DriverError("platform", "the container vanished after it was created");
    }
    await sleep(50);
  }
}

async function start(engine: EngineApi, name: string, log: (m: string) => void): Promise<void> {
  try {
    await engine.startContainer(name);
    log(`docker: started ${name}`);
  } catch (error) {
    // Another process may have started it (or it failed to start: the wait below says so).
    const info = await engine.inspectContainer(name);
    if (!info || info.State.Status === "created") throw error;
  }
}

/**
 * Probes the health path until it answers 2xx, then writes the ready mark for this container.
 * Ends early when another process recorded readiness or a failure, or a destroy began.
 */
async function untilHealthy(context: EnsureContext, id: string, signal: AbortSignal) {
  const { engine } = context;
  const name = containerName(id);
  for (let attempt = 0; ; attempt++) {
    signal.throwIfAborted();
    const [marks, info] = await Promise.all([context.readMarks(id), engine.inspectContainer(name)]);
    if (marks.destroyed) return;
    if (marks.failed) throw new DriverError("platform", marks.failed.reason ?? "The launch failed");
    if (!info) throw new DriverError("platform", "the container was removed");
    if (marks.ready?.containerId === info.Id) return;
    const labels = info.Config.Labels ?? {};
    const healthPath = labels[LABELS.healthPath] ?? "/";
    const state = info.State;
    if (state.Status === "created" && state.Error) {
      throw new DriverError("platform", `The container did not start: ${state.Error}`);
    }
    if (!["created", "running", "paused", "restarting"].includes(state.Status)) {
      throw new DriverError("platform", `The container ${exitOf(info)}`);
    }
    const published = publishedPort(info);
    if (state.Status === "running" && published) {
      const url = `http://${published.host}:${published.port}${healthPath}`;
      const status = await probeHealth(url);
      if (status !== undefined && status >= 200 && status < 300) {
        // A mark left for an earlier container of this name says nothing of this one.
        if (marks.ready) await engine.removeVolume(readyMarkName(id));
        await engine.createVolume(
          readyMarkName(id),
          markLabels(id, "ready", { [LABELS.containerId]: info.Id }),
        );
        context.poke(id);
        context.log(`docker: ${name} is ready`);
        return;
      }
    }
    const timeoutS = Number(labels[LABELS.timeout]) || 300;
    const since = parseEngineTime(state.StartedAt) ?? parseEngineTime(info.Created) ?? Date.now();
    if (Date.now() > since + timeoutS * 1000) {
      throw new DriverError(
        "platform",
        `The health check (${healthPath}) did not pass within ${timeoutS} s`,
      );
    }
    await sleep(Math.min(context.probeIntervalMs, FIRST_PROBE_MS * 2 ** attempt), signal);
  }
}
