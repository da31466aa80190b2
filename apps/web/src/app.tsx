import type { StoredLaunch, TicketStore } from "@launcher/client";
import { createSignal, For, Show } from "solid-js";
import { ConnectionBadge } from "./components/connection-badge.tsx";
import { LaunchCard } from "./components/launch-card.tsx";
import { LaunchForm } from "./components/launch-form.tsx";
import { createAdmin } from "./lib/create-admin.ts";
import { createConnectionStatus } from "./lib/create-connection-status.ts";
import { createLaunch } from "./lib/create-launch.ts";
import { createLaunches } from "./lib/create-launches.ts";
import { createTemplates } from "./lib/create-templates.ts";
import type { WebClient } from "./lib/types.ts";

export interface AppProps {
  client: WebClient;
  store: TicketStore;
  /** The launches found in the store at boot, shown at once and resumed. */
  initial: StoredLaunch[];
}

export function App(props: AppProps) {
  const { client, store } = props;
  const launches = createLaunches({ client, store, initial: props.initial });
  const templates = createTemplates(client);
  const connection = createConnectionStatus(client);
  const admin = createAdmin(client);
  const [focusId, setFocusId] = createSignal<string>();

  const start = async (template: string, driver?: string) => {
    const launch = await launches.start(template, driver);
    setFocusId(launch.id);
  };

  return (
    <>
      <header class="top">
        <h1>Launcher</h1>
        <ConnectionBadge status={connection()} />
      </header>
      <main>
        <Show when={launches.list().length > 0}>
          <section class="launches" aria-label="Launches">
            <For each={launches.list()}>
              {(stored) => {
                // Made here, once per card: in a prop, Solid would make it a getter that
                // starts a new follow on every read. The card's owner stops it.
                const launch = createLaunch({ client, store, stored });
                return (
                  <LaunchCard
                    launch={launch}
                    name={templates.nameOf(stored.template)}
                    focus={focusId() === stored.id}
                    onRemove={() => launches.remove(stored.id)}
                    onRetry={async () => {
                      await start(stored.template, stored.driver);
                      launches.remove(stored.id);
                    }}
                  />
                );
              }}
            </For>
          </section>
        </Show>
        <LaunchForm
          templates={templates.list()}
          loadError={templates.error()}
          admin={admin()}
          onReload={templates.reload}
          onLaunch={start}
        />
      </main>
    </>
  );
}
