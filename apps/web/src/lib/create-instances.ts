import { toLauncherError } from "@launcher/client";
import { createSignal, onCleanup } from "solid-js";
import type { InstanceEntry, WebClient } from "./types.ts";

/**
 * The caller's instances as the platforms list them (`instances.list`), across tabs and
 * devices: read on `refresh()` and every 30 s while `enabled()`; `destroy(id)` ends one by id.
 * @example
 * const instances = createInstances(client, { enabled: () => true });
 * instances.list(); // [{ id, template, phase, expiresAt… }]
 */
export function createInstances(client: WebClient, options: { enabled: () => boolean }) {
  const [list, setList] = createSignal<InstanceEntry[]>();
  const [error, setError] = createSignal<string>();
  const fail = (e: unknown) => setError(toLauncherError(e).message);
  const refresh = () =>
    options.enabled() &&
    client.instances.list.query({}).then(({ instances }) => {
      setError();
      setList(instances.sort((a, b) => b.createdAt - a.createdAt));
    }, fail);
  const timer = setInterval(refresh, 30_000);
  onCleanup(() => clearInterval(timer));

  return {
    list,
    error,
    refresh,
    /** The entry of one instance, once listed. */
    find: (id: string) => list()?.find((i) => i.id === id),
    /** Destroys it by id (no ticket needed), then reads the list again. */
    destroy: (id: string) => client.instances.destroy.mutate({ id }).catch(fail).finally(refresh),
  };
}
