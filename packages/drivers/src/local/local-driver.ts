import { spawn } from "node:child_process";
import { constants, type FSWatcher, watch } from "node:fs";
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, isAbsolute, join } from "node:path";
import type { Availability, Driver, InstanceSpec, Observation, SecretEnv } from "../driver.ts";
import { DriverError, isTerminal } from "../driver.ts";
import { probeHealth } from "../health.ts";
import { makeSteps, type StepMarks } from "../steps.ts";
import { fillPlaceholders, type Template } from "../template.ts";
import { MONITOR_SCRIPT } from "./monitor-script.ts";
import { pickInstancePort, release } from "./ports.ts";
import { findProcesses, isSameProcessAlive, processStartTime, signalProcess } from "./proc.ts";
import {
  addMarker,
  type Claim,
  phaseOf,
  type RecordState,
  readLogTail,
  readRecord,
  versionOf,
  writeAtomic,
} from "./record.ts";

export interface LocalDriverOptions {
  /** The launcher's state directory; instance records live in `<stateDir>/instances/<id>/`. */
  stateDir: string;
  /** Where instances' own working files go (outside the state dir). */
  workRoot?: string;
  /** Extra placeholders for template commands, e.g. `{ scratchpad: "/…/main.js" }`. */
  vars?: Readonly<Record<string, string>>;
  /** Host used in instance URLs. */
  publicHost?: string;
  /**
   * How often an observer looks at the record when no file changed, in ms (at most
   * 100 ms while it probes a starting instance's port and health).
   */
  pollMs?: number;
  /** How long a stopping instance gets before SIGKILL, in ms. */
  stopGraceMs?: number;
  /** A start claimed by a process that died is taken over after this many ms. */
  claimGraceMs?: number;
  /** Environment variables passed through to instances (never the launcher's keys). */
  passEnv?: readonly string[];
}

