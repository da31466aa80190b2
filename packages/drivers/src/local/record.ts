import { link, open, readdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Phase } from "../driver.ts";

/**
 * The local driver's platform record: a folder per instance holding small marker
 * files that are only ever added, never changed. The phase is derived from which
 * markers exist, so it never goes backwards and every launcher process derives the
 * same one. None of them holds a secret.
 *
 *   claim.N       who is starting the instance (N grows when a crashed start is taken over)
 *   launch.json   the command, non-secret env, port and working dir
 *   monitor.json  the monitor process (pid, start time)
 *   app.json      the app process started
 *   listening.json  the app's port answered
 *   ready.json    the health check passed
 *   exit.json     the app exited (code, signal)
 *   failed.json   the launch failed for another reason (timeout, crash)
 *   destroyed.json  the tombstone
 *   log           the app's output
 */
export interface Marker {
  at: number;
  [key: string]: unknown;
}

export interface Claim extends Marker {
  pid: number;
  startTime: number;
  generation: number;
}

export interface LaunchFile {
  command: string[];
  env: Record<string, string>;
  cwd: string;
  port: number;
  url: string;
  healthUrl: string;
  template: string;
  timeout: number;
  startDelayMs: number;
}

export interface RecordState {
  exists: boolean;
  claim?: Claim;
  launch?: LaunchFile;
  monitor?: Marker & { pid: number; startTime: number };
  app?: Marker & { pid: number };
  listening?: Marker;
  ready?: Marker;
  exit?: Marker & { code?: number | null; signal?: string | null; error?: string };
  failed?: Marker & { reason: string; step?: string };
  destroyed?: Marker;
  logBytes: number;
}

const RANK: Record<Phase, number> = {
  preparing: 0,
  pulling: 1,
  creating: 2,
  starting: 3,
  checking: 4,
  ready: 5,
  failed: 6,
  destroying: 7,
  destroyed: 8,
};

export function phaseOf(state: RecordState): Phase {
  if (state.destroyed) return "destroyed";
  if (state.failed || state.exit) return "failed";
  if (state.ready) return "ready";
  if (state.listening) return "checking";
  if (state.app) return "starting";
  if (state.claim) return "creating";
  return "preparing";
}

/**
 * The version any process derives from the same record: the phase's rank, then, within
 * a phase that is still moving, how much the app has logged (a log only grows).
 * Terminal phases have a fixed version, so a resent terminal snapshot is the same event.
 */
export function versionOf(state: RecordState, phase: Phase): number {
  if (!state.exists) return 0;
  const moving = phase !== "ready" && phase !== "failed" && phase !== "destroyed";
  return RANK[phase] * 2 ** 32 + (moving ? Math.min(state.logBytes, 2 ** 32 - 1) : 0);
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/**
 * A marker that exists counts even when its content cannot be read: one left empty by
 * a launcher killed mid-write (before markers were published whole) must not read as
 * absent, or its phase could never be reached again (the marker cannot be re-added).
 * It then says only when it appeared; a claim says its owner is unknown (pid 0: dead).
 */
async function readMarker<T extends Marker>(
  path: string,
  fallback: object = {},
): Promise<T | undefined> {
  const value = await readJson<T>(path);
  if (value && typeof value === "object") return value;
  const info = await stat(path).catch(() => undefined);
  return info ? ({ ...fallback, at: info.mtimeMs } as T) : undefined;
}

export async function readRecord(dir: string): Promise<RecordState> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { exists: false, logBytes: 0 };
  }
  const has = (name: string) => names.includes(name);
  const claims = names
    .filter((n) => /^claim\.\d+$/.test(n))
    .map((n) => Number(n.slice(6)))
    .sort((a, b) => b - a);
  const get = <T extends Marker | undefined>(name: string) =>
    has(name) ? readMarker<NonNullable<T>>(join(dir, name)) : undefined;
  const [claim, launch, monitor, app, listening, ready, exit, failed, destroyed] =
    await Promise.all([
      claims.length
        ? readMarker<Claim>(join(dir, `claim.${claims[0]}`), { pid: 0, startTime: 0 })
        : undefined,
      has("launch.json") ? readJson<LaunchFile>(join(dir, "launch.json")) : undefined,
      // The monitor writes its own markers whole (temp file + rename): read them as they are.
      has("monitor.json") ? readJson<RecordState["monitor"]>(join(dir, "monitor.json")) : undefined,
      has("app.json") ? readJson<RecordState["app"]>(join(dir, "app.json")) : undefined,
      get<Marker>("listening.json"),
      get<Marker>("ready.json"),
      has("exit.json") ? readJson<RecordState["exit"]>(join(dir, "exit.json")) : undefined,
      get<RecordState["failed"]>("failed.json"),
      get<Marker>("destroyed.json"),
    ]);
  const logBytes = has("log")
    ? await stat(join(dir, "log")).then(
        (s) => s.size,
        () => 0,
      )
    : 0;
  return {
    exists: true,
    claim: claim && { ...claim, generation: claims[0]! },
    launch,
    monitor,
    app,
    listening,
    ready,
    exit,
    failed,
    destroyed,
    logBytes,
  };
}

/**
 * Adds a marker unless it exists. Exclusive and whole: the content is written to a
 * temporary file first, then hard-linked to the marker's name, which fails if the name
 * exists. Of two processes adding the same marker exactly one wins and the other learns
 * it lost (returns false); a launcher killed at any instant leaves either no marker or a
 * complete one, never an empty file that blocks the phase for ever.
 */
export async function addMarker(dir: string, name: string, value: object): Promise<boolean> {
  const tmp = join(dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  await writeFile(tmp, JSON.stringify(value), { mode: 0o600 });
  try {
    await link(tmp, join(dir, name));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/** Writes a whole file atomically (temp file + rename), so no reader sees half of it. */
export async function writeAtomic(dir: string, name: string, value: object): Promise<void> {
  const tmp = join(dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}`);
  await writeFile(tmp, JSON.stringify(value), { mode: 0o600 });
  await rename(tmp, join(dir, name));
}

/** The last lines of the instance's log. */
export async function readLogTail(dir: string, lines = 20, bytes = 8192): Promise<string[]> {
  try {
    const handle = await open(join(dir, "log"), "r");
    try {
      const { size } = await handle.stat();
      const start = Math.max(0, size - bytes);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      const text = buffer.toString("utf8").split(/\r?\n/);
      if (start > 0) text.shift();
      if (text.at(-1) === "") text.pop();
      return text.slice(-lines).map((line) => line.slice(0, 500));
    } finally {
      await handle.close();
    }
  } catch {
    return [];
  }
}
