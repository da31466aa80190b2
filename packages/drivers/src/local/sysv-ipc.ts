import { readFile } from "node:fs/promises";
import { runQuietly } from "./kill-uid.ts";

/** util-linux's ipcrm (the package that has setpriv, which isolation needs). */
const IPCRM = "/usr/bin/ipcrm";

/** Each kind of System V IPC object: its table in /proc, its id column, ipcrm's flag. */
const KINDS = [
  { table: "/proc/sysvipc/shm", id: "shmid", flag: "-m" },
  { table: "/proc/sysvipc/sem", id: "semid", flag: "-s" },
  { table: "/proc/sysvipc/msg", id: "msqid", flag: "-q" },
] as const;

/** The ids in a /proc/sysvipc table whose owner (`uid`) or creator (`cuid`) is `uid`. */
export function idsOfUid(text: string, idColumn: string, uid: number): number[] {
  const [header = "", ...rows] = text.split("\n");
  const columns = header.trim().split(/\s+/);
  const at = (name: string) => columns.indexOf(name);
  const [id, owner, creator] = [at(idColumn), at("uid"), at("cuid")];
  if (id < 0 || owner < 0 || creator < 0) return [];
  return rows
    .map((row) => row.trim().split(/\s+/).map(Number))
    .filter((fields) => fields[owner] === uid || fields[creator] === uid)
    .map((fields) => fields[id]!)
    .filter((value) => Number.isInteger(value));
}

/**
 * Removes the System V shared memory segments, semaphore sets and message queues that `uid`
 * owns or created. Unlike a process they outlive their creator, and the next instance given
 * the uid could attach them by their key and read what the last one left (its creator may
 * have handed one to another uid: its creator counts too). A segment still attached elsewhere
 * goes once detached, and can no longer be found by its key. Called once nothing runs as the
 * uid; objects gone meanwhile are skipped.
 */
export async function removeIpcOfUid(uid: number): Promise<void> {
  for (const kind of KINDS) {
    const text = await readFile(kind.table, "utf8").catch(() => "");
    for (const id of idsOfUid(text, kind.id, uid)) {
      await runQuietly(IPCRM, [kind.flag, String(id)], { env: {} });
    }
  }
}
