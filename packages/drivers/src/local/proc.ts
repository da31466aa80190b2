import { open, readdir, readFile } from "node:fs/promises";

/** The environment variable every process of a local instance inherits: its instance id. */
export const INSTANCE_ENV = "LAUNCHER_INSTANCE";

/** One line of `/proc/PID/stat`, the fields after the command name (which may hold spaces). */
function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

/**
 * A process's start time (clock ticks since boot, /proc/PID/stat field 22), which tells a
 * live process from a reused pid. `undefined` when there is no such process or it is a
 * zombie: a dead process can linger for seconds before it is reaped, so `kill -0` would say
 * it lives.
 */
export async function processStartTime(pid: number): Promise<number | undefined> {
  try {
    const fields = statFields(await readFile(`/proc/${pid}/stat`, "utf8"));
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that was `pid` when it started at `startTime` still runs. */
export async function isSameProcessAlive(pid: number, startTime: number): Promise<boolean> {
  return pid > 0 && (await processStartTime(pid)) === startTime;
}

/** A live process as /proc shows it. */
export interface ProcessEntry {
  pid: number;
  startTime: number;
  /** Process group and session ids. */
  pgrp: number;
  session: number;
  /** Its real user id (the first of `Uid:` in /proc/PID/status); -1 when unknown. */
  uid: number;
  /**
   * All four of its user ids (real, effective, saved, filesystem: the `Uid:` line); a process
   * that ran a setuid binary acts as its effective uid whatever its real one. Absent: `[uid]`.
   */
  uids?: readonly number[];
  /** Its `LAUNCHER_INSTANCE`, when its environment holds one (and we may read it). */
  instance?: string;
}

const MARKER = Buffer.from(`\0${INSTANCE_ENV}=`);
/** Environments are read into one buffer this size; a marker past its end is not seen. */
const ENVIRON_BYTES = 256 * 1024;

/**
 * The `LAUNCHER_INSTANCE` in a process's environment, or `undefined`. An instance's
 * environment holds its secrets: it is read into `buffer` as bytes, never made a string,
 * and the buffer is wiped at once.
 */
async function instanceOf(pid: string, buffer: Buffer): Promise<string | undefined> {
  let length = 0;
  try {
    const handle = await open(`/proc/${pid}/environ`, "r");
    try {
      buffer[0] = 0; // so that a marker at the very start is found like the others
      length = 1;
      let bytesRead = 1;
      while (bytesRead > 0 && length < buffer.length) {
        ({ bytesRead } = await handle.read(buffer, length, buffer.length - length, null));
        length += bytesRead;
      }
    } finally {
      await handle.close();
    }
    const at = buffer.subarray(0, length).indexOf(MARKER);
    if (at < 0) return undefined;
    const from = at + MARKER.length;
    const end = buffer.indexOf(0, from);
    return buffer.toString("latin1", from, end < 0 || end > length ? length : end);
  } catch {
    return undefined; // Not ours to read, or it ended.
  } finally {
    buffer.fill(0, 0, length);
  }
}

/**
 * The user ids on the `Uid:` line of a /proc/PID/status text: `uid` the real one (-1 when
 * there is none), `uids` all four (real, effective, saved, filesystem).
 */
export function uidsOfStatus(status: string): { uid: number; uids: number[] } {
  const line = /^Uid:[ \t]+(.*)$/m.exec(status)?.[1] ?? "";
  const uids = line
    .trim()
    .split(/\s+/)
    .filter((field) => /^\d+$/.test(field))
    .map(Number);
  return { uid: uids[0] ?? -1, uids };
}

/** Every live process this user may see, with its group, session and instance marker. */
export async function readProcessTable(): Promise<ProcessEntry[]> {
  const names = (await readdir("/proc").catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
  const read = (name: string, file: string) =>
    readFile(`/proc/${name}/${file}`, "utf8").catch(() => undefined);
  const [stats, statuses] = await Promise.all([
    Promise.all(names.map((name) => read(name, "stat"))),
    Promise.all(names.map((name) => read(name, "status"))),
  ]);
  const buffer = Buffer.alloc(ENVIRON_BYTES);
  const table: ProcessEntry[] = [];
  for (const [index, name] of names.entries()) {
    const fields = stats[index] && statFields(stats[index]);
    if (!fields || fields[0] === "Z" || fields[0] === "X") continue;
    const entry: ProcessEntry = {
      pid: Number(name),
      startTime: Number(fields[19]),
      pgrp: Number(fields[2]),
      session: Number(fields[3]),
      ...uidsOfStatus(statuses[index] ?? ""),
    };
    const instance = await instanceOf(name, buffer);
    if (instance !== undefined) entry.instance = instance;
    table.push(entry);
  }
  return table;
}

/** What tells an instance's processes apart, besides their groups and sessions. */
export interface InstanceOwnership {
  /** Processes recorded for it (its monitor, its app): pid and start time must match. */
  recorded?: readonly { pid: number; startTime: number }[];
  /** The uids reserved for it: a process with any of its four uids among them is its. */
  uids?: readonly number[];
  /**
   * Whether instances run as their own uids. Then an app may put another instance's id in
   * its own processes' environment (it is theirs to set), so the marker is believed only on a
   * process that runs wholly as this process's own uid — root, which no app can become under
   * no_new_privs: the instance's monitor, seen before it recorded itself. Otherwise every
   * instance runs as the launcher's one user, and whoever could forge the marker could as
   * well signal or trace the instance directly: the marker is believed as it is.
   */
  isolated?: boolean;
}

/**
 * The processes of one instance in a process table: those whose environment names it (see
 * `isolated`), those recorded for it (a reused pid is someone else), those with any of their
 * four uids (real, effective, saved, filesystem) reserved for it (an isolated instance:
 * nothing else runs as that uid, and a child cannot leave it), and every process in the same
 * process group or session as one of those — a child that cleared its environment but
 * stayed. Never this process, nor its own group or session, nor anything running as this
 * process's own uid merely for that.
 */
export function instanceProcesses(
  table: readonly ProcessEntry[],
  id: string,
  ownership: InstanceOwnership = {},
): ProcessEntry[] {
  const { recorded = [], uids = [], isolated = false } = ownership;
  const self = table.find((entry) => entry.pid === process.pid);
  const ownUid = process.getuid?.();
  const reserved = new Set(uids.filter((uid) => uid > 0 && uid !== ownUid));
  const uidsOf = (entry: ProcessEntry) => entry.uids ?? [entry.uid];
  const asLauncher = (entry: ProcessEntry) =>
    uidsOf(entry).length > 0 && uidsOf(entry).every((uid) => uid === ownUid);
  const own = (entry: ProcessEntry) =>
    (entry.instance === id && (!isolated || asLauncher(entry))) ||
    uidsOf(entry).some((uid) => reserved.has(uid)) ||
    recorded.some((mark) => mark.pid === entry.pid && mark.startTime === entry.startTime);
  const seeds = table.filter((entry) => entry.pid !== process.pid && own(entry));
  const groups = new Set(seeds.map((entry) => entry.pgrp));
  const sessions = new Set(seeds.map((entry) => entry.session));
  if (self) {
    groups.delete(self.pgrp);
    sessions.delete(self.session);
  }
  groups.delete(0);
  sessions.delete(0);
  return table.filter(
    (entry) =>
      entry.pid !== process.pid &&
      (own(entry) || groups.has(entry.pgrp) || sessions.has(entry.session)),
  );
}

/** Signals the process only if it is still the one that started at `startTime`. */
export async function signalProcess(
  target: { pid: number; startTime: number },
  signal: NodeJS.Signals,
): Promise<void> {
  if (!(await isSameProcessAlive(target.pid, target.startTime))) return;
  try {
    process.kill(target.pid, signal);
  } catch {
    // Gone meanwhile.
  }
}
