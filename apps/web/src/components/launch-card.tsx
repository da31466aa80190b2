import { refusalReason } from "@launcher/client";
import { createEffect, createSignal, Show } from "solid-js";
import type { Launch } from "../lib/create-launch.ts";
import { createNow } from "../lib/create-now.ts";
import { describeQuota, makeFailedStep } from "../lib/format.ts";
import { Alert } from "./alert.tsx";
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

  // The phase, politely; a refusal or an error is an alert of its own.
  const announcement = () => `${props.name}: ${phaseLabel(launch.snapshot()?.phase)}.`;
  // A quota refuses before anything starts: the same ticket tries again. A refused ticket may
  // open on another replica or later: it is the only key to the instance, so it is kept.
  const refusal = () => {
    const error = launch.problem()?.error;
    if (error?.quota) return `Not started: ${describeQuota(error.quota)}`;
    return `The server refused this launch's ticket: ${refusalReason(error?.tokenCode)}. ${
      launch.kept()
        ? "The ticket is kept in this tab, and the instance may still be running."
        : "It has been removed from this tab: this launch can no longer be followed."
    }`;
  };

  const destroyError = () => {
    const problem = launch.problem();
    if (problem?.during !== "destroy") return undefined;
    return `Could not destroy the instance: ${problem.error.message}.${launch.kept() ? "" : " Its ticket has been removed from this tab."}`;
  };

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
      <Alert text={retryError()} />
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
      {/* One view per status, made again when the status changes. */}
      <Show when={launch.status()} keyed>
        {(status) => {
          switch (status) {
            case "refused":
            case "quota":
              return (
                <>
                  <Alert text={refusal()} />
                  <Show when={launch.kept()} fallback={actions("Launch again")}>
                    <div class="actions">
                      <button type="button" class="primary" onClick={() => launch.resume()}>
                        Try again
                      </button>
                      <button type="button" onClick={dismiss}>
                        Forget it
                      </button>
                    </div>
                  </Show>
                </>
              );
            case "ready":
              return (
                <>
                  <LaunchSummary
                    snapshot={launch.snapshot()!}
                    access={launch.access()}
                    expiresAt={props.expiresAt}
                    destroying={launch.destroying()}
                    onDismiss={dismiss}
                    onDestroy={() => void launch.destroy()}
                  />
                  <Alert text={destroyError()} />
                </>
              );
            case "failed": {
              // Read again as snapshots come: a terminal one may be sent again, with more.
              const snapshot = () => launch.snapshot()!;
              const step = () => makeFailedStep(snapshot());
              return (
                <div class="failure">
                  <p class="notice">
                    <strong>Launch failed</strong>
                    {step() ? ` at step “${step()!.label}”` : ""}.{" "}
                    {snapshot().error ?? snapshot().message ?? ""}
                  </p>
                  <LogTail lines={snapshot().logTail} />
                  {/* Nothing while the remains are being torn down. */}
                  <Show when={launch.kept() === false}>
                    <p class="muted small">Its ticket has been removed from this tab.</p>
                  </Show>
                  <Show when={launch.kept()}>
                    <p class="notice">
                      Its remains could not be removed yet; the ticket is kept in this tab.{" "}
                      <button type="button" onClick={() => launch.resume()}>
                        Remove them
                      </button>
                    </p>
                  </Show>
                  {actions("Try again")}
                </div>
              );
            }
            case "destroying":
              return <p>Destroying… the instance is being stopped and its files deleted.</p>;
            case "destroyed":
              return (
                <>
                  <p>Destroyed: the instance is stopped and its files are deleted.</p>
                  <Show when={launch.snapshot()?.message}>{(m) => <p class="muted">{m()}</p>}</Show>
                  <div class="actions">
                    <button type="button" onClick={dismiss}>
                      Dismiss
                    </button>
                  </div>
                </>
              );
            default:
              return (
                <>
                  <LaunchProgress
                    name={props.name}
                    snapshot={launch.snapshot()}
                    now={now()}
                    startedAt={launch.snapshot()?.createdAt}
                  />
                  <Show when={status === "error"}>
                    <p class="notice" role="alert">
                      Lost track of this launch: {launch.problem()?.error.message}{" "}
                      <button type="button" onClick={() => launch.resume()}>
                        Resume
                      </button>
                    </p>
                  </Show>
                </>
              );
          }
        }}
      </Show>
    </article>
  );
}
