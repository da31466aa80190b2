import type { StoredSnapshot } from "@launcher/client";
import { For, Show } from "solid-js";
import { createNow } from "../lib/create-now.ts";
import { formatDuration, formatExpiry, makeEndedAt, makeSafeHref } from "../lib/format.ts";
import type { Access } from "../lib/types.ts";
import { Credential } from "./credential.tsx";
import { DestroyButton } from "./destroy-button.tsx";

/** The end of a good launch: where the instance is and how to log in. */
export function LaunchSummary(props: {
  snapshot: StoredSnapshot;
  access: Access | undefined;
  destroying: boolean;
  /** When the instance expires (epoch ms), if known. */
  expiresAt?: number | undefined;
  onDismiss: () => void;
  onDestroy: () => void;
}) {
  const took = () => {
    const end = makeEndedAt(props.snapshot);
    return end === undefined ? undefined : formatDuration(end - props.snapshot.createdAt);
  };
  const now = createNow(() => props.expiresAt !== undefined, 15_000);
  return (
    <div class="summary">
      <p class="ready">
        <span class="ready-icon" aria-hidden="true">
          ✓
        </span>{" "}
        <strong>Ready</strong>
        <Show when={took()}>{(t) => <span class="muted"> — launched in {t()}</span>}</Show>
      </p>
      <Show when={props.expiresAt}>
        {(at) => <p class="muted small">The instance {formatExpiry(at(), now())}.</p>}
      </Show>
      <Show
        when={props.access}
        fallback={<p class="muted">Fetching the address and credentials…</p>}
      >
        {(access) => (
          <dl class="access">
            <div class="row">
              <dt>URL</dt>
              <dd>
                {/* Only a web address is a link: never `javascript:` or `data:`. */}
                <Show when={makeSafeHref(access().url)} fallback={<code>{access().url}</code>}>
                  {(href) => (
                    <a href={href()} target="_blank" rel="noopener noreferrer">
                      {access().url}
                    </a>
                  )}
                </Show>
              </dd>
            </div>
            <For each={Object.entries(access().credentials)}>
              {([name, value]) => <Credential name={name} value={value} />}
            </For>
          </dl>
        )}
      </Show>
      <div class="actions">
        <button type="button" class="primary" onClick={() => props.onDismiss()}>
          Dismiss
        </button>
        <DestroyButton busy={props.destroying} onDestroy={props.onDestroy} />
      </div>
      <p class="muted small">
        Dismiss forgets the credentials in this tab; the instance keeps running.
      </p>
    </div>
  );
}
