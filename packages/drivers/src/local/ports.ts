import { link, mkdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { isInstanceId } from "../driver.ts";

/** Ports handed out by this process lately: its own launches never share one. */
const handedOut = new Map<number, number>();
const HOLD_MS = 15 * 60_000;

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The kernel's ephemeral range (outgoing connections and `listen(0)` draw from it). */
async function ephemeralRange(): Promise<[number, number]> {
  const text = await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8").catch(() => "");
  const [low, high] = text.trim().split(/\s+/).map(Number);
  return low && high ? [low, high] : [32768, 60999];
}

/**
 * A port for an instance's app, which binds it only later (after its start delay, or once
 * its runtime has loaded). Drawn at random *outside* the ephemeral range: a port from
 * `listen(0)` is free only for the moment, and any outgoing connection (a health probe, a
 * client) or another launch's `listen(0)` may take it before the app binds (seen in the chaos
 * test as EADDRINUSE). Checked free now, and never handed out twice by this process.
 */
export async function pickInstancePort(
  options: { host?: string; reservations?: string; id?: string } = {},
): Promise<number> {
  const { host = "127.0.0.1", reservations, id = "" } = options;
  const [low, high] = await ephemeralRange();
  // The larger of the ranges below and above the ephemeral one, within 10000..65535.
  const below: [number, number] = [10_000, low - 1];
  const above: [number, number] = [high + 1, 65_535];
  const [from, to] = below[1] - below[0] >= above[1] - above[0] ? below : above;
  const now = Date.now();
  for (const [port, at] of handedOut) if (now - at > HOLD_MS) handedOut.delete(port);
  for (let attempt = 0; attempt < 200 && to > from; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (handedOut.has(port)) continue;
    handedOut.set(port, now); // before the check: concurrent picks must not take it too
    if (
      (!reservations || (await reserve(reservations, port, id))) &&
      (await canListen(port, host))
    ) {
      return port;
    }
    if (reservations) await release(reservations, port, id);
    handedOut.delete(port);
  }
  // A crowded machine: fall back to whatever the kernel offers now.
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/**
 * Reserves `port` for instance `id` across every launcher process sharing the state dir
 * (replicas, a restarted server): a file `<dir>/<port>` created exclusively. Two launches
 * must never be handed one port, or the one whose app loses the bind would pass its health
 * check against the other's app. A reservation whose holder `isStale` says is done with it
 * (by default: its instance has no record, or was destroyed or failed) is taken over. Uids
 * are reserved the same way (uids.ts), with a stricter test.
 */
export function reserve(
  dir: string,
  port: number,
  id: string,
  isStale: (holder: string) => Promise<boolean> = (holder) => instanceGone(dir, holder),
): Promise<boolean> {
  const path = join(dir, String(port));
  return oneAtATime(path, () => reserveFile(path, id, isStale));
}

/** Runs `run` after every earlier call for `key` in this process has settled. */
function oneAtATime<T>(key: string, run: () => Promise<T>): Promise<T> {
  const result = (inProcess.get(key) ?? Promise.resolve()).then(run);
  const settled = result.then(
    () => {},
    () => {},
  );
  inProcess.set(key, settled);
  void settled.then(() => inProcess.get(key) === settled && inProcess.delete(key));
  return result;
}
/** Reservations and releases under way in this process, by file: they run one at a time. */
const inProcess = new Map<string, Promise<void>>();

async function reserveFile(
  path: string,
  id: string,
  isStale: (holder: string) => Promise<boolean>,
): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    // Written whole, then linked into place (which fails if it exists): a launcher killed at
    // any instant leaves no empty reservation that nobody could ever reclaim.
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, id, { mode: 0o600 });
    try {
      await link(tmp, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = (await readFile(path, "utf8").catch(() => "")).trim();
      if (!owner || owner === id || !(await isStale(owner))) return owner === id;
      // Taken over only if it still is that stale holder's (another reserver may have won).
      await removeIfHeldBy(path, owner);
    } finally {
      await unlink(tmp).catch(() => {});
    }
  }
  return false;
}

async function instanceGone(reservations: string, id: string): Promise<boolean> {
  if (!isInstanceId(id)) return true;
  const record = join(reservations, "..", "instances", id);
  const exists = (name: string) =>
    stat(join(record, name)).then(
      () => true,
      () => false,
    );
  if (!(await exists(""))) return true;
  return (
    (await exists("destroyed.json")) || (await exists("failed.json")) || (await exists("exit.json"))
  );
}

/** Who holds the reservation `<dir>/<key>` ("" when none). */
export async function holderOf(dir: string, key: number): Promise<string> {
  return (await readFile(join(dir, String(key)), "utf8").catch(() => "")).trim();
}

/**
 * Removes the reservation file `path` if `holder` holds it. Not read-then-remove: between the
 * two, another process may remove it and a new holder reserve the key, whose reservation would
 * go. The file is first renamed to a name of this call's own (atomic: only one process gets
 * it), then read; another's is linked back into place. Left: the instant between the rename
 * and the link back, in which another process may find the key free and reserve it — then the
 * other's reservation is lost (it cannot be put back without removing the newer one). Within
 * one process, reservations and releases of a key run one at a time, so only reservers in
 * other processes (replicas sharing the state dir) racing a takeover or a stale release can
 * meet that instant.
 */
async function removeIfHeldBy(path: string, holder: string): Promise<boolean> {
  const taken = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.release`;
  try {
    await rename(path, taken);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  try {
    if ((await readFile(taken, "utf8").catch(() => "")).trim() === holder) return true;
    await link(taken, path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
    return false;
  } finally {
    await unlink(taken).catch(() => {});
  }
}

/** Drops `id`'s reservation of `port` (destroy, or a port that turned out busy). */
export async function release(dir: string, port: number, id: string): Promise<void> {
  const path = join(dir, String(port));
  await oneAtATime(path, () => removeIfHeldBy(path, id));
}
