import { toLauncherError } from "@launcher/client";
import { createSignal, onCleanup } from "solid-js";
import type { InstanceEntry, WebClient } from "./types.ts";

/** How often the list is read again while the page is open. */
export const REFRESH_MS = 30_000;

/**
 * The caller's instances as the platforms list them (`instances.list`), across tabs and
 * devices: read at once, every 30 s and on `refresh()`; `destroy(id)` ends one by id.
 * @example
 * const instances = createInstances(client);
 * instances.list(); // [{ id, template, phase, expiresAt… }]
 */
export function createInstances(client: WebClient, options: { enabled: () => boolean }) {
  const [list, setList] = createSignal<InstanceEntry[]>();
  const [error, setError] = createSignal<string>();
  const [destroying, setDestroying] = createSignal<ReadonlySet<string>>(new Set());
  let reads = 0;

  const refresh = () => {
    if (!options.enabled()) return;
    const read = ++reads; // an older answer never overwrites a newer one
    client.instances.list.query({}).then(
      ({ instances }) => {
        if (read !== reads) return;
        setError(undefined);
        setList([...instances].sort((a, b) => b.createdAt - a.createdAt));
      },
      (e: unknown) => read === reads && setError(toLauncherError(e).message),
    );
  };
  const timer = setInterval(refresh, REFRESH_MS);
  onCleanup(() => clearInterval(timer));

  const mark = (id: string, on: boolean) =>
    setDestroying((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  return {
    list,
    error,
    refresh,
    destroying: (id: string) => destroying().has(id),
    /** The entry of one instance, once listed. */
    find: (id: string) => list()?.find((i) => i.id === id),
    async destroy(id: string) {
      mark(id, true);
      setError(undefined);
      try {
        await client.instances.destroy.mutate({ id });
      } catch (e) {
        setError(`Could not destroy the instance: ${toLauncherError(e).message}`);
      } finally {
        mark(id, false);
        refresh();
      }
    },
  };
}
