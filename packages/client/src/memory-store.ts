import type { StoredLaunch, TicketStore } from "./ticket-store.ts";

/**
 * Keeps tickets in this process's memory only.
 * @example
 * const store = memoryStore();
 * await store.put({ id, ticket, template: "scratchpad", storedAt: Date.now() });
 */
export function memoryStore(): TicketStore {
  const launches = new Map<string, StoredLaunch>();
  return {
    list: async () => [...launches.values()].map((l) => structuredClone(l)),
    get: async (id) => {
      const launch = launches.get(id);
      return launch && structuredClone(launch);
    },
    put: async (launch) => void launches.set(launch.id, structuredClone(launch)),
    remove: async (id) => void launches.delete(id),
  };
}