const STEP_KEYS = ["create", "start", "check"] as const;
const ID = /^[0-9a-f]{32}$/;
const DEFAULT_PASS_ENV = ["PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "HOME", "USER"];

function findOnPath(binary: string): Promise<boolean> {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  return Promise.any(dirs.map((dir) => access(join(dir, binary), constants.X_OK))).then(
    () => true,
    () => false,
  );
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/**
 * The embedded default driver: runs a template's command on this machine as a
 * detached process that outlives the launcher. The platform is a folder per instance
 * under the state dir (see record.ts); secrets reach the app only through its
 * environment.
 *
 * @example
 * const driver = createLocalDriver({ stateDir: ".launcher", vars: { scratchpad } });
 * await driver.ensure(spec, { SCRATCHPAD_PASSWORD: password }, signal);
 * for await (const o of driver.observe(spec.id, signal)) console.log(o.phase);
 */
export function createLocalDriver(options: LocalDriverOptions): Driver {
  const instancesDir = join(options.stateDir, "instances");
  const portsDir = join(options.stateDir, "ports");
  const workRoot = options.workRoot ?? join(tmpdir(), "launcher-instances");
  const publicHost = options.publicHost ?? "127.0.0.1";
  const pollMs = options.pollMs ?? 1000;
  const fastPollMs = Math.min(pollMs, 100);
  const minGapMs = Math.min(pollMs, 25);
  const stopGraceMs = options.stopGraceMs ?? 5000;
  const claimGraceMs = options.claimGraceMs ?? 2000;
  const passEnv = options.passEnv ?? DEFAULT_PASS_ENV;
  const monitorPath = join(options.stateDir, "launcher-monitor.mjs");
  let monitorWritten: Promise<void> | undefined;

  const dirOf = (id: string) => {
    if (!ID.test(id)) throw new TypeError("bad instance id");
    return join(instancesDir, id);
  };
  const workDirOf = (id: string) => join(workRoot, id);

  const writeMonitor = () => {
    monitorWritten ??= (async () => {
      await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
      const current = await readFile(monitorPath, "utf8").catch(() => "");
      if (current === MONITOR_SCRIPT) return;
      const tmp = `${monitorPath}.${process.pid}.tmp`;
      await writeFile(tmp, MONITOR_SCRIPT, { mode: 0o600 });
      await rename(tmp, monitorPath);
    })();
    return monitorWritten;
  };

  const varsFor = (id: string, port: number): Record<string, string> => ({
    ...options.vars,
    id,
    port: String(port),
    dir: workDirOf(id),
    node: process.execPath,
  });

  async function ownClaim(dir: string, generation: number): Promise<boolean> {
    const startTime = await processStartTime(process.pid);
    const claim: Claim = {
      pid: process.pid,
      startTime: startTime ?? 0,
      generation,
      at: Date.now(),
    };
    return addMarker(dir, `claim.${generation}`, claim);
  }

  /**
   * Decides whether this process must start the instance. The first to create
   * `claim.1` does; a claim whose owner died before the monitor ran is taken over
   * by creating the next generation, which again only one process can do.
   */
  async function claimStart(dir: string, signal: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal.aborted) return false;
      const state = await readRecord(dir);
      if (state.destroyed || state.failed || state.exit || state.monitor || state.app) return false;
      if (!state.claim) {
        if (await ownClaim(dir, 1)) return stillWanted(dir);
        continue;
      }
      const { pid, startTime, at, generation } = state.claim;
      if (await isSameProcessAlive(pid, startTime)) {
        // Another start (in this process or another) is under way: wait for its
        // monitor to appear, and take over if that process dies first.
        await sleep(50, signal);
        continue;
      }
      // The claimer died. Its monitor may have been spawned and not yet have written
      // its marker: give it a moment, then look for it by its command line.
      const age = Date.now() - at;
      if (age < claimGraceMs) {
        await sleep(claimGraceMs - age, signal);
        continue;
      }
      if ((await findProcesses(`launcher-monitor.mjs\u0000${dir}`)).length > 0) return false;
      if (await ownClaim(dir, generation + 1)) return stillWanted(dir);
    }
  }

  /**
   * After a claim is won: a `destroy` may have written its tombstone meanwhile, having seen no
   * claim yet. One of the two always sees the other's marker (each writes, then reads), so
   * either that destroy waits for this start and stops it, or this start does not happen.
   */
  async function stillWanted(dir: string): Promise<boolean> {
    return !(await readRecord(dir)).destroyed;
  }

  async function start(spec: InstanceSpec, env: SecretEnv, dir: string): Promise<void> {
    const local = spec.template.drivers.local!;
    const port = await pickInstancePort({ reservations: portsDir, id: spec.id });
    const vars = varsFor(spec.id, port);
    const workDir = workDirOf(spec.id);
    await mkdir(workDir, { recursive: true, mode: 0o700 });
    for (const sub of local.dirs) await mkdir(join(workDir, sub), { recursive: true, mode: 0o700 });
    const fill = (text: string) => fillPlaceholders(text, vars);
    const urlPath = fill(local.urlPath);
    await writeAtomic(dir, "launch.json", {
      command: local.command.map(fill),
      env: Object.fromEntries(Object.entries(local.env).map(([k, v]) => [k, fill(v)])),
      cwd: workDir,
      port,
      url: `http://${publicHost}:${port}${urlPath}`,
      healthUrl: `http://127.0.0.1:${port}${fill(local.healthPath)}`,
      template: spec.template.id,
      timeout: local.timeout,
      startDelayMs: local.startDelay * 1000,
    });
    await writeMonitor();
    const base = Object.fromEntries(
      passEnv.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])),
    );
    const child = spawn(process.execPath, [monitorPath, dir], {
      detached: true, // its own session: killing the launcher's process group spares it
      stdio: "ignore",
      env: { ...base, ...env },
    });
    child.on("error", () => {});
    child.unref();
  }

  /** Looks at the record once, moves it on where the facts say so, and describes it. */
  async function look(id: string, dir: string): Promise<Observation> {
    let state = await readRecord(dir);
    const settle = async (name: string, value: object) => {
      await addMarker(dir, name, { at: Date.now(), ...value });
      state = await readRecord(dir);
    };
    const phase0 = phaseOf(state);
    // Creating counts once a monitor is recorded: if it dies before the app starts (during a
    // start delay, say), nothing else would ever move the launch on.
    const started =
      phase0 === "starting" || phase0 === "checking" || (phase0 === "creating" && state.monitor);
    if (state.exists && state.launch && started) {
      const { launch } = state;
      if (
        state.monitor &&
        !(await isSameProcessAlive(state.monitor.pid, state.monitor.startTime))
      ) {
        // Re-read: the monitor writes exit.json just before it ends.
        state = await readRecord(dir);
        if (phaseOf(state) === phase0) {
          await settle("failed.json", {
            reason: "The instance's monitor process died",
            step: phase0 === "creating" ? "create" : "start",
          });
        }
      } else if (phase0 === "starting" && (await portOpen(launch.port))) {
        await settle("listening.json", {});
      }
      if (phaseOf(state) === "checking") {
        const status = await probeHealth(launch.healthUrl);
        if (status !== undefined && status >= 200 && status < 300) {
          // Only our own app's answer counts: it must still run (not have lost its port).
          state = await readRecord(dir);
          const alive = state.app && (await processStartTime(state.app.pid)) !== undefined;
          if (alive && !state.exit) await settle("ready.json", {});
        }
      }
      const since = state.app?.at ?? state.claim?.at ?? Date.now();
      if (
        !state.ready &&
        !state.exit &&
        Date.now() - since > launch.timeout * 1000 + launch.startDelayMs
      ) {
        await settle("failed.json", {
          reason: `The health check did not pass within ${launch.timeout} s`,
          step: "check",
        });
      }
    }
    return describe(id, dir, state);
  }

  async function describe(id: string, dir: string, state: RecordState): Promise<Observation> {
    const phase = phaseOf(state);
    const marks: StepMarks = {
      create: { startedAt: state.claim?.at, endedAt: state.app?.at },
      start: { startedAt: state.app?.at, endedAt: state.listening?.at },
      check: { startedAt: state.listening?.at, endedAt: state.ready?.at },
    };
    const failedStep =
      phase === "failed"
        ? ((state.failed?.step as "create" | "start" | "check" | undefined) ??
          (state.listening ? "check" : state.app ? "start" : "create"))
        : undefined;
    const observation: Observation = {
      version: versionOf(state, phase),
      phase,
      steps: makeSteps({ keys: STEP_KEYS, phase, failedStep, marks }),
      logTail: state.exists ? await readLogTail(dir) : [],
    };
    if (phase === "ready" && state.launch) observation.url = state.launch.url;
    if (phase === "failed") {
      observation.error =
        state.failed?.reason ??
        (state.exit?.error
          ? `The command could not start (${state.exit.error})`
          : `The instance exited (${state.exit?.signal ? `signal ${state.exit.signal}` : `code ${state.exit?.code}`})`);
    }
    if (phase === "destroyed") observation.message = "The instance was destroyed";
    void id;
    return observation;
  }

  async function stopProcesses(state: RecordState): Promise<void> {
    const targets: { pid: number; startTime: number }[] = [];
    if (state.monitor) targets.push(state.monitor);
    if (state.app) {
      const startTime = await processStartTime(state.app.pid);
      if (startTime !== undefined) targets.push({ pid: state.app.pid, startTime });
    }
    const alive = async () =>
      (await Promise.all(targets.map((t) => isSameProcessAlive(t.pid, t.startTime)))).some(Boolean);
    for (const t of targets) signalProcess(t.pid, "SIGTERM");
    const deadline = Date.now() + stopGraceMs;
    while ((await alive()) && Date.now() < deadline) await sleep(50);
    for (const t of targets) {
      if (await isSameProcessAlive(t.pid, t.startTime)) signalProcess(t.pid, "SIGKILL");
    }
  }

  return {
    name: "local",

    async available(): Promise<Availability> {
      return { available: true, detail: "this machine" };
    },

    async availableFor(template: Template): Promise<Availability> {
      const local = template.drivers.local;
      if (!local) return { available: false, reason: `${template.name} has no local launch spec` };
      if (local.requires && !(await findOnPath(local.requires))) {
        return { available: false, reason: `\`${local.requires}\` was not found on PATH` };
      }
      try {
        const program = fillPlaceholders(local.command[0]!, varsFor("0".repeat(32), 0));
        const script =
          local.command[1] && fillPlaceholders(local.command[1], varsFor("0".repeat(32), 0));
        for (const path of [program, script]) {
          if (path && isAbsolute(path)) await access(path);
        }
      } catch {
        return {
          available: false,
          reason: `${template.name} is not built here (run the build first)`,
        };
      }
      return { available: true };
    },

    async ensure(spec, env, signal) {
      const dir = dirOf(spec.id);
      if (!spec.template.drivers.local) {
        throw new DriverError("bad_spec", `${spec.template.name} has no local launch spec`);
      }
      await mkdir(dir, { recursive: true, mode: 0o700 });
      if (!(await claimStart(dir, signal))) return;
      try {
        await start(spec, env, dir);
      } catch (error) {
        await addMarker(dir, "failed.json", {
          at: Date.now(),
          reason:
            error instanceof TypeError
              ? `Bad launch spec: ${error.message}`
              : "The instance could not be started",
          step: "create",
        });
      }
    },

    // Placeholders until the driver lists and sweeps its platform (issues 14 and 15).
    async list() {
      return [];
    },
    async sweep() {},
    // Placeholder until the driver records failures on its platform (issue 14, the launch session).
    async recordFailure() {},
    async *observe(id, signal) {
      const dir = dirOf(id);
      // Marker files and log writes wake the observer at once (inotify); the timer is
      // for what no file records: the port opening and the health check passing.
      let watcher: FSWatcher | undefined;
      let wake: (() => void) | undefined;
      // A change while `look` runs is kept, so the next wait ends at once instead of at the timer.
      let changed = false;
      const arm = () => {
        if (watcher) return;
        try {
          watcher = watch(dir, () => {
            changed = true;
            wake?.();
          });
          watcher.on("error", () => {});
        } catch {
          // No folder yet: the platform does not know this id.
        }
      };
      let last = -1;
      try {
        while (!signal.aborted) {
          arm();
          changed = false;
          const observation = await look(id, dir);
          if (observation.version > last) {
            last = observation.version;
            yield observation;
            if (isTerminal(observation.phase)) return;
          }
          const probing = observation.phase === "starting" || observation.phase === "checking";
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, probing ? fastPollMs : pollMs);
            function done() {
              clearTimeout(timer);
              wake = undefined;
              signal.removeEventListener("abort", done);
              resolve();
            }
            wake = done;
            signal.addEventListener("abort", done, { once: true });
            if (changed) done();
          });
          await sleep(minGapMs, signal);
        }
      } finally {
        watcher?.close();
      }
    },

    async destroy(id) {
      const dir = dirOf(id);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      // The tombstone first: from now on no process starts or resumes this instance.
      await addMarker(dir, "destroyed.json", { at: Date.now() });
      let state = await readRecord(dir);
      // A start may be under way in another process: let its monitor appear, then stop it.
      if (state.claim && !state.monitor && !state.exit && !state.failed) {
        const deadline = Date.now() + claimGraceMs;
        while (!state.monitor && Date.now() < deadline) {
          await sleep(50);
          state = await readRecord(dir);
        }
        for (const pid of await findProcesses(`launcher-monitor.mjs\u0000${dir}`)) {
          const startTime = await processStartTime(pid);
          if (startTime !== undefined && !state.monitor)
            state = { ...state, monitor: { pid, startTime, at: Date.now() } };
        }
      }
      await stopProcesses(state);
      await rm(workDirOf(id), { recursive: true, force: true });
      if (state.launch) await release(portsDir, state.launch.port, id);
    },
  };
}

/** Removes tombstoned instance records older than `maxAgeSeconds` (a ticket's lifetime). */
export async function sweepTombstones(stateDir: string, maxAgeSeconds: number): Promise<number> {
  const instancesDir = join(stateDir, "instances");
  let removed = 0;
  for (const id of await readdir(instancesDir).catch(() => [] as string[])) {
    if (!ID.test(id)) continue;
    const tombstone = join(instancesDir, id, "destroyed.json");
    const info = await stat(tombstone).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > maxAgeSeconds * 1000) {
      await rm(join(instancesDir, id), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
