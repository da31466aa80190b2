import {
  destroyLaunch,
  followLaunch,
  type LauncherError,
  type StoredLaunch,
  type StoredSnapshot,
  type TicketStore,
  ticketIsGone,
  toLauncherError,
  toStoredSnapshot,
} from "@launcher/client";
import { batch, createMemo, createSignal, onCleanup } from "solid-js";
import type { Access, WebClient } from "./types.ts";

export type LaunchStatus =
  | "following" // waiting for or showing progress
  | "ready"
  | "failed"
  | "destroying"
  | "destroyed"
  | "refused" // the server refused the ticket; `kept()` says whether the tab still has it
  | "quota" // a quota is reached (`problem().error.quota`); the ticket is kept: try again
  | "error"; // the stream broke for another reason; it can be resumed

export interface LaunchProblem {
  error: LauncherError;
  /** What the user was doing when it happened. */
  during: "follow" | "destroy";
}

export interface LaunchOptions {
  client: WebClient;
  store: TicketStore;
  /** The launch as stored: its ticket, and where it got to before a refresh. */
  stored: StoredLaunch;
}

/**
 * One launch, as signals: `followLaunch` from `@launcher/client` does the work (resume,
 * version guard, destroy-on-failure, which refusals drop the ticket); this keeps what it
 * reports for the view, credentials (`access`) in memory only, and stops it with its owner.
 * @example
 * const launch = createLaunch({ client, store, stored });
 * launch.status(); // "following"
 */
export function createLaunch(options: LaunchOptions) {
  const { client, store, stored } = options;
  const [snapshot, setSnapshot] = createSignal<StoredSnapshot | undefined>(stored.snapshot);
  const [access, setAccess] = createSignal<Access>();
  const [problem, setProblem] = createSignal<LaunchProblem>();
  const [destroying, setDestroying] = createSignal(false);
  /** Whether this tab still holds the ticket; `undefined` while a failed launch's remains go. */
  const [kept, setKept] = createSignal<boolean | undefined>(true);
  let following: AbortController | undefined;
  const stop = () => following?.abort();
  onCleanup(stop);

  const report = (cause: unknown, during: LaunchProblem["during"]) => {
    const error = toLauncherError(cause);
    if (ticketIsGone(error)) setKept(false); // the client dropped it
    setProblem({ error, during });
  };

  const follow = () => {
    stop();
    const own = new AbortController();
    following = own;
    setProblem(undefined);
    followLaunch(client, {
      launch: stored,
      store,
      signal: own.signal,
      // The badge says when the server is away; the page waits for it.
      giveUpAfterMs: Number.POSITIVE_INFINITY,
      onSnapshot: (next) =>
        batch(() => {
          setSnapshot(toStoredSnapshot(next));
          if (next.access) setAccess(next.access);
          if (next.phase === "failed") setKept(undefined);
        }),
    })
      .done()
      // The client drops the ticket after `destroyed`, and after `failed` once the remains are
      // torn down; when that teardown fails, it keeps the ticket so that following again retries.
      .then(
        async () => own.signal.aborted || setKept(!!(await store.get(stored.id))),
        (error: unknown) => own.signal.aborted || report(error, "follow"),
      );
  };
  follow();

  const status = createMemo<LaunchStatus>(() => {
    const issue = problem();
    if (issue?.during === "follow" && issue.error.code === "ticket_refused") return "refused";
    if (issue?.during === "follow" && issue.error.quota) return "quota";
    const phase = snapshot()?.phase;
    if (phase === "ready" || phase === "failed" || phase === "destroyed") return phase;
    if (phase === "destroying") return phase;
    return issue?.during === "follow" ? "error" : "following";
  });

  return {
    id: stored.id,
    template: stored.template,
    driver: stored.driver,
    snapshot,
    access,
    status,
    problem,
    destroying,
    kept,
    /** Follows again, from the last event received (after a broken stream or a refusal). */
    resume: follow,
    /** Forgets the launch in this tab (the instance keeps running). */
    dismiss() {
      stop();
      setKept(false);
      void store.remove(stored.id);
    },
    /** Tears the instance down, then forgets its ticket. */
    async destroy() {
      stop();
      setDestroying(true);
      setProblem(undefined);
      try {
        await destroyLaunch(client, { launch: stored, store });
        batch(() => {
          setKept(false);
          const current = snapshot();
          if (current) setSnapshot({ ...current, phase: "destroyed" });
          setAccess(undefined);
        });
      } catch (error) {
        report(error, "destroy");
      } finally {
        setDestroying(false);
      }
    },
  };
}

export type Launch = ReturnType<typeof createLaunch>;
