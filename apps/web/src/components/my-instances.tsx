import { createSignal, For } from "solid-js";
import type { createInstances } from "../lib/create-instances.ts";
import { createNow } from "../lib/create-now.ts";
import { formatExpiry, formatSpan } from "../lib/format.ts";
import { Alert } from "./alert.tsx";
import { DestroyButton } from "./destroy-button.tsx";
import { phaseLabel } from "./launch-progress.tsx";

/** The caller's instances on every platform, from any tab or device, each with Destroy. */
export function MyInstances(props: {
  instances: ReturnType<typeof createInstances>;
  nameOf: (template: string) => string;
}) {
  const now = createNow(() => true, 15_000);
  return (
    <section class="panel" aria-labelledby="my-instances">
      <h2 id="my-instances">My instances</h2>
      <p class="muted small">Credentials are shown only in the tab that launched the instance.</p>
      <Alert text={props.instances.error()} />
      <ul>
        <For each={props.instances.list()} fallback={<li class="muted">None.</li>}>
          {(instance) => {
            const [busy, setBusy] = createSignal(false);
            return (
              <li>
                <strong>{props.nameOf(instance.template)}</strong>{" "}
                <span class="muted small">
                  {instance.driver} · {phaseLabel(instance.phase)} · created{" "}
                  {formatSpan(now() - instance.createdAt)} ago ·{" "}
                  {formatExpiry(instance.expiresAt, now())}
                </span>{" "}
                <DestroyButton
                  busy={busy()}
                  onDestroy={() => {
                    setBusy(true);
                    props.instances.destroy(instance.id).finally(() => setBusy(false));
                  }}
                />
              </li>
            );
          }}
        </For>
      </ul>
    </section>
  );
}
