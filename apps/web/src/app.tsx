import type { StoredLaunch, TicketStore } from "@launcher/client";
import { createEffect, createSignal, For, Show, untrack } from "solid-js";
import { ConnectionBadge } from "./components/connection-badge.tsx";
import { LaunchCard } from "./components/launch-card.tsx";
import { LaunchForm } from "./components/launch-form.tsx";
import { MyInstances } from "./components/my-instances.tsx";
import { UserLine } from "./components/user-line.tsx";
import { createConnectionStatus } from "./lib/create-connection-status.ts";
import { createInstances } from "./lib/create-instances.ts";
import { createLaunch } from "./lib/create-launch.ts";
import { createLaunches } from "./lib/create-launches.ts";
import { createSession } from "./lib/create-session.ts";
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
  const session = createSession(client);
  // Only a signed-in user has instances to list (a server without `me` has no list either).
  const listed = () => !!session().user;
  const instances = createInstances(client, { enabled: listed });
  createEffect(instances.refresh); // it reads the session: again once signed in
  const [focusId, setFocusId] = createSignal<string>();

  const start = async (template: string, driver?: string) => {
    const launch = await launches.start(template, driver);
    setFocusId(launch.id);
  };

  return (
    <>
      <header class="top">
        <h1>Launcher</h1>
        <Show when={session().user || session().signedOut}>
          <UserLine user={session().user} server={client.url} />
        </Show>
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
                // The platform's list changes when a launch ends one way or another.
                createEffect((before?: string) => {
                  const status = launch.status();
                  const ended = ["ready", "failed", "destroyed"].includes(status);
                  if (before && status !== before && ended) untrack(instances.refresh);
                  return status;
                });
                return (
                  <LaunchCard
                    launch={launch}
                    name={templates.nameOf(stored.template)}
                    focus={focusId() === stored.id}
                    expiresAt={instances.find(stored.id)?.expiresAt}
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
        <Show when={!session().signedOut} fallback={<p>Sign in to launch.</p>}>
          <LaunchForm
            templates={templates.list()}
            loadError={templates.error()}
            admin={!!session().admin}
            onReload={templates.reload}
            onLaunch={start}
          />
          <Show when={listed()}>
            <MyInstances instances={instances} nameOf={templates.nameOf} />
          </Show>
        </Show>
      </main>
    </>
  );
}
