import { createEffect, createMemo, createSignal, Match, Show, Switch } from "solid-js";
import type { Launch } from "../lib/create-launch.ts";
import { createNow } from "../lib/create-now.ts";
import { describeQuota, describeRefusal, makeFailedStep } from "../lib/format.ts";
import { LaunchProgress, phaseLabel } from "./launch-progress.tsx";
import { LaunchSummary } from "./launch-summary.tsx";
import { LogTail } from "./log-tail.tsx";

interface Props {
  launch: Launch;
  name: string;
  /** Move the focus here when the card appears (a launch the user just started). */
  focus?: boolean;
  /** Takes the card away. */
  onRemove: () => void;
  /** Starts a new launch of the same template in place of this one. */
  onRetry: () => Promise<void>;
  /** When the instance expires (epoch ms), once the platform lists it. */
  expiresAt?: number | undefined;
}

/** One launch: its progress, then its summary, failure or refusal. */
export function LaunchCard(props: Props) {
  const launch = props.launch;
  const now = createNow(() => launch.status() === "following");
  const [retryError, setRetryError] = createSignal<string>();
  let heading: HTMLHeadingElement | undefined;
  createEffect(() => props.focus && heading?.focus());

  const dismiss = () => {
    launch.dismiss();
    props.onRemove();
  };
  const retry = async () => {
    setRetryError(undefined);
    try {
      launch.dismiss();
      await props.onRetry();
    } catch (e) {
      setRetryError(`Could not start a new launch: ${(e as Error).message}`);
    }
  };

  const announcement = createMemo(() => {
    switch (launch.status()) {
      case "ready":
        return `${props.name} is ready.`;
      case "failed":
        return `${props.name} failed.`;
      case "destroying":
        return `${props.name} is being destroyed.`;
      case "destroyed":
        return `${props.name} was destroyed.`;
      case "refused":
        return launch.kept()
          ? `${props.name}: the server refused the ticket; it is kept.`
          : `${props.name}: this launch can no longer be followed.`;
      case "error":
        return `${props.name}: lost track of the launch.`;
      default:
        return `${props.name}: ${phaseLabel(launch.snapshot()?.phase)}.`;
    }
  });
  const refusal = () => describeRefusal(launch.problem()?.error.tokenCode);

  const actions = (label: string) => (
    <>
      <div class="actions">
        <button type="button" class="primary" onClick={retry}>
          {label}
        </button>
        <button type="button" onClick={dismiss}>
          Dismiss
        </button>
      </div>
      <Show when={retryError()}>
        <p class="notice" role="alert">
          {retryError()}
        </p>
      </Show>
    </>
  );

  return (
    <article
      class="card panel"
      data-status={launch.status()}
      aria-labelledby={`launch-${launch.id}`}
    >
      <header class="card-head">
        <h2 id={`launch-${launch.id}`} tabindex="-1" ref={heading}>
          {props.name}
        </h2>
        <span class="muted small">{launch.snapshot()?.driver ?? launch.driver}</span>
      </header>
      <p class="sr-only" aria-live="polite">
        {announcement()}
      </p>
      <Switch>
        <Match when={launch.status() === "refused" && !launch.kept()}>
          <p class="notice" role="alert">
            This launch can no longer be followed: {refusal()}. Its ticket has been removed from
            this tab.
          </p>
          {actions("Launch again")}
        </Match>
        <Match when={launch.status() === "refused" || launch.status() === "quota"}>
          {/* The ticket may open on another replica or later: it is the only key to the
              instance. A quota refuses before anything starts: the same ticket tries again. */}
          <p class="notice" role="alert">
            <Show
              when={launch.problem()?.error.quota}
              fallback={`The server refused this launch's ticket: ${refusal()}. The ticket is kept in this tab, and the instance may still be running.`}
            >
              {(quota) => `Not started: ${describeQuota(quota())}`}
            </Show>
          </p>
          <div class="actions">
            <button type="button" class="primary" onClick={() => launch.resume()}>
              Try again
            </button>
            <button type="button" onClick={dismiss}>
              Forget it
            </button>
          </div>
        </Match>
        <Match when={launch.status() === "ready" && launch.snapshot()}>
          {(snapshot) => (
            <>
              <LaunchSummary
                snapshot={snapshot()}
                access={launch.access()}
                expiresAt={props.expiresAt}
                destroying={launch.destroying()}
                onDismiss={dismiss}
                onDestroy={() => void launch.destroy()}
              />
              <Show when={launch.problem()?.during === "destroy"}>
                <p class="notice" role="alert">
                  Could not destroy the instance: {launch.problem()?.error.message}
                  {launch.kept() ? "" : ". Its ticket has been removed from this tab."}
                </p>
              </Show>
            </>
          )}
        </Match>
        <Match when={launch.status() === "failed" && launch.snapshot()}>
          {(snapshot) => {
            const step = () => makeFailedStep(snapshot());
            return (
              <div class="failure">
                <p class="notice">
                  <strong>Launch failed</strong>
                  <Show when={step()}>{(s) => <> at step “{s().label}”</>}</Show>.{" "}
                  {snapshot().error ?? snapshot().message ?? ""}
                </p>
                <LogTail lines={snapshot().logTail} label="Log tail" />
                <p class="muted small">Its ticket has been removed from this tab.</p>
                {actions("Try again")}
              </div>
            );
          }}
        </Match>
        <Match when={launch.status() === "destroying"}>
          <p>Destroying… the instance is being stopped and its files deleted.</p>
        </Match>
        <Match when={launch.status() === "destroyed"}>
          <p>Destroyed: the instance is stopped and its files are deleted.</p>
          <Show when={launch.snapshot()?.message}>{(m) => <p class="muted">{m()}</p>}</Show>
          <div class="actions">
            <button type="button" onClick={dismiss}>
              Dismiss
            </button>
          </div>
        </Match>
        <Match when={true}>
          <LaunchProgress
            name={props.name}
            snapshot={launch.snapshot()}
            now={now()}
            startedAt={launch.snapshot()?.createdAt}
          />
          <Show when={launch.status() === "error"}>
            <p class="notice" role="alert">
              Lost track of this launch: {launch.problem()?.error.message}{" "}
              <button type="button" onClick={() => launch.resume()}>
                Resume
              </button>
            </p>
          </Show>
        </Match>
      </Switch>
    </article>
  );
}
