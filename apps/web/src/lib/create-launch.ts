import {
  type StoredLaunch,
  type StoredSnapshot,
  type TicketStore,
  toStoredSnapshot,
} from "@launcher/client";
import { batch, createMemo, createSignal } from "solid-js";
import { createSubscription } from "./create-subscription.ts";
import type { Access, LaunchError, LauncherApi } from "./launcher-api.ts";

export type LaunchStatus =
  | "following" // waiting for or showing progress
  | "ready"
  | "failed"
  | "destroyed"
  | "refused" // the server refused the ticket: it is gone
  | "error"; // the stream broke for another reason; it can be resumed

export interface LaunchProblem {
  error: LaunchError;
  /** What the user was doing when it happened. */
  during: "follow" | "destroy";
}

export interface LaunchOptions {
  api: LauncherApi;
  store: TicketStore;
  /** The launch as stored: its ticket, and where it got to before a refresh. */
  stored: StoredLaunch;
}

/**
 * One launch: follows it while the owner lives, keeps its ticket and last snapshot in the
 * store, and drops the ticket when the launch fails (destroying what it left), is destroyed
 * or refused, or the user dismisses it. Credentials (`access`) stay in memory only.
 * @example
 * const launch = createLaunch({ api, store, stored });
 * launch.status(); // "following"
 */
export function createLaunch(options: LaunchOptions) {
  const { api, store, stored } = options;
  const [snapshot, setSnapshot] = createSignal<StoredSnapshot | undefined>(stored.snapshot);
  const [access, setAccess] = createSignal<Access>();
  const [problem, setProblem] = createSignal<LaunchProblem>();
  const [attempt, setAttempt] = createSignal(0);
  const [destroying, setDestroying] = createSignal(false);
  let lastEventId = stored.lastEventId;
  let kept = true;

  const forget = () => {
    if (!kept) return;
    kept = false;
    void store.remove(stored.id);
  };

  const status = createMemo<LaunchStatus>(() => {
    const issue = problem();
    if (issue?.error.refused) return "refused";
    const phase = snapshot()?.phase;
    if (phase === "ready" || phase === "failed" || phase === "destroyed") return phase;
    return issue?.during === "follow" ? "error" : "following";
  });

  const following = () => {
    attempt();
    return kept && !problem() && status() === "following";
  };

  // Follows until a terminal snapshot arrives; once more for a ready launch resumed
  // from storage, whose credentials only the server's resent terminal snapshot carries.
  const wantsAccess = () => status() === "ready" && !access() && kept && !problem();

  createSubscription(
    () => (following() || wantsAccess()) && { ticket: stored.ticket, lastEventId },
    (input) =>
      api.follow(input, {
        onData(next, eventId) {
          const current = snapshot();
          // Never go back to an older state than the one shown.
          if (current && next.version < current.version) return;
          const shown = toStoredSnapshot(next);
          if (eventId !== undefined) lastEventId = eventId;
          batch(() => {
            setSnapshot(shown);
            if (next.access) setAccess(next.access);
          });
          if (shown.phase === "failed") {
            // Its remains (an exited container, a pod that keeps retrying) are torn down
            // before the ticket goes: without it, nobody could do that later.
            void api.destroy(stored.ticket).then(forget, forget);
          } else if (shown.phase === "destroyed") forget();
          else if (kept) void store.put({ ...stored, lastEventId, snapshot: shown });
        },
        onError(error) {
          if (error.refused) forget();
          setProblem({ error, during: "follow" });
        },
        onComplete() {},
      }),
  );

  return {
    id: stored.id,
    template: stored.template,
    driver: stored.driver,
    snapshot,
    access,
    status,
    problem,
    destroying,
    /** Follows again after a broken stream, from the last event received. */
    resume() {
      batch(() => {
        setProblem(undefined);
        setAttempt((n) => n + 1);
      });
    },
    /** Forgets the launch in this tab (the instance keeps running). */
    dismiss() {
      forget();
    },
    /** Tears the instance down, then forgets its ticket. */
    async destroy() {
      setDestroying(true);
      setProblem(undefined);
      try {
        await api.destroy(stored.ticket);
        forget();
        batch(() => {
          const current = snapshot();
          if (current) setSnapshot({ ...current, phase: "destroyed" });
          setAccess(undefined);
        });
      } catch (error) {
        if ((error as LaunchError).refused) forget();
        setProblem({ error: error as LaunchError, during: "destroy" });
      } finally {
        setDestroying(false);
      }
    },
  };
}

export type Launch = ReturnType<typeof createLaunch>;
