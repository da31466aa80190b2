import { accessSync, constants, existsSync, statSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { DriverError } from "../driver.ts";

const canWrite = (path: string) => {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
};

/** Whether every folder from the root down to `dir` lets anyone through (o+x). */
export function openToAll(dir: string): boolean {
  try {
    for (let at = resolve(dir); ; at = dirname(at)) {
      if ((statSync(at).mode & 0o001) === 0) return false;
      if (at === dirname(at)) return true;
    }
  } catch {
    return false;
  }
}

/**
 * Where instances' own folders go by default: `<stateDir>-instances` beside the state dir
 * (outside it, as pinned); where that cannot be made (a state dir in a folder this user may
 * not write, as in the container image) — or, for instances that run as their own uids
 * (`isolating`), where those uids could not reach it (a state dir under `/root`) — a folder
 * of this user's own in the temp dir. Either is checked by `checkWorkRoot` before use.
 */
export function defaultWorkRoot(
  stateDir: string,
  writable = canWrite,
  isolating = false,
  reachable = openToAll,
): string {
  const sibling = `${resolve(stateDir)}-instances`;
  const parent = existsSync(sibling) ? sibling : dirname(sibling);
  if (writable(parent) && (!isolating || reachable(dirname(sibling)))) return sibling;
  return join(tmpdir(), `launcher-instances-${process.getuid?.() ?? "user"}`);
}

/**
 * Makes sure the folder that holds instances' own files is ours alone, creating it (0700)
 * when missing. Another local user who made it first could otherwise swap an instance's
 * folder (Jupyter would load their config) or read the files in it that hold a token, so a
 * folder that belongs to someone else, or that its group or others may write, is refused.
 */
export async function checkWorkRoot(root: string): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const info = await stat(root);
  const refuse = (why: string) =>
    new DriverError(
      "unavailable",
      `The local instances' folder ${root} ${why}; use a folder only this user can write`,
    );
  if (!info.isDirectory()) throw refuse("is not a folder");
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw refuse(`belongs to another user (uid ${info.uid})`);
  }
  if ((info.mode & 0o022) !== 0) {
    throw refuse(
      `is writable by others (mode ${(info.mode & 0o777).toString(8).padStart(4, "0")})`,
    );
  }
}
