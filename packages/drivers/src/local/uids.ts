import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { DriverError, isInstanceId } from "../driver.ts";
import { holderOf, release, reserve } from "./ports.ts";
import type { ProcessEntry } from "./proc.ts";

/** The uids the local driver may run instances as, `first` to `last` inclusive (never 0). */
export interface UidRange {
  first: number;
  last: number;
}

/** A uid reservation: `<stateDir>/uids/<uid>` holds the instance id. */
export interface UidReservation {
  uid: number;
  holder: string;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * Whether instance `holder`'s record is gone or finished with its teardown: no folder, or
 * `gone.json` in it. A failed instance keeps its uid (its files are still its uid's) until it
 * is destroyed; a destroy finishes with the uid released.
 */
async function recordGone(instancesDir: string, holder: string): Promise<boolean> {
  if (!isInstanceId(holder)) return true;
  const dir = join(instancesDir, holder);
  return !(await exists(dir)) || (await exists(join(dir, "gone.json")));
}

/**
 * Reserves a uid of `range` for instance `id` through the state dir (shared by every launcher
 * process, like ports), never one that some process runs as now: two instances must never
 * share a uid, nor an instance inherit a stray process (or files) of an earlier one. Unlike a
 * port, a reservation is never taken over here: only the teardown of its instance, or the
 * sweep once that instance is gone, releases it, after killing whatever still runs as it and
 * removing its files. Tries random uids, then every one from a random start; throws when all
 * are taken. A start taken over from a launcher that died after reserving gets the uid that
 * one reserved (in the range): an instance holds one uid however often its start is taken
 * over. Nothing runs as it: the takeover found no process of the instance, and none could
 * have started (the monitor starts the app only after recording itself, which stops a
 * takeover).
 */
export async function reserveUid(options: {
  dir: string;
  range: UidRange;
  id: string;
  table: readonly ProcessEntry[];
}): Promise<number> {
  const { dir, range, id, table } = options;
  const running = new Set(table.flatMap((entry) => entry.uids ?? [entry.uid]));
  const size = range.last - range.first + 1;
  const never = async () => false;
  const tryUid = async (uid: number) => !running.has(uid) && (await reserve(dir, uid, id, never));
  // Reserved again, not merely read: a teardown may have let it go meanwhile.
  const inRange = (uid: number) => uid >= range.first && uid <= range.last;
  for (const uid of (await uidsOf(dir, id)).filter(inRange)) if (await tryUid(uid)) return uid;
  const start = Math.floor(Math.random() * size);
  for (let step = 0; step < size; step++) {
    // The first few at random (concurrent launches rarely collide), then in order.
    const offset = step < 16 ? Math.floor(Math.random() * size) : (start + step) % size;
    const uid = range.first + offset;
    if (await tryUid(uid)) return uid;
  }
  throw new DriverError(
    "platform",
    `Every uid of ${range.first}-${range.last} is taken: no more local instances can start until some are destroyed`,
  );
}

/** Every uid reservation under `dir`. */
export async function uidReservations(dir: string): Promise<UidReservation[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
  const held = await Promise.all(
    names.map(async (name) => ({ uid: Number(name), holder: await holderOf(dir, Number(name)) })),
  );
  return held.filter((r) => r.holder !== "");
}

/**
 * Whether an instance holding `uids` runs as its own uid: the driver isolates, or it did when
 * it reserved them (its environment marker is then not believed: see proc.ts).
 */
export function runsIsolated(
  platform: { settings: { uids?: UidRange | undefined } },
  uids: readonly number[],
): boolean {
  return platform.settings.uids !== undefined || uids.length > 0;
}

/** The uids reserved for instance `id`: one (more if an older launcher took its start over). */
export async function uidsOf(dir: string, id: string): Promise<number[]> {
  return (await uidReservations(dir)).filter((r) => r.holder === id).map((r) => r.uid);
}

/** The uids still reserved for `id` among `uids` (a concurrent teardown may have let go). */
export async function stillHeld(dir: string, id: string, uids: readonly number[]) {
  const holders = await Promise.all(uids.map((uid) => holderOf(dir, uid)));
  return uids.filter((_, index) => holders[index] === id);
}

/** Drops `id`'s reservation of `uid`: only once nothing runs as it and its files are gone. */
export function releaseUid(dir: string, uid: number, id: string): Promise<void> {
  return release(dir, uid, id);
}

/** The reservations whose instance is gone (no record, or torn down): the sweep's to finish. */
export async function orphanedUids(dir: string, instancesDir: string): Promise<UidReservation[]> {
  const all = await uidReservations(dir);
  const gone = await Promise.all(all.map((r) => recordGone(instancesDir, r.holder)));
  return all.filter((_, index) => gone[index]);
}
