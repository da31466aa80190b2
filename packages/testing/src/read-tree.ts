import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** Every file under `dir` with its text, for the secret scans of tests. */
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
