import { isStoredLaunch, type StoredLaunch, type TicketStore } from "./ticket-store.ts";

const PREFIX = "launcher:";
const FORMAT = 1;

function parse(raw: string | null): StoredLaunch | undefined {
  if (!raw) return undefined;
  try {
    const entry = JSON.parse(raw) as { v?: unknown; launch?: unknown };
    return entry.v === FORMAT && isStoredLaunch(entry.launch) ? entry.launch : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keeps tickets in the browser's `sessionStorage` (one tab, gone when it closes),
 * under keys `launcher:<id>`, versioned. Corrupt or foreign entries are skipped.
 * @example
 * const store = sessionStorageStore();
 * for (const launch of await store.list()) resume(launch);
 */
export function sessionStorageStore(storage: Storage = globalThis.sessionStorage): TicketStore {
  const key = (id: string) => `${PREFIX}${id}`;
  return {
    async list() {
      const launches: StoredLaunch[] = [];
      for (let i = 0; i < storage.length; i++) {
        const name = storage.key(i);
        if (!name?.startsWith(PREFIX)) continue;
        const launch = parse(storage.getItem(name));
        if (launch && key(launch.id) === name) launches.push(launch);
      }
      return launches.sort((a, b) => a.storedAt - b.storedAt);
    },
    async get(id) {
      return parse(storage.getItem(key(id)));
    },
    async put(launch) {
      storage.setItem(key(launch.id), JSON.stringify({ v: FORMAT, launch }));
    },
    async remove(id) {
      storage.removeItem(key(id));
    },
  };
}
