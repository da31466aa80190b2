import { realpath, stat } from "node:fs/promises";
import { dirname, parse } from "node:path";

/** What an instance's user must be able to do with a path: read it, run it, or enter it. */
export type Need = "read" | "run" | "enter";

const BITS: Record<Need, number> = { read: 4, run: 1, enter: 1 };

/** The permission bits that apply to `uid`/`gid` (no supplementary groups) on a file. */
function bitsFor(info: { mode: number; uid: number; gid: number }, uid: number, gid: number) {
  if (info.uid === uid) return (info.mode >> 6) & 7;
  if (info.gid === gid) return (info.mode >> 3) & 7;
  return info.mode & 7;
}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, "0");

/**
 * Why the user `uid` (group `gid`, no supplementary groups) cannot `need` the path, or
 * `undefined` when it can: every folder on its real path must be open to it (x), and the path
 * itself readable, runnable, or enterable. Checked from the modes as root sees them (the
 * launcher runs as root when it isolates), so that a template whose files sit under a closed
 * folder such as `/root` is reported unavailable before anything starts, rather than failing
 * at launch. ACLs and security modules are not looked at: a launch they refuse still fails
 * with the command's own error.
 */
export async function unreachableReason(
  path: string,
  uid: number,
  gid: number,
  need: Need,
): Promise<string | undefined> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return `${path} does not exist`;
  }
  const { root } = parse(real);
  const folders: string[] = [];
  for (let dir = dirname(real); ; dir = dirname(dir)) {
    folders.unshift(dir);
    if (dir === root) break;
  }
  if (need === "enter") folders.push(real);
  for (const folder of folders) {
    const info = await stat(folder);
    if ((bitsFor(info, uid, gid) & 1) === 0) {
      return `${folder} (mode ${octal(info.mode)}) is closed to the instances' users`;
    }
  }
  if (need === "enter") return undefined;
  const info = await stat(real);
  if (!info.isFile()) return `${path} is not a file`;
  if ((bitsFor(info, uid, gid) & BITS[need]) === 0) {
    const what = need === "read" ? "readable" : "runnable";
    return `${path} (mode ${octal(info.mode)}) is not ${what} by the instances' users`;
  }
  return undefined;
}
