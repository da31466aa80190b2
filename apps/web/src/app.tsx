import type { StoredLaunch, TicketStore } from "@launcher/client";
import { createEffect, createSignal, For, on, Show } from "solid-js";
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
  const admin = () => {
    const now = session();
    return now.state === "signed-in" && now.admin;
  };
  // Only a signed-in user has instances to list (a server without `me` has no list either).
  const listed = () => {
    const now = session();
    return now.state === "signed-in" && now.user !== undefined;
  };
  const instances = createInstances(client, { enabled: listed });
  createEffect(on(listed, (yes) => yes && instances.refresh()));
  const [focusId, setFocusId] = createSignal<string>();

  const start = async (template: string, driver?: string) => {
    const launch = await launches.start(template, driver);
    setFocusId(launch.id);
  };

  return (
    <>
      <header class="top">
        <h1>Launcher</h1>
        <UserLine session={session()} server={client.url} />
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
                createEffect(
                  on(
                    launch.status,
                    (status, before) => {
                      const ended = ["ready", "failed", "destroyed"].includes(status);
                      if (ended && status !== before) instances.refresh();
                    },
                    { defer: true },
                  ),
                );
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
        <Show
          when={session().state !== "signed-out"}
          fallback={
            <section class="panel" aria-label="Sign in">
              <p>
                This launcher needs you to sign in first.{" "}
                <a href={`${client.url}/auth/login`}>Sign in to launch</a>
              </p>
            </section>
          }
        >
          <LaunchForm
            templates={templates.list()}
            loadError={templates.error()}
            admin={admin()}
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
