import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { removeTree } from "./remove-tree.ts";

/**
 * The machine's folders every uid may write in (where they exist): what an instance leaves
 * there outlives it. /run/lock (/var/lock) is one too; /dev/mqueue holds POSIX message queues.
 */
export const SHARED_TEMP_DIRS = [
  "/tmp",
  "/var/tmp",
  "/dev/shm",
  "/run/lock",
  "/var/lock",
  "/dev/mqueue",
] as const;

/** How many levels of shared folders within a shared folder are searched. */
const MAX_DEPTH = 4;

/**
 * A folder within a shared one that every uid may write in, and that only root may rename or
 * replace, nor anyone remove another's entry from: root's, sticky, open to all (/tmp/.X11-unix).
 */
function isSharedFolder(info: { isDirectory(): boolean; uid: number; mode: number }): boolean {
  return info.isDirectory() && info.uid === 0 && (info.mode & 0o1003) === 0o1003;
}

/**
 * Removes the entries of each of `dirs` that `uid` owns (files, folders with all they hold,
 * symlinks themselves: never followed), and theirs in the shared folders within (see
 * `isSharedFolder`), so that the next instance given the uid finds nothing of the last one's.
 * Called once nothing runs as the uid (nothing can add more, and in these sticky folders no
 * other uid can rename or replace its entries), before the uid is released. Entries gone
 * meanwhile, or folders missing, are skipped. Folders that other uids own, or that are not
 * sticky, are never searched: another uid could swap them for a symlink under the search.
 */
export async function removeFilesOfUid(
  uid: number,
  dirs: readonly string[] = SHARED_TEMP_DIRS,
): Promise<void> {
  for (const dir of dirs) await removeIn(dir, uid, MAX_DEPTH);
}

async function removeIn(dir: string, uid: number, depth: number): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const path = join(dir, name);
    const info = await lstat(path).catch(() => undefined);
    if (info?.uid === uid) await removeTree(path);
    else if (info && depth > 0 && isSharedFolder(info)) await removeIn(path, uid, depth - 1);
  }
}
