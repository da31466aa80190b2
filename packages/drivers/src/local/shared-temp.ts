import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { removeTree } from "./remove-tree.ts";

/** The machine's temp folders every uid may write in: what an instance leaves there outlives it. */
export const SHARED_TEMP_DIRS = ["/tmp", "/var/tmp", "/dev/shm"] as const;

/**
 * Removes the entries at the top of each of `dirs` that `uid` owns (files, folders with all
 * they hold, symlinks themselves: never followed), so that the next instance given the uid
 * finds nothing of the last one's. Called once nothing runs as the uid (nothing can add more,
 * and in these sticky folders no other uid can rename or replace its entries), before the uid
 * is released. Entries gone meanwhile, or folders missing, are skipped.
 */
export async function removeFilesOfUid(
  uid: number,
  dirs: readonly string[] = SHARED_TEMP_DIRS,
): Promise<void> {
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const path = join(dir, name);
      const info = await lstat(path).catch(() => undefined);
      if (info?.uid === uid) await removeTree(path);
    }
  }
}
