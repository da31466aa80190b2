import { readdir, readFile } from "node:fs/promises";

/** Scratchpad processes (the apps, not monitors) whose environment holds `password`. */
export async function appsWithSecret(password: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8");
      if (!cmdline.includes("scratchpad")) continue;
      const environ = await readFile(`/proc/${entry}/environ`, "utf8");
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state !== "Z" && environ.includes(`SCRATCHPAD_PASSWORD=${password}`))
        pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}
