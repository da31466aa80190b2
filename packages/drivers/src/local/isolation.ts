import { constants } from "node:fs";
import { access, chmod, chown, mkdir, readFile, realpath, rm, stat } from "node:fs/promises";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import type { LocalSpec } from "../template.ts";
import { unreachableReason } from "./reach.ts";
import type { UidRange } from "./uids.ts";

/**
 * Isolation of local instances from each other and from the launcher, for many users: when
 * the driver has a uid range (and runs as root), each instance's app runs as its own uid from
 * the range (gid the same number, no supplementary groups), reserved through the state dir
 * (uids.ts), with a work dir it alone owns (0700) as its HOME and temp dir. It then cannot
 * read the state dir (0700, root's: records, logs, the dev keyring), another instance's work
 * dir or environment (/proc/PID/environ is closed across uids), nor signal or trace another
 * instance or the launcher.
 *
 * The monitor stays root: it writes the instance's record and log in the state dir, which
 * the app must not reach, and must be able to stop the app. It holds the instance's own
 * secrets only (the launcher's keyring is never in its environment), and hands the app just
 * that environment. Not isolated: the network (instances reach each other's ports and the
 * launcher's on loopback), resources (no cgroup limits), and what every user may see on the
 * machine (world-readable files, other processes' command lines, which hold no secret).
 */

/** A uid range as given, checked: whole numbers, `first` ≤ `last`, never root (0) nor -1. */
export function checkUidRange(range: UidRange): UidRange {
  const { first, last } = range;
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || last < first) {
    throw new TypeError(`Bad uid range ${first}-${last}: need 1 <= first <= last`);
  }
  if (last > 4_294_967_294) throw new TypeError(`Bad uid range ${first}-${last}: past 4294967294`);
  return range;
}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, "0");

/**
 * Why the range is not wholly usable in this user namespace (a container may map only some
 * ids: `setuid` to an unmapped one fails), or `undefined`. Each of /proc/self/uid_map and
 * gid_map lists extents `inside outside count`; the range must sit within one of each.
 */
export async function unmappedReason(
  range: UidRange,
  read = (path: string) => readFile(path, "utf8"),
): Promise<string | undefined> {
  for (const kind of ["uid", "gid"] as const) {
    const path = `/proc/self/${kind}_map`;
    const text = await read(path).catch(() => undefined);
    if (text === undefined) continue; // No user namespaces here: every id is usable.
    const inside = text
      .trim()
      .split("\n")
      .map((line) => line.trim().split(/\s+/).map(Number))
      .some(([start = 0, , count = 0]) => range.first >= start && range.last < start + count);
    if (!inside) return `${range.first}-${range.last} are not all mapped in ${path}`;
  }
  return undefined;
}

/**
 * A user or group of this machine whose id falls in the range, described, or `undefined`. An
 * instance would act as that user, or (its gid being its uid) get that group's access to files.
 */
export async function accountInRange(
  range: UidRange,
  files = { passwd: "/etc/passwd", group: "/etc/group" },
): Promise<string | undefined> {
  for (const [kind, path] of [
    ["user", files.passwd],
    ["group", files.group],
  ] as const) {
    const text = await readFile(path, "utf8").catch(() => "");
    for (const line of text.split("\n")) {
      const [name, , id] = line.split(":");
      const number = Number(id);
      if (name && id && number >= range.first && number <= range.last) {
        return `${kind} ${name} (${number}) of ${path}`;
      }
    }
  }
  return undefined;
}

/**
 * The program (util-linux) through which the monitor starts an isolated app: it sets the uid,
 * gid, no supplementary groups and no_new_privs, then runs the app in its place.
 */
export const SETPRIV = "/usr/bin/setpriv";

/** Why `setpriv` cannot be used here (it is needed to isolate instances), or `undefined`. */
export async function setprivMissing(path = SETPRIV): Promise<string | undefined> {
  const runnable = await access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
  if (runnable) return undefined;
  return `Running local instances as their own uids needs ${path} (util-linux's setpriv, to start them with no_new_privs); install util-linux`;
}

/**
 * Why `uid` could not pass through the folders above the work root to its own folder in it,
 * or `undefined`. Apps are handed paths under the work root as given (their HOME, their
 * TMPDIR), so every folder on that path counts — a symlink under a closed folder (/root) to an
 * open one is no way through — and so does every folder on the real path it leads to.
 */
