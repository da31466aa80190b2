import type { Snapshot } from "@launcher/api";
import type { LauncherClient } from "./create-client.ts";
import { LauncherError, toLauncherError } from "./errors.ts";
import { type StoredLaunch, type TicketStore, toStoredSnapshot } from "./ticket-store.ts";

export type { Snapshot };
export type Phase = Snapshot["phase"];

const TERMINAL: ReadonlySet<Phase> = new Set<Phase>(["ready", "failed", "destroyed"]);

/** Whether a launch has ended: `ready`, `failed` or `destroyed`. */
export function isTerminalPhase(phase: Phase): boolean {
  return TERMINAL.has(phase);
}

/** The launch to follow: its id in the store, what the store holds, or `launch.prepare`'s output. */
export type LaunchRef = string | (Pick<StoredLaunch, "id" | "ticket"> & Partial<StoredLaunch>);

export interface FollowLaunchOptions {
  /** The launch (or give `ticket` instead). */
  launch?: LaunchRef;
  /** `launch.prepare`'s output `{ id, ticket }`; the same as `launch`. */
  ticket?: Pick<StoredLaunch, "id" | "ticket">;
  /** Where the ticket is kept; it is stored there before anything is sent. */
  store: TicketStore;
  /** Stops following (the iterator just ends); the ticket stays in the store. */
  signal?: AbortSignal;
  /** Called with each snapshot, in both the iterator and the `done()` form. */
  onSnapshot?: (snapshot: Snapshot) => void;
  /** Called when the connection drops (`"reconnecting"`) and comes back (`"connected"`). */
  onConnection?: (state: "connected" | "reconnecting", error?: LauncherError) => void;
  /**
   * How long the server may stay out of reach before the follow fails with
   * `unreachable`. Default 30 s; `Infinity` waits for ever.
   */
  giveUpAfterMs?: number;
}

/** Snapshots of one launch, as an async iterator or, with `done()`, a promise of the last. */
export interface LaunchFollow extends AsyncIterable<Snapshot> {
  /**
   * Follows to the end, calling `onSnapshot` for each snapshot; resolves with the
   * terminal snapshot, or `undefined` when stopped by the signal.
   */
  done(): Promise<Snapshot | undefined>;
}

type Event =
  | { type: "data"; id: string | undefined; snapshot: Snapshot }
  | { type: "error"; error: unknown }
  | { type: "complete" }
  | { type: "connecting"; error: unknown }
  | { type: "connected" }
  | { type: "give-up" }
  | { type: "abort" };

