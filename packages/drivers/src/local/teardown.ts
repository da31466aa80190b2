import { rm } from "node:fs/promises";
import { DriverError, isInstanceId } from "../driver.ts";
import { pause, retryDelay } from "../retry.ts";
import { clearKeyringsOf } from "./keyrings.ts";
import { killEveryProcessOf } from "./kill-uid.ts";
import type { LocalPlatform } from "./platform.ts";
import { release } from "./ports.ts";
import { instanceProcesses, isSameProcessAlive, signalProcess } from "./proc.ts";
import { addMarker, readRecord } from "./record-files.ts";
import { removeTree } from "./remove-tree.ts";
import { removeFilesOfUid } from "./shared-temp.ts";
import { removeIpcOfUid } from "./sysv-ipc.ts";
import { orphanedUids, releaseUid, runsIsolated, stillHeld, uidsOf } from "./uids.ts";

/** How long processes that got SIGKILL may take to vanish before the teardown gives up. */
const KILL_WAIT_MS = 5000;

/** How a teardown finds and waits for an instance's processes. */
export interface StopOptions {
  /** Its monitor and app as recorded (pid and start time). */
  recorded?: readonly { pid: number; startTime: number }[];
  /**
   * The uids still reserved for it, read again each round: a teardown in another replica may
   * have finished and let a uid go to a new instance.
   */
  heldUids?: () => Promise<number[]>;
  /** Whether it ran as its own uid: then its environment marker is not believed (proc.ts). */
  isolated?: boolean;
  /** Waits between two scans of the process table (tests watch the delays through it). */
  pause?: (ms: number) => Promise<void>;
}

/**
 * Between two scans of the whole process table: 10 ms at first, so that processes that die at
 * once are seen gone at once, doubling to 200 ms, so that a teardown waiting out a long grace
 * does not keep a core busy reading /proc.
 */
const SCAN_BACKOFF = { retries: Number.POSITIVE_INFINITY, baseDelayMs: 10, maxDelayMs: 200 };

/**
 * Stops every process of the instance: those whose environment names it (children that left
 * its session, a Jupyter kernel; isolated, only the monitor's own), those recorded for it,
 * those running as a uid it still holds, and every process in their groups and sessions.
 * TERM first; KILL for what is left after the grace. Resolves when none runs; rejects when
 * some survive even KILL.
 */
export async function stopProcesses(
  platform: LocalPlatform,
  id: string,
  options: StopOptions = {},
): Promise<void> {
  const { recorded = [], heldUids = async () => [], isolated = false } = options;
  const wait = options.pause ?? pause;
  // The table first, then the uids: a uid let go after this read was ours when it was read.
  const find = async () => {
    const table = await platform.processes();
    return instanceProcesses(table, id, { recorded, uids: await heldUids(), isolated });
  };
  await stopFound(find, platform.settings.stopGraceMs, wait);
  // Isolated: a process that keeps handing over to a child at a new pid and ending is gone from
  // its pid before a look through /proc finds it there (it would outlive the teardown, and run
  // as the uid once another instance has it): KILL all the uid runs at once, then wait.
  const uids = await heldUids();
  if (!uids.length) return;
  for (const uid of uids) await killEveryProcessOf(uid);
  await stopFound(find, 0, wait);
}

/**
 * TERM for each process `find` finds, KILL for what is left after `graceMs`; resolves when
 * `find` finds none, rejects when some survive even KILL.
 */
async function stopFound(
  find: () => Promise<{ pid: number; startTime: number }[]>,
  graceMs: number,
  wait: (ms: number) => Promise<void>,
): Promise<void> {
  const key = (p: { pid: number; startTime: number }) => `${p.pid}:${p.startTime}`;
  const termed = new Set<string>();
  const graceEnd = Date.now() + graceMs;
  for (let round = 0; ; round++) {
    const found = await find();
    if (!found.length) return;
    if (Date.now() >= graceEnd) break;
    for (const target of found) {
      if (termed.has(key(target))) continue;
      termed.add(key(target));
      await signalProcess(target, "SIGTERM");
    }
    await wait(Math.min(retryDelay(round, SCAN_BACKOFF), Math.max(0, graceEnd - Date.now())));
  }
  // Killed processes vanish within moments: from 10 ms again.
  const killEnd = Date.now() + KILL_WAIT_MS;
  for (let round = 0; ; round++) {
    const found = await find();
    if (!found.length) return;
    if (Date.now() >= killEnd) {
      throw new DriverError("platform", `${found.length} processes of the instance did not stop`);
    }
    for (const target of found) await signalProcess(target, "SIGKILL");
    await wait(retryDelay(round, SCAN_BACKOFF));
  }
}

