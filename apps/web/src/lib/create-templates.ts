import { toLauncherError } from "@launcher/client";
import { createSignal } from "solid-js";
import { capitalize } from "./format.ts";
import type { TemplateList, WebClient } from "./types.ts";

/**
 * The server's templates, loaded once; `reload` after a failure.
 * @example
 * const templates = createTemplates(client);
 * templates.list()?.defaultTemplate; // "scratchpad"
 */
export function createTemplates(client: WebClient) {
  const [list, setList] = createSignal<TemplateList>();
  const [error, setError] = createSignal<string>();
  const reload = () => {
    setError(undefined);
    client.templates.list
      .query()
      .then(setList, (e: unknown) => setError(toLauncherError(e).message));
  };
  reload();
  return {
    list,
    error,
    reload,
    /** The template's name; until the list is loaded, its id capitalized ("Scratchpad"). */
    nameOf: (id: string) => list()?.templates.find((t) => t.id === id)?.name ?? capitalize(id),
  };
}
