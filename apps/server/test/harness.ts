import { readdir, readFile, readlink } from "node:fs/promises";

export { seededRandom, waitFor } from "@launcher/testing";

/** Whether each number is greater than the one before (versions, event ids). */
export const strictlyIncreasing = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1]! < x);

export interface InstanceProcess {
  pid: number;
  ppid: number;
  kind: "monitor" | "app";
  /** The instance id (the monitor's folder, or the app's working dir). */
  id: string;
  /** The app's `SCRATCHPAD_PASSWORD`, for apps. */
  password?: string;
}

async function liveStat(pid: string): Promise<{ ppid: number } | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return undefined;
  return { ppid: Number(fields[1]) };
}

/**
 * Every live instance process of one launcher state: monitors (their command line names
 * the instance folder under `stateDir`) and apps (their working dir is under `workDir`).
 */
export async function instanceProcesses(
  stateDir: string,
  workDir: string,
): Promise<InstanceProcess[]> {
  const found: InstanceProcess[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes("launcher-monitor.mjs") && cmdline.includes(stateDir)) {
        const stat = await liveStat(entry);
        const id = cmdline
          .split("\0")
          .find((arg) => arg.startsWith(`${stateDir}/instances/`))
          ?.split("/")
          .at(-1);
        if (stat && id) found.push({ pid: Number(entry), ppid: stat.ppid, kind: "monitor", id });
        continue;
      }
      const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => "");
      if (!cwd.startsWith(`${workDir}/`)) continue;
      const stat = await liveStat(entry);
      if (!stat) continue;
      const environ = await readFile(`/proc/${entry}/environ`, "utf8");
      const password = environ
        .split("\0")
        .find((v) => v.startsWith("SCRATCHPAD_PASSWORD="))
        ?.slice("SCRATCHPAD_PASSWORD=".length);
      found.push({
        pid: Number(entry),
        ppid: stat.ppid,
        kind: "app",
        id: cwd.slice(workDir.length + 1).split("/")[0]!,
        password,
      });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Resident set size of a process in bytes, from /proc (0 when it is gone). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : 0;
}

/** An instance's record (marker files, without the log) for a failure message. */
export async function describeRecord(stateDir: string, id: string): Promise<string> {
  const dir = `${stateDir}/instances/${id}`;
  const names = await readdir(dir).catch(() => [] as string[]);
  const lines = await Promise.all(
    names
      .filter((name) => name !== "log")
      .map(async (name) => `${name}: ${await readFile(`${dir}/${name}`, "utf8").catch(() => "?")}`),
  );
  const log = await readFile(`${dir}/log`, "utf8").catch(() => "");
  return [...lines, `log (end): ${log.slice(-600)}`].join("\n");
}
