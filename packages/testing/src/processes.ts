import { readdir, readFile } from "node:fs/promises";

/** Waits until `test` holds, checking every `everyMs`; fails after `timeoutMs`. */
export async function waitFor(
  test: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = 30_000, everyMs = 50 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await test()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Whether a process lives: a zombie (dead, not yet reaped) does not count. */
async function alive(pid: string): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return stat !== "" && state !== "Z" && state !== "X";
}

/** The live monitor processes of the local driver's instances under `stateDir`. */
export async function instanceMonitorPids(stateDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes("launcher-monitor.mjs") && cmdline.includes(stateDir)) {
      if (await alive(entry)) pids.push(Number(entry));
    }
  }
  return pids;
}
