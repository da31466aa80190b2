import type { StoredLaunch, TicketStore } from "@launcher/client";
import { createSignal } from "solid-js";
import type { LauncherApi } from "./launcher-api.ts";

/**
 * The launches of this tab, newest first. `start` stores the ticket before the card that
 * follows it appears, so a refresh at any instant finds it.
 * @example
 * const launches = createLaunches({ api, store, initial: await store.list() });
 * await launches.start("scratchpad");
 */
export function createLaunches(options: {
  api: LauncherApi;
  store: TicketStore;
  initial: StoredLaunch[];
}) {
  const { api, store } = options;
  const [list, setList] = createSignal<StoredLaunch[]>([...options.initial].reverse());

  return {
    list,
    async start(template: string, driver?: string): Promise<StoredLaunch> {
      const { id, ticket } = await api.prepare(driver ? { template, driver } : { template });
      const launch: StoredLaunch = { id, ticket, template, storedAt: Date.now() };
      if (driver) launch.driver = driver;
      await store.put(launch);
      setList((l) => [launch, ...l]);
      return launch;
    },
    /** Takes the card away; its ticket is dropped by the launch itself. */
    remove(id: string) {
      setList((l) => l.filter((launch) => launch.id !== id));
    },
  };
}
