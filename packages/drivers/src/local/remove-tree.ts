import { execFile } from "node:child_process";
import { existsSync } from "node:fs";

/** GNU rm (coreutils), where the distribution puts it. */
const RM = ["/usr/bin/rm", "/bin/rm"].find((path) => existsSync(path)) ?? "rm";

/**
 * Removes `path` and all it holds, never through a symlink, not even one swapped in for a
 * folder while the removal runs. For what an isolated instance's uid could write (its work
 * dir, its entries in the shared temp folders): another instance's app may write there too (a
 * folder the uid made 0777) and race a removal by root, turning a folder into a symlink to
 * `/etc` between the moment it is looked at and the moment it is listed — Node's `fs.rm`
 * goes by path and would then remove what the symlink points to. GNU rm opens each folder
 * relative to its parent, never following a symlink, and checks it is the one it looked at.
 * A path that is missing is no error.
 */
export function removeTree(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(RM, ["-rf", "--one-file-system", "--", path], (error, _stdout, stderr) => {
      if (!error) return resolve();
      const why = stderr.trim().split("\n")[0] || error.message;
      reject(new Error(`Could not remove ${path}: ${why}`));
    });
  });
}