/**
 * Removes what a uid leaves behind that outlives its processes, so that it does not pass to
 * the uid's next instance: its files in the shared temp folders (/tmp, /run/lock, …), its
 * System V IPC objects and its keyrings. Once nothing runs as it, before it is released.
 */
async function scrubUid(uid: number): Promise<void> {
  await removeFilesOfUid(uid);
  await removeIpcOfUid(uid);
  await clearKeyringsOf(uid);
}

/**
 * Finishes the teardown of a tombstoned instance: stops all of it, removes its own files (and,
 * isolated, its uid's in the shared temp folders) and its port (and uid) reservations, then records `gone.json` — after which observers say `destroyed`.
 * Idempotent, and safe to run in several processes at once.
 */
export async function teardown(platform: LocalPlatform, id: string): Promise<void> {
  const dir = platform.dirOf(id);
  let state = await readRecord(dir);
  if (state.gone) return;
  // A start may be under way: let its monitor appear (it then stops with the rest), unless
  // its claimer died; a monitor that starts later sees the tombstone and starts nothing.
  const deadline = Date.now() + platform.settings.claimGraceMs;
  while (
    state.claim &&
    !state.monitor &&
    !state.exit &&
    !state.failed &&
    Date.now() < deadline &&
    (await isSameProcessAlive(state.claim.pid, state.claim.startTime))
  ) {
    await pause(20);
    state = await readRecord(dir);
  }
  const recorded = [state.monitor, state.app].flatMap((mark) =>
    mark && mark.startTime !== undefined ? [{ pid: mark.pid, startTime: mark.startTime }] : [],
  );
  // Isolated: every uid reserved for it (one; more if an older launcher took its start over),
  // looked up even when the driver no longer isolates. Its files are removed only once nothing
  // runs as them, and the uids released only after that.
  const uids = await uidsOf(platform.uidsDir, id);
  await stopProcesses(platform, id, {
    recorded,
    heldUids: () => stillHeld(platform.uidsDir, id, uids),
    isolated: runsIsolated(platform, uids),
  });
  // Isolated, by GNU rm: another instance's app may write in it and swap a folder for a
  // symlink. Not isolated, every instance is the launcher's user: no such worry.
  const workDir = platform.workDirOf(id);
  if (uids.length) await removeTree(workDir);
  else await rm(workDir, { recursive: true, force: true });
  if (state.launch) await release(platform.portsDir, state.launch.port, id);
  for (const uid of await stillHeld(platform.uidsDir, id, uids)) await scrubUid(uid);
  for (const uid of uids) await releaseUid(platform.uidsDir, uid, id);
  await addMarker(dir, "gone.json", { at: Date.now() });
}

/**
 * The sweep's part for isolated instances: a uid still reserved for an instance that is gone
 * (its teardown cut short between stopping it and letting the uid go, or a start that a
 * killed launcher left half-done) is finished here — whatever still runs as it is stopped,
 * the instance's files (and the uid's in the shared temp folders) removed, and the uid released. Until then no launch is given it.
 */
export async function reclaimOrphanedUids(platform: LocalPlatform): Promise<void> {
  for (const { uid, holder } of await orphanedUids(platform.uidsDir, platform.instancesDir)) {
    const held = () => stillHeld(platform.uidsDir, holder, [uid]);
    // A holder that is no instance id names nothing else to stop, and no folder.
    const id = isInstanceId(holder) ? holder : "";
    await stopProcesses(platform, id, { heldUids: held, isolated: true });
    if (id) await removeTree(platform.workDirOf(id));
    if ((await held()).length) await scrubUid(uid);
    await releaseUid(platform.uidsDir, uid, holder);
  }
}