/** A tiny single-consumer queue bridging callbacks to `await`. */
function createQueue<T>() {
  const items: T[] = [];
  let wake: (() => void) | undefined;
  return {
    push(item: T) {
      items.push(item);
      wake?.();
    },
    async next(): Promise<T> {
      while (items.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      return items.shift()!;
    },
  };
}

async function loadLaunch(options: FollowLaunchOptions): Promise<StoredLaunch> {
  const { store } = options;
  const ref = options.launch ?? options.ticket;
  if (ref === undefined) throw new TypeError("followLaunch needs `launch` or `ticket`");
  if (typeof ref === "string") {
    const stored = await store.get(ref);
    if (!stored) throw new LauncherError("not_found", `No launch ${ref} in the ticket store`);
    return stored;
  }
  const stored = await store.get(ref.id);
  if (stored && stored.ticket === ref.ticket) return stored;
  // Invariant: the ticket is kept before anything can start the instance.
  const launch: StoredLaunch = {
    template: "",
    storedAt: Date.now(),
    ...ref,
  };
  await store.put(launch);
  return launch;
}

const RESUBSCRIBE_DELAY_MS = 500;

/** Best effort: a server that cannot destroy now leaves the remains to the operator. */
async function destroyQuietly(client: LauncherClient, ticket: string): Promise<void> {
  await client.launch.destroy.mutate({ ticket }).catch(() => {});
}

async function* follow(
  client: LauncherClient,
  options: FollowLaunchOptions,
): AsyncGenerator<Snapshot, void, undefined> {
  const { store, signal } = options;
  const giveUpAfterMs = options.giveUpAfterMs ?? 30_000;
  let launch = await loadLaunch(options);
  // The newest version shown: never show an older one (a terminal one may come again).
  let shown = launch.lastEventId === undefined ? -1 : Number(launch.lastEventId);
  let outOfReachSince: number | undefined;
  let lastError: unknown;
  let serverErrors = 0;

  while (!signal?.aborted) {
    const queue = createQueue<Event>();
    const onAbort = () => queue.push({ type: "abort" });
    signal?.addEventListener("abort", onAbort, { once: true });
    let giveUpTimer: ReturnType<typeof setTimeout> | undefined;
    const startGiveUpTimer = () => {
      outOfReachSince ??= Date.now();
      if (giveUpTimer || giveUpAfterMs === Number.POSITIVE_INFINITY) return;
      const left = Math.max(0, outOfReachSince + giveUpAfterMs - Date.now());
      giveUpTimer = setTimeout(() => queue.push({ type: "give-up" }), left);
    };
    const reached = () => {
      clearTimeout(giveUpTimer);
      giveUpTimer = undefined;
      if (outOfReachSince !== undefined) options.onConnection?.("connected");
      outOfReachSince = undefined;
    };

    const subscription = client.launch.follow.subscribe(
      {
        ticket: launch.ticket,
        ...(launch.lastEventId === undefined ? {} : { lastEventId: launch.lastEventId }),
      },
      {
        onData: (event) => queue.push({ type: "data", id: event.id, snapshot: event.data }),
        onError: (error) => queue.push({ type: "error", error }),
        onComplete: () => queue.push({ type: "complete" }),
        onConnectionStateChange: (state) => {
          if (state.state === "pending") queue.push({ type: "connected" });
          else if (state.state === "connecting" && state.error) {
            queue.push({ type: "connecting", error: state.error });
          }
        },
      },
    );
    let pause: number | undefined;
    try {
      for (;;) {
        const event = await queue.next();
        if (event.type === "abort") return;
        if (event.type === "connected") {
          reached();
          continue;
        }
        if (event.type === "connecting") {
          lastError = event.error;
          if (outOfReachSince === undefined) {
            options.onConnection?.("reconnecting", toLauncherError(event.error));
          }
          startGiveUpTimer();
          continue;
        }
        if (event.type === "give-up") {
          throw new LauncherError(
            "unreachable",
            `Cannot reach the launcher server for ${Math.round(giveUpAfterMs / 1000)} s`,
            { cause: lastError },
          );
        }
        if (event.type === "complete") {
          // The server ended the stream before a terminal phase (it is shutting down):
          // ask again from where we are.
          pause = RESUBSCRIBE_DELAY_MS;
          break;
        }
        if (event.type === "error") {
          const error = toLauncherError(event.error);
          if (error.code === "unreachable") {
            lastError = error;
            startGiveUpTimer();
            pause = RESUBSCRIBE_DELAY_MS;
            break;
          }
          // A server that answers with an error now and then (say, while it restarts)
          // gets a few more tries before the error counts.
          if (error.code === "server_error" && ++serverErrors < 3) {
            pause = RESUBSCRIBE_DELAY_MS * serverErrors;
            break;
          }
          if (error.code === "rate_limited" && ++serverErrors < 3) {
            pause = (error.retryAfter ?? 1) * 1000;
            break;
          }
          throw error;
        }
        reached();
        serverErrors = 0;
        const { snapshot } = event;
        const terminal = isTerminalPhase(snapshot.phase);
        if (snapshot.version < shown || (snapshot.version === shown && !terminal)) continue;
        shown = snapshot.version;
        launch = {
          ...launch,
          template: launch.template || snapshot.template,
          driver: launch.driver ?? snapshot.driver,
          lastEventId: event.id ?? String(snapshot.version),
          snapshot: toStoredSnapshot(snapshot),
        };
        // A failed or destroyed launch has nothing left to resume: drop the ticket. What a
        // failed one left on the platform (an exited container, a pod that keeps retrying)
        // is torn down first: without the ticket, nobody could do it later.
        if (snapshot.phase === "failed") await destroyQuietly(client, launch.ticket);
        if (snapshot.phase === "failed" || snapshot.phase === "destroyed") {
          await store.remove(launch.id);
        } else {
          await store.put(launch);
        }
        options.onSnapshot?.(snapshot);
        yield snapshot;
        if (terminal) return;
      }
    } finally {
      subscription.unsubscribe();
      signal?.removeEventListener("abort", onAbort);
      clearTimeout(giveUpTimer);
    }
    if (pause !== undefined) await delay(pause, signal);
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Follows a launch: yields its snapshots until a terminal phase (`ready`, `failed`,
 * `destroyed`). Keeps the ticket, the last event id and the last snapshot (without
 * `access`) in the store, and resumes by itself from there after a dropped connection, a
 * server restart or a new process. A `failed` launch is destroyed (its remains torn down)
 * and, like a `destroyed` one, removed from the store; a `ready` one stays until you remove
 * it (the user dismissed the summary).
 * Refusals and other errors are thrown as {@link LauncherError}.
 *
 * @example
 * const launch = await prepareLaunch(client, { template: "scratchpad", store });
 * for await (const snapshot of followLaunch(client, { launch, store })) {
 *   console.log(snapshot.phase);
 *   if (snapshot.access) console.log(snapshot.access.url, snapshot.access.credentials);
 * }
 *
 * @example
 * // Callback form
 * const last = await followLaunch(client, { launch: id, store, onSnapshot: render }).done();
 */
export function followLaunch(client: LauncherClient, options: FollowLaunchOptions): LaunchFollow {
  return {
    [Symbol.asyncIterator]: () => follow(client, options),
    async done() {
      let last: Snapshot | undefined;
      for await (const snapshot of follow(client, options)) last = snapshot;
      return last && isTerminalPhase(last.phase) ? last : undefined;
    },
  };
}

export interface PrepareLaunchOptions {
  template: string;
  /** The driver; the server's default when left out. */
  driver?: string;
  /** The ticket is stored here before this returns. */
  store: TicketStore;
}

/**
 * Asks the server for a new launch (no side effect there) and stores its ticket, so
 * that following it afterwards, in this process or another, starts the instance
 * exactly once.
 *
 * @example
 * const launch = await prepareLaunch(client, { template: "scratchpad", store });
 * const ready = await followLaunch(client, { launch, store }).done();
 */
export async function prepareLaunch(
  client: LauncherClient,
  options: PrepareLaunchOptions,
): Promise<StoredLaunch> {
  let prepared: { id: string; ticket: string };
  try {
    prepared = await client.launch.prepare.mutate({
      template: options.template,
      ...(options.driver ? { driver: options.driver } : {}),
    });
  } catch (error) {
    throw toLauncherError(error);
  }
  const launch: StoredLaunch = {
    id: prepared.id,
    ticket: prepared.ticket,
    template: options.template,
    storedAt: Date.now(),
    ...(options.driver ? { driver: options.driver } : {}),
  };
  await options.store.put(launch);
  return launch;
}