async function workRootUnreachable(workRoot: string, uid: number): Promise<string | undefined> {
  const given = resolve(workRoot);
  const real = await realpath(given).catch(() => given);
  const above = new Set<string>([dirname(real)]);
  for (let at = dirname(given); ; at = dirname(at)) {
    above.add(at);
    if (at === dirname(at)) break;
  }
  for (const folder of above) {
    const blocked = await unreachableReason(folder, uid, uid, "enter");
    if (blocked) return blocked;
  }
  return undefined;
}

/**
 * Why instances cannot be isolated here, or `undefined` when they can: the launcher must be
 * root with setpriv at hand, no user or group of the machine may have an id in the range, the
 * work root reachable by the range's uids, and the state dir out of their reach. Read-only
 * (stat and access): the work root's own mode is not looked at, as each isolated start makes
 * it 0711 (`prepareIsolatedWorkDir`); only the folders above it must let the uids through. A
 * state dir not made yet is out of their reach: the driver (and the server) make it 0700.
 */
export async function isolationProblem(
  range: UidRange,
  stateDir: string,
  workRoot: string,
): Promise<string | undefined> {
  const self = process.getuid?.();
  if (self !== 0) {
    return `Running local instances as their own uids needs the launcher to run as root (it runs as uid ${self})`;
  }
  const noSetpriv = await setprivMissing();
  if (noSetpriv) return noSetpriv;
  const unmapped = await unmappedReason(range);
  if (unmapped) return `The uid range cannot be used in this container: ${unmapped}`;
  const taken = await accountInRange(range);
  if (taken) {
    return `The uid range ${range.first}-${range.last} holds the ${taken}: give instances uids no user or group has`;
  }
  const blocked = await workRootUnreachable(workRoot, range.first);
  if (blocked) {
    return `The local instances' folder ${workRoot} is out of reach of their uids: ${blocked}; choose a work dir under open folders`;
  }
  if (!(await unreachableReason(stateDir, range.first, range.first, "enter"))) {
    const mode = octal((await stat(stateDir)).mode);
    return `The state dir ${stateDir} (mode ${mode}) is open to the instances' uids; make it 0700`;
  }
  return undefined;
}

/** `binary` on PATH as the range's uids would find it, or why not. */
async function onPathFor(binary: string, uid: number): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(isAbsolute);
  for (const dir of dirs) {
    const path = join(dir, binary);
    const exists = await access(path, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (exists && !(await unreachableReason(path, uid, uid, "run"))) return undefined;
  }
  return `\`${binary}\` is not on PATH where the instances' uids can run it`;
}

/**
 * Why an isolated instance of this local spec could not start, or `undefined`: its command
 * (and a script it names by absolute path) must be runnable by an unprivileged uid — a
 * checkout under `/root`, which is 0700, is not.
 */
export async function templateUnreachable(
  local: LocalSpec,
  command: readonly string[],
  range: UidRange,
): Promise<string | undefined> {
  const uid = range.first;
  if (local.requires) {
    const missing = await onPathFor(local.requires, uid);
    if (missing) return missing;
  }
  const [program, script] = command;
  if (program && isAbsolute(program)) {
    const why = await unreachableReason(program, uid, uid, "run");
    if (why) return why;
  }
  if (script && isAbsolute(script)) return unreachableReason(script, uid, uid, "read");
  return undefined;
}

/** The folders an instance's app writes: its work dir (HOME), its temp dir and the template's. */
const TEMP = ".tmp";

/**
 * Makes the instance's work dir afresh, owned by `uid` (0700), with `dirs` (and its temp dir)
 * in it. Afresh: a start taken over from a launcher that died never got to start the app (its
 * monitor starts the app only after recording itself, which stops a takeover), so no process
 * of the instance can be writing in a leftover folder while it is removed.
 */
export async function prepareIsolatedWorkDir(
  workDir: string,
  dirs: readonly string[],
  uid: number,
): Promise<void> {
  // The one write isolation needs outside the instance's own folder: the work root is made
  // 0700 (this user's alone, see work-root.ts), and the instances' uids must pass through it
  // to their own folders — but not list it, nor write in it. Here, not in the availability
  // check, which only looks; each start, in case someone closed it again.
  await chmod(dirname(workDir), 0o711);
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { mode: 0o700 });
  for (const sub of [...dirs, TEMP]) {
    await mkdir(join(workDir, sub), { recursive: true, mode: 0o700 });
    await chown(join(workDir, sub), uid, uid);
  }
  await chown(workDir, uid, uid);
  await chmod(workDir, 0o700);
}

/** What an isolated app's environment says about its user (before the template's own env). */
export function isolatedEnv(workDir: string, uid: number): Record<string, string> {
  const name = `launcher-${uid}`;
  return { HOME: workDir, TMPDIR: join(workDir, TEMP), USER: name, LOGNAME: name };
}
