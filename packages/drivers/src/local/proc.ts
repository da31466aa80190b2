import { readdir, readFile } from "node:fs/promises";

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
  /** Its `LAUNCHER_INSTANCE`, when its environment holds one (and we may read it). */
  instance?: string;
}

const marker = `${INSTANCE_ENV}=`;

async function readEntry(name: string): Promise<ProcessEntry | undefined> {
  try {
    const fields = statFields(await readFile(`/proc/${name}/stat`, "utf8"));
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    const entry: ProcessEntry = {
      pid: Number(name),
      startTime: Number(fields[19]),
      pgrp: Number(fields[2]),
      session: Number(fields[3]),
    };
    const environ = await readFile(`/proc/${name}/environ`, "latin1").catch(() => "");
    const found = environ.startsWith(marker) ? 0 : environ.indexOf(`\0${marker}`) + 1;
    if (found > 0 || environ.startsWith(marker)) {
      const value = environ.slice(found + marker.length);
      const end = value.indexOf("\0");
      entry.instance = end < 0 ? value : value.slice(0, end);
    }
    return entry;
  } catch {
    return undefined; // It ended while we looked.
  }
}

/** Every live process this user may see, with its group, session and instance marker. */
export async function readProcessTable(): Promise<ProcessEntry[]> {
  const names = (await readdir("/proc").catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
  const entries = await Promise.all(names.map(readEntry));
  return entries.filter((entry): entry is ProcessEntry => entry !== undefined);
}

/**
 * The processes of one instance in a process table: those whose environment names it, those
 * recorded for it (pid and start time must match: a reused pid is someone else), and every
 * process in the same process group or session as one of those — a child that cleared its
 * environment but stayed. Never this process, nor its own group or session.
 */
export function instanceProcesses(
  table: readonly ProcessEntry[],
  id: string,
  recorded: readonly { pid: number; startTime: number }[] = [],
): ProcessEntry[] {
  const self = table.find((entry) => entry.pid === process.pid);
  const own = (entry: ProcessEntry) =>
    entry.instance === id ||
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
