import { createMemo, createSignal, For, Show } from "solid-js";
import type { Template, TemplateList } from "../lib/types.ts";
import { Alert } from "./alert.tsx";
import { reasonOrNone, Why } from "./why.tsx";

interface Props {
  templates: TemplateList | undefined;
  loadError: string | undefined;
  /** Operators' diagnostics (why a driver cannot run here) are for admins only. */
  admin: boolean;
  onReload: () => void;
  onLaunch: (template: string, driver: string) => Promise<void>;
}

function availability(template: Template, driver: string) {
  const elsewhere = template.drivers.map((d) => d.driver).join(", ");
  return (
    template.drivers.find((d) => d.driver === driver) ?? {
      available: false,
      reason: elsewhere ? `it runs on ${elsewhere}` : "",
    }
  );
}

export function LaunchForm(props: Props) {
  const [driver, setDriver] = createSignal<string>();
  const [picked, setPicked] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string>();

  const currentDriver = () => driver() ?? props.templates?.defaultDriver ?? "";
  const canRun = (t: Template) => availability(t, currentDriver()).available;
  // The user's choice if it can run, else the default, else the first that can.
  const selected = createMemo(() => {
    const list = props.templates;
    if (!list) return undefined;
    const runnable = list.templates.filter(canRun);
    const choice = [picked(), list.defaultTemplate].find((id) => runnable.some((t) => t.id === id));
    return choice ?? runnable[0]?.id;
  });

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const template = selected();
    if (!template || busy()) return;
    setBusy(true);
    setError(undefined);
    try {
      await props.onLaunch(template, currentDriver());
    } catch (e) {
      setError(`Could not start the launch: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="new-launch">
      <h2 id="new-launch">New launch</h2>
      <Show when={props.loadError}>
        <p class="notice" role="alert">
          Could not load the templates: {props.loadError}{" "}
          <button type="button" onClick={() => props.onReload()}>
            Retry
          </button>
        </p>
      </Show>
      <Show
        when={props.templates}
        fallback={
          <Show when={!props.loadError}>
            <p class="muted">Loading templates…</p>
          </Show>
        }
      >
        {(list) => (
          <form onSubmit={submit}>
            <Show when={list().drivers.length > 1}>
              <label class="field">
                <span>Runs on</span>
                <select value={currentDriver()} onChange={(e) => setDriver(e.currentTarget.value)}>
                  <For each={list().drivers}>
                    {(d) => (
                      <option value={d.name} disabled={!d.available}>
                        {d.name}
                        {d.available ? "" : " (unavailable)"}
                      </option>
                    )}
                  </For>
                </select>
              </label>
              <Show when={props.admin && list().drivers.some((d) => !d.available)}>
                <Why subject="Why are some unavailable?">
                  <ul class="small">
                    <For each={list().drivers.filter((d) => !d.available)}>
                      {(d) => (
                        <li>
                          {d.name}: {reasonOrNone(d.reason)}
                        </li>
                      )}
                    </For>
                  </ul>
                </Why>
              </Show>
            </Show>
            <fieldset class="templates">
              <legend>Template</legend>
              <For each={list().templates}>
                {(t) => {
                  const why = () => availability(t, currentDriver()).reason;
                  const about = `template-${t.id}-about`;
                  return (
                    <>
                      <label class="template" classList={{ unavailable: !canRun(t) }}>
                        <input
                          type="radio"
                          name="template"
                          value={t.id}
                          checked={selected() === t.id}
                          disabled={!canRun(t)}
                          onChange={() => setPicked(t.id)}
                          aria-describedby={about}
                        />
                        <span class="template-text">
                          <span class="template-name">{t.name}</span>
                          <span class="muted" id={about}>
                            {t.description}
                            <Show when={!canRun(t)}>
                              <span class="unavailable-note"> Unavailable here.</span>
                            </Show>
                          </span>
                        </span>
                      </label>
                      <Show when={props.admin && !canRun(t)}>
                        <Why subject={`Why is ${t.name} unavailable?`}>
                          <p class="small">{reasonOrNone(why())}</p>
                        </Why>
                      </Show>
                    </>
                  );
                }}
              </For>
            </fieldset>
            <Alert text={error()} />
            <button class="primary" type="submit" disabled={!selected()} aria-disabled={busy()}>
              {busy() ? "Launching…" : "Launch"}
            </button>
          </form>
        )}
      </Show>
    </section>
  );
}
