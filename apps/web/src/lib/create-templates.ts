import { createSignal } from "solid-js";
import type { LauncherApi, TemplateList } from "./launcher-api.ts";

/**
 * The server's templates, loaded once; `reload` after a failure.
 * @example
 * const templates = createTemplates(api);
 * templates.list()?.defaultTemplate; // "scratchpad"
 */
export function createTemplates(api: LauncherApi) {
  const [list, setList] = createSignal<TemplateList>();
  const [error, setError] = createSignal<string>();
  const reload = () => {
    setError(undefined);
    api.listTemplates().then(setList, (e: Error) => setError(e.message));
  };
  reload();
  return {
    list,
    error,
    reload,
    /** The template's name; until the list is loaded, its id capitalized ("Scratchpad"). */
    nameOf: (id: string) =>
      list()?.templates.find((t) => t.id === id)?.name ?? id.charAt(0).toUpperCase() + id.slice(1),
  };
}
