import { pause } from "../retry.ts";
import type { LocalPlatform } from "./platform.ts";
import { instanceProcesses, isSameProcessAlive, processStartTime } from "./proc.ts";
import { addMarker, readRecord } from "./record-files.ts";
import { runsIsolated, uidsOf } from "./uids.ts";

let ownStartTime: Promise<number> | undefined;

async function ownClaim(dir: string, generation: number): Promise<boolean> {
  ownStartTime ??= processStartTime(process.pid).then((start) => start ?? 0);
  const claim = { pid: process.pid, startTime: await ownStartTime, generation, at: Date.now() };
  return addMarker(dir, `claim.${generation}`, claim);
}

/**
 * After a claim is won: a `destroy` may have written its tombstone meanwhile, having seen no
 * claim yet. One of the two always sees the other's marker (each writes, then reads), so
 * either that destroy waits for this start and stops it, or this start does not happen.
 */
async function stillWanted(dir: string): Promise<boolean> {
  return !(await readRecord(dir)).destroyed;
}

/**
 * Whether some process of the instance runs: a monitor the dead claimer spawned that has not
 * recorded itself yet. Isolated, another instance's app may put this instance's id in its own
 * environment to stop the takeover for ever: the marker is then believed only on a root
 * process, and a process running as a uid reserved for the instance counts too (proc.ts).
 */
async function anyProcessOf(platform: LocalPlatform, id: string): Promise<boolean> {
  const table = await platform.processes();
  const uids = await uidsOf(platform.uidsDir, id);
  return instanceProcesses(table, id, { uids, isolated: runsIsolated(platform, uids) }).length > 0;
}

/**
 * Decides whether this process must start the instance. The first to create `claim.1` does;
 * a claim whose owner died before its monitor ran is taken over by creating the next
 * generation, which again only one process can do. Returns false when the instance is started
 * (or ended) by someone else: its monitor, or a final marker, is then on the record.
 */
export async function claimStart(
  platform: LocalPlatform,
  id: string,
  signal: AbortSignal,
): Promise<boolean> {
  const dir = platform.dirOf(id);
  const { claimGraceMs } = platform.settings;
  for (;;) {
    if (signal.aborted) return false;
    const state = await readRecord(dir);
    if (state.destroyed || state.failed || state.exit || state.monitor || state.app) return false;
    if (!state.claim) {
      if (await ownClaim(dir, 1)) return stillWanted(dir);
      continue;
    }
    const { pid, startTime, at, generation } = state.claim;
    if (await isSameProcessAlive(pid, startTime)) {
      // Another start (in this process or another) is under way: wait for its monitor to
      // appear, and take over if that process dies first.
      await pause(20, signal);
      continue;
    }
    // The claimer died. Its monitor may have been spawned and not yet have written its
    // marker: give it a moment, then look for any process of the instance.
    const age = Date.now() - at;
    if (age < claimGraceMs) {
      await pause(claimGraceMs - age, signal);
      continue;
    }
    if (await anyProcessOf(platform, id)) return false;
    if (await ownClaim(dir, generation + 1)) return stillWanted(dir);
  }
}
