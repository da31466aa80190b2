import { launchProgress, type StoredSnapshot } from "@launcher/client";
import { For, Show } from "solid-js";
import { capitalize, formatDuration } from "../lib/format.ts";
import { LogTail } from "./log-tail.tsx";

const ICON = { pending: "○", running: "◐", done: "✓", failed: "✕", skipped: "–" } as const;

/** "Starting", "Checking", "Destroying"… */
export const phaseLabel = (phase: string | undefined) => capitalize(phase || "starting");

/** The live view of a launch: overall bar, steps with timings, log tail, elapsed time. */
export function LaunchProgress(props: {
  name: string;
  snapshot: StoredSnapshot | undefined;
  now: number;
  startedAt: number | undefined;
}) {
  const percent = () => (props.snapshot ? Math.round(launchProgress(props.snapshot) * 100) : 0);
  const phase = () => phaseLabel(props.snapshot?.phase);

  return (
    <div class="progress">
      <div
        class="bar"
        role="progressbar"
        aria-label={`${props.name} launch progress`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent()}
        aria-valuetext={`${percent()}%, ${phase()}`}
      >
        <div class="fill" style={{ width: `${percent()}%` }} />
      </div>
      <p class="meta">
        <span>
          {phase()}… {percent()}%
        </span>
        <Show when={props.startedAt}>
          {(start) => <span>Elapsed {formatDuration(props.now - start())}</span>}
        </Show>
      </p>
      <Show when={props.snapshot?.message}>
        <p class="muted">{props.snapshot?.message}</p>
      </Show>
      <ol class="steps">
        <For each={props.snapshot?.steps ?? []}>
          {(step) => {
            // A running step counts up to now; a pending or skipped one has no time yet.
            const took = () => {
              if (step.startedAt === undefined) return undefined;
              if (step.state === "running") return formatDuration(props.now - step.startedAt);
              if (step.endedAt === undefined) return undefined;
              return formatDuration(step.endedAt - step.startedAt);
            };
            return (
              <li class="step" data-state={step.state}>
                <span class="icon" aria-hidden="true">
                  {ICON[step.state]}
                </span>
                <span class="label">
                  {step.label}
                  <span class="sr-only">
                    : {step.state === "running" ? "in progress" : step.state}
                  </span>
                  <Show when={step.state === "running" && step.progress !== undefined}>
                    <span class="muted"> {Math.round((step.progress ?? 0) * 100)}%</span>
                  </Show>
                </span>
                <span class="time">{took()}</span>
              </li>
            );
          }}
        </For>
      </ol>
      <LogTail lines={props.snapshot?.logTail.slice(-8) ?? []} />
    </div>
  );
}
