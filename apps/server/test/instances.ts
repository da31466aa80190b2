import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

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

/** Every file under `dir`, with its text. */
export async function readTree(dir: string): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(
    () => [],
  )) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.push({ path, text: await readFile(path, "utf8").catch(() => "") });
  }
  return out;
}
