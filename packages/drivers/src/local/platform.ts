import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { cacheFor } from "../availability-cache.ts";
import { assertInstanceId, type Observation, type SecretEnv } from "../driver.ts";
import { MONITOR_SCRIPT } from "./monitor-script.ts";
import { INSTANCE_ENV, isSameProcessAlive, readProcessTable } from "./proc.ts";
import { monitorMatters, type ProcessFacts, type RecordState, toObservation } from "./record.ts";
import { readLogTail, readRecord } from "./record-files.ts";
import type { UidRange } from "./uids.ts";
import { defaultWorkRoot } from "./work-root.ts";

export interface LocalDriverOptions {
  /** The launcher's state directory; instance records live in `<stateDir>/instances/<id>/`. */
  stateDir: string;
  /**
   * Where instances' own working files go, one folder per instance, outside the state dir.
   * Default: `<stateDir>-instances` beside the state dir, or `$TMPDIR/launcher-instances-<uid>`
   * where that folder cannot be made. Created 0700; refused when it belongs to another user
   * or others may write it.
   */
  workRoot?: string;
  /** Extra placeholders for template commands, e.g. `{ scratchpad: "/…/main.js" }`. */
  vars?: Readonly<Record<string, string>>;
  /** Host used in instance URLs. */
  publicHost?: string;
  /** How often an observer looks at the record when no file changed, in ms. Default 1000. */
  pollMs?: number;
  /** How long a stopping instance gets before SIGKILL, in ms. Default 5000. */
  stopGraceMs?: number;
  /** A start claimed by a process that died is taken over after this many ms. Default 2000. */
  claimGraceMs?: number;
  /** Environment variables passed through to instances (never the launcher's keys). */
  passEnv?: readonly string[];
  /** An instance's log is cut to its tail past this many bytes. Default 1 MiB. */
  logMaxBytes?: number;
  /** How long `sweep` keeps a tombstone, in s: longer than any ticket lives. Default 7 days. */
  tombstoneTtlSeconds?: number;
  /**
   * Run each instance's app as its own unprivileged uid (gid the same number, no
   * supplementary groups) drawn from this range, in a work dir it owns, out of reach of the
   * state dir and of other instances (see isolation.ts). Needs the launcher to run as root;
   * without root the driver offers nothing rather than run instances unisolated.
   */
  uids?: UidRange;
}

const DEFAULT_PASS_ENV = ["PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "HOME", "USER"];

/** The driver's settings with every default filled in. */
export function resolveSettings(options: LocalDriverOptions) {
  const pollMs = options.pollMs ?? 1000;
  // Absolute: monitors start in `/`, and their command lines name their folders for teardown.
  const stateDir = resolve(options.stateDir);
  return {
    stateDir,
    workRoot: resolve(options.workRoot ?? defaultWorkRoot(stateDir, undefined, !!options.uids)),
    vars: options.vars ?? {},
    publicHost: options.publicHost ?? "127.0.0.1",
    pollMs,
    stopGraceMs: options.stopGraceMs ?? 5000,
    claimGraceMs: options.claimGraceMs ?? 2000,
    passEnv: options.passEnv ?? DEFAULT_PASS_ENV,
    logMaxBytes: options.logMaxBytes ?? 1024 * 1024,
    tombstoneTtlMs: (options.tombstoneTtlSeconds ?? 7 * 86_400) * 1000,
    uids: options.uids,
  };
}
export type LocalSettings = ReturnType<typeof resolveSettings>;

/** A record as read, with whether its monitor still runs. */
export interface RecordRead {
  state: RecordState;
  facts: ProcessFacts;
}

/**
 * The local platform: instance folders under the state dir, the monitor script, and the
 * processes on this machine. Thin: it reads and writes, and decides nothing.
 */
export function createLocalPlatform(settings: LocalSettings) {
  const instancesDir = join(settings.stateDir, "instances");
  const portsDir = join(settings.stateDir, "ports");
  const uidsDir = join(settings.stateDir, "uids");
  const monitorPath = join(settings.stateDir, "launcher-monitor.mjs");
  let monitorWritten: Promise<void> | undefined;

  const dirOf = (id: string) => {
    assertInstanceId(id);
    return join(instancesDir, id);
  };

  /** Reads a record, and whether its monitor runs when that matters. Read-only. */
  async function read(id: string): Promise<RecordRead> {
    const dir = dirOf(id);
    const state = await readRecord(dir);
    if (!monitorMatters(state)) return { state, facts: {} };
    const { pid, startTime } = state.monitor!;
    if (await isSameProcessAlive(pid, startTime)) return { state, facts: { monitorAlive: true } };
    // The monitor writes exit.json just before it ends: read again now that it has.
    return { state: await readRecord(dir), facts: { monitorAlive: false } };
  }

  return {
    settings,
    instancesDir,
    portsDir,
    uidsDir,
    dirOf,
    workDirOf: (id: string) => {
      assertInstanceId(id);
      return join(settings.workRoot, id);
    },
    read,

    async observation(id: string): Promise<Observation> {
      const { state, facts } = await read(id);
      const tail = state.logLength > 0 ? await readLogTail(dirOf(id)) : [];
      return toObservation(state, facts, tail);
    },

    /** The process table, shared by the teardowns running at one moment. */
    processes: cacheFor(25, readProcessTable),

    writeMonitor(): Promise<void> {
      monitorWritten ??= (async () => {
        await mkdir(settings.stateDir, { recursive: true, mode: 0o700 });
        const current = await readFile(monitorPath, "utf8").catch(() => "");
        if (current === MONITOR_SCRIPT) return;
        const tmp = `${monitorPath}.${process.pid}.tmp`;
        await writeFile(tmp, MONITOR_SCRIPT, { mode: 0o600 });
        await rename(tmp, monitorPath);
      })();
      monitorWritten.catch(() => {
        monitorWritten = undefined;
      });
      return monitorWritten;
    },

    /**
     * Starts the instance's monitor, detached in its own session (killing the launcher's
     * process group spares it), with the secrets only in its environment.
     */
    spawnMonitor(id: string, env: SecretEnv): Promise<ChildProcess> {
      const base = Object.fromEntries(
        settings.passEnv.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])),
      );
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [monitorPath, dirOf(id)], {
          detached: true,
          stdio: "ignore",
          cwd: "/",
          env: { ...base, ...env, [INSTANCE_ENV]: id },
        });
        child.once("spawn", () => resolve(child));
        child.once("error", reject);
        child.unref();
      });
    },
  };
}

export type LocalPlatform = ReturnType<typeof createLocalPlatform>;
