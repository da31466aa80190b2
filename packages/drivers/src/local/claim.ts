import { pause } from "../retry.ts";
import type { LocalPlatform } from "./platform.ts";
import { isSameProcessAlive, processStartTime } from "./proc.ts";
import { addMarker, readRecord } from "./record-files.ts";

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
    const table = await platform.processes();
    if (table.some((entry) => entry.instance === id)) return false;
    if (await ownClaim(dir, generation + 1)) return stillWanted(dir);
  }
}
