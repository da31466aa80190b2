import { link, open, readdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Claim, Marker, RecordState } from "./record.ts";

/** The first line of a log whose head was cut; the number of bytes dropped follows it. */
export const LOG_CUT_PREFIX = "[launcher: the log was cut here; ";

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

/** The log's length from its first byte ever written: its size plus what a cut dropped. */
async function logLength(path: string): Promise<number> {
  try {
    const handle = await open(path, "r");
    try {
      const { size } = await handle.stat();
      const head = Buffer.alloc(Math.min(size, 128));
      await handle.read(head, 0, head.length, 0);
      const text = head.toString("latin1");
      const dropped = text.startsWith(LOG_CUT_PREFIX)
        ? Number.parseInt(text.slice(LOG_CUT_PREFIX.length), 10)
        : 0;
      return size + (Number.isFinite(dropped) ? dropped : 0);
    } finally {
      await handle.close();
    }
  } catch {
    return 0;
  }
}

/** When a marker was added (its file's time), or `undefined` when it does not exist. */
export async function markedAt(dir: string, name: string): Promise<number | undefined> {
  return stat(join(dir, name)).then(
    (info) => info.mtimeMs,
    () => undefined,
  );
}

/** Reads an instance's folder (see record.ts). A folder that does not exist: `exists: false`. */
export async function readRecord(dir: string): Promise<RecordState> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { exists: false, logLength: 0 };
  }
  const has = (name: string) => names.includes(name);
  const claims = names
    .filter((n) => /^claim\.\d+$/.test(n))
    .map((n) => Number(n.slice(6)))
    .sort((a, b) => b - a);
  const get = <T extends Marker>(name: string) =>
    has(name) ? readMarker<T>(join(dir, name)) : undefined;
  // The monitor writes its own markers whole (temp file + rename): read them as they are.
  const whole = <T>(name: string) => (has(name) ? readJson<T>(join(dir, name)) : undefined);
  const [instance, claim, launch, monitor, app, listening, ready, exit, failed, destroyed, gone] =
    await Promise.all([
      whole<RecordState["instance"]>("instance.json"),
      claims.length
        ? readMarker<Claim>(join(dir, `claim.${claims[0]}`), { pid: 0, startTime: 0 })
        : undefined,
      whole<RecordState["launch"]>("launch.json"),
      whole<RecordState["monitor"]>("monitor.json"),
      whole<RecordState["app"]>("app.json"),
      get<Marker>("listening.json"),
      get<Marker>("ready.json"),
      whole<RecordState["exit"]>("exit.json"),
      get<NonNullable<RecordState["failed"]>>("failed.json"),
      get<NonNullable<RecordState["destroyed"]>>("destroyed.json"),
      get<Marker>("gone.json"),
    ]);
  return {
    exists: true,
    instance,
    claim: claim && { ...claim, generation: claims[0]! },
    launch,
    monitor,
    app,
    listening,
    ready,
    exit,
    failed: failed && { ...failed, reason: failed.reason ?? "The launch failed" },
    destroyed,
    gone,
    logLength: has("log") ? await logLength(join(dir, "log")) : 0,
  };
}

const tempName = (dir: string, name: string) =>
  join(dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);

/**
 * Adds a marker unless it exists. Exclusive and whole: the content is written to a
 * temporary file first, then hard-linked to the marker's name, which fails if the name
 * exists. Of two processes adding the same marker exactly one wins and the other learns
 * it lost (returns false); a launcher killed at any instant leaves either no marker or a
 * complete one, never an empty file that blocks the phase for ever.
 */
export async function addMarker(dir: string, name: string, value: object): Promise<boolean> {
  const tmp = tempName(dir, name);
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
  const tmp = tempName(dir, name);
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
