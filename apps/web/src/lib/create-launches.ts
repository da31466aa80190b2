import { prepareLaunch, type StoredLaunch, type TicketStore } from "@launcher/client";
import { createSignal } from "solid-js";
import type { WebClient } from "./types.ts";

/**
 * The launches of this tab, newest first. `start` stores the ticket before the card that
 * follows it appears, so a refresh at any instant finds it.
 * @example
 * const launches = createLaunches({ client, store, initial: await store.list() });
 * await launches.start("scratchpad");
 */
export function createLaunches(options: {
  client: WebClient;
  store: TicketStore;
  initial: StoredLaunch[];
}) {
  const { client, store } = options;
  const [list, setList] = createSignal<StoredLaunch[]>([...options.initial].reverse());
  return {
    list,
    async start(template: string, driver?: string): Promise<StoredLaunch> {
      const launch = await prepareLaunch(client, {
        template,
        store,
        ...(driver ? { driver } : {}),
      });
      setList((l) => [launch, ...l]);
      return launch;
    },
    /** Takes the card away; its ticket is dropped by the launch itself. */
    remove(id: string) {
      setList((l) => l.filter((launch) => launch.id !== id));
    },
  };
}
