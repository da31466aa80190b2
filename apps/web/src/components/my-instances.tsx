import { For, Show } from "solid-js";
import type { createInstances } from "../lib/create-instances.ts";
import { createNow } from "../lib/create-now.ts";
import { formatExpiry, formatSpan } from "../lib/format.ts";
import { DestroyButton } from "./destroy-button.tsx";
import { phaseLabel } from "./launch-progress.tsx";

/** The caller's instances on every platform, from any tab or device, each with Destroy. */
export function MyInstances(props: {
  instances: ReturnType<typeof createInstances>;
  nameOf: (template: string) => string;
}) {
  const now = createNow(() => true, 15_000);
  const items = () => props.instances.list() ?? [];
  return (
    <section class="panel instances" aria-labelledby="my-instances">
      <header class="card-head">
        <h2 id="my-instances">My instances</h2>
        <button type="button" onClick={() => props.instances.refresh()}>
          Refresh
        </button>
      </header>
      <p class="muted small">Credentials are shown only in the tab that launched the instance.</p>
      <Show when={props.instances.error()}>
        {(message) => (
          <p class="notice" role="alert">
            {message()}
          </p>
        )}
      </Show>
      <Show
        when={items().length > 0}
        fallback={
          <p class="muted">{props.instances.list() ? "No instances running." : "Loading…"}</p>
        }
      >
        <ul class="instance-list">
          <For each={items()}>
            {(instance) => (
              <li
                data-id={instance.id}
                aria-label={`${props.nameOf(instance.template)} ${instance.id}`}
              >
                <strong>{props.nameOf(instance.template)}</strong>{" "}
                <span class="muted small">
                  {instance.driver} · {phaseLabel(instance.phase)} · created{" "}
                  {formatSpan(now() - instance.createdAt)} ago ·{" "}
                  {formatExpiry(instance.expiresAt, now())}
                </span>{" "}
                <DestroyButton
                  busy={props.instances.destroying(instance.id)}
                  onDestroy={() => void props.instances.destroy(instance.id)}
                />
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}
