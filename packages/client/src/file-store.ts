import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { assertInstanceId, isInstanceId } from "@launcher/contract";
import { isStoredLaunch, type StoredLaunch, type TicketStore } from "./ticket-store.ts";

const FORMAT = 1;
const SUFFIX = ".json";

function parse(raw: string, id: string): StoredLaunch | undefined {
  try {
    const entry = JSON.parse(raw) as { v?: unknown; launch?: unknown };
    const launch = entry.launch;
    return entry.v === FORMAT && isStoredLaunch(launch) && launch.id === id ? launch : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keeps tickets in files: `<dir>/<id>.json`, one per launch, mode 0600, in a directory
 * created with mode 0700. Writes are atomic (a temporary file renamed over the old one),
 * so a crash never leaves half a ticket. Unreadable or foreign files are skipped.
 *
 * @example
 * import { fileStore } from "@launcher/client/node";
 * const store = fileStore(join(homedir(), ".local/state/my-app"));
 * for (const launch of await store.list()) console.log(launch.id, launch.snapshot?.phase);
 */
export function fileStore(dir: string): TicketStore {
  let ready: Promise<void> | undefined;
  const ensureDir = () => {
    ready ??= (async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      // mkdir's mode is masked by the umask, and an existing directory keeps its own.
      await chmod(dir, 0o700);
    })();
    return ready;
  };
  const path = (id: string) => join(dir, `${id}${SUFFIX}`);

  async function read(id: string): Promise<StoredLaunch | undefined> {
    try {
      return parse(await readFile(path(id), "utf8"), id);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  return {
    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
      }
      const launches: StoredLaunch[] = [];
      for (const name of names) {
        const id = name.slice(0, -SUFFIX.length);
        if (!name.endsWith(SUFFIX) || !isInstanceId(id)) continue;
        const launch = await read(id);
        if (launch) launches.push(launch);
      }
      return launches.sort((a, b) => a.storedAt - b.storedAt);
    },
    async get(id) {
      if (!isInstanceId(id)) return undefined;
      return read(id);
    },
    async put(launch) {
      assertInstanceId(launch.id); // the id names a file: never one elsewhere
      await ensureDir();
      const temp = join(dir, `.${launch.id}.${randomBytes(6).toString("hex")}.tmp`);
      const file = await open(temp, "wx", 0o600);
      try {
        await file.writeFile(`${JSON.stringify({ v: FORMAT, launch }, null, 2)}\n`);
        await file.sync();
      } finally {
        await file.close();
      }
      try {
        await rename(temp, path(launch.id));
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },
    async remove(id) {
      assertInstanceId(id);
      await rm(path(id), { force: true });
    },
  };
}
