import { readdir, readFile } from "node:fs/promises";

/**
 * A process's start time (clock ticks since boot, from /proc/PID/stat), which tells a
 * live process from a reused pid. `undefined` when there is no such process or it is
 * a zombie: a dead process can linger for seconds before it is reaped, so `kill -0`
 * would say it lives.
 */
export async function processStartTime(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that was `pid` when it started at `startTime` still runs. */
export async function isSameProcessAlive(pid: number, startTime: number): Promise<boolean> {
  return (await processStartTime(pid)) === startTime;
}

/** Pids whose command line contains `marker` (used to find an instance's monitor). */
export async function findProcesses(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes(marker) && (await processStartTime(Number(entry))) !== undefined) {
        found.push(Number(entry));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Sends a signal, ignoring a process that is already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
