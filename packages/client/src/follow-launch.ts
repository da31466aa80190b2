import { isTerminal, type Snapshot } from "@launcher/contract";
import { delay, retryDelay } from "./backoff.ts";
import type { LaunchClient } from "./create-client.ts";
import { LauncherError, ticketIsGone, toLauncherError } from "./errors.ts";
import { type LaunchRef, loadLaunch } from "./launch-ref.ts";
import { type StoredLaunch, type TicketStore, toStoredSnapshot } from "./ticket-store.ts";

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
  /** Called when the server goes out of reach (`"reconnecting"`) and comes back (`"connected"`). */
  onConnection?: (state: "connected" | "reconnecting", error?: LauncherError) => void;
  /**
   * How long the server may stay out of reach before the follow fails with
   * `unreachable`. Default 30 s; `Infinity` waits for ever.
   */
  giveUpAfterMs?: number;
  /** Send the ticket even to a server other than the one that issued it. */
  allowOtherServer?: boolean;
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
  | { type: "data"; run: number; id: string | undefined; snapshot: Snapshot }
  | { type: "error"; run: number; error: LauncherError }
  | { type: "complete"; run: number }
  | { type: "give-up" }
  | { type: "abort" };

/** Errors that a follow tries again (with backoff) a few times before it reports them. */
const TRANSIENT: ReadonlySet<string> = new Set(["server_error", "rate_limited"]);
const MAX_RETRIES = 4;

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

/**
 * Tears down what a failed launch left on the platform; whether its ticket may go now: when
 * that is done, or when the ticket can never open again. A server that cannot destroy now
 * (away, busy) leaves the ticket kept, so the next follow sees `failed` again and tries again.
 */
function destroyFailed(client: LaunchClient, ticket: string): Promise<boolean> {
  return client.launch.destroy.mutate({ ticket }).then(
    () => true,
    (error: unknown) => ticketIsGone(toLauncherError(error)),
  );
}

/** Refuses to send a launch's ticket to a server other than the one that issued it. */
export function checkLaunchServer(launch: Pick<StoredLaunch, "id" | "server">, url: string): void {
  if (launch.server && launch.server !== url) {
    throw new LauncherError(
      "other_server",
      `The ticket of ${launch.id} belongs to ${launch.server}, not ${url}; it was not sent`,
    );
  }
}

async function* follow(
  client: LaunchClient,
  options: FollowLaunchOptions,
): AsyncGenerator<Snapshot, void, undefined> {
  const { store, signal } = options;
  const giveUpAfterMs = options.giveUpAfterMs ?? 30_000;
  let launch = await loadLaunch(options.launch ?? options.ticket, store);
  if (!options.allowOtherServer) checkLaunchServer(launch, client.url);
  if (!launch.server) {
    // From now on this ticket goes to this server only.
    launch = { ...launch, server: client.url };
    await store.put(launch);
  }
  // The newest version shown: never show an older one (a terminal one may come again).
  let shown = launch.lastEventId === undefined ? -1 : Number(launch.lastEventId);
  const events = createQueue<Event>();
  const onAbort = () => events.push({ type: "abort" });
  signal?.addEventListener("abort", onAbort, { once: true });
  // Out of reach: say so once, and give up after `giveUpAfterMs` unless it comes back.
  let giveUp: ReturnType<typeof setTimeout> | undefined;
  let away = false;
  const stopWatching = client.connection.subscribe((state, error) => {
    if (state === "reconnecting") {
      if (!away) options.onConnection?.("reconnecting", error);
      away = true;
      if (giveUp === undefined && Number.isFinite(giveUpAfterMs)) {
        giveUp = setTimeout(() => events.push({ type: "give-up" }), giveUpAfterMs);
      }
    } else if (state === "connected") {
      clearTimeout(giveUp);
      giveUp = undefined;
      if (away) options.onConnection?.("connected");
      away = false;
    }
  });

  let run = 0;
  let retries = 0;
  try {
    while (!signal?.aborted) {
      const current = ++run;
      const subscription = client.launch.follow.subscribe(
        {
          ticket: launch.ticket,
          ...(launch.lastEventId === undefined ? {} : { lastEventId: launch.lastEventId }),
        },
        {
          onData: (event) =>
            events.push({ type: "data", run: current, id: event.id, snapshot: event.data }),
          onError: (error) => events.push({ type: "error", run: current, error }),
          onComplete: () => events.push({ type: "complete", run: current }),
        },
      );
      let pause: number | undefined;
      try {
        for (;;) {
          const event = await events.next();
          if (event.type === "abort") return;
          if (event.type === "give-up") {
            throw new LauncherError(
              "unreachable",
              `Cannot reach the launcher server for ${Math.round(giveUpAfterMs / 1000)} s`,
              { cause: client.connection.error },
            );
          }
          if (event.run !== current) continue;
          if (event.type === "complete") {
            // The server ended the stream before a terminal phase: ask again from here.
            pause = retryDelay(retries++, { baseMs: 100 });
            break;
          }
          if (event.type === "error") {
            const error = toLauncherError(event.error);
            // Only a ticket that can never open again is dropped; any other stays.
            if (ticketIsGone(error) && !signal?.aborted) await store.remove(launch.id);
            if (!TRANSIENT.has(error.code) || retries >= MAX_RETRIES) throw error;
            pause =
              error.code === "rate_limited" && error.retryAfter !== undefined
                ? error.retryAfter * 1000
                : retryDelay(retries);
            retries++;
            break;
          }
          retries = 0;
          const { snapshot } = event;
          const terminal = isTerminal(snapshot.phase);
          if (snapshot.version < shown || (snapshot.version === shown && !terminal)) continue;
          shown = snapshot.version;
          launch = {
            ...launch,
            template: launch.template || snapshot.template,
            driver: launch.driver ?? snapshot.driver,
            lastEventId: event.id ?? String(snapshot.version),
            snapshot: toStoredSnapshot(snapshot),
          };
          if (signal?.aborted) return;
          options.onSnapshot?.(snapshot);
          // A failed or destroyed launch has nothing left to resume: drop the ticket. What a
          // failed one left on the platform (an exited container, a pod that keeps retrying)
          // is torn down first: without the ticket, nobody could do it later.
          const over =
            snapshot.phase === "destroyed" ||
            (snapshot.phase === "failed" && (await destroyFailed(client, launch.ticket)));
          if (over) {
            await store.remove(launch.id);
          } else if (!signal?.aborted) {
            await store.put(launch);
          }
          yield snapshot;
          if (terminal) return;
        }
      } finally {
        subscription.unsubscribe();
      }
      if (pause !== undefined) await delay(pause, signal);
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    stopWatching();
    clearTimeout(giveUp);
  }
}

/**
 * Follows a launch: yields its snapshots until a terminal phase (`ready`, `failed`,
 * `destroyed`). Keeps the ticket, the last event id and the last snapshot (without
 * `access`) in the store, and resumes by itself from there after a dropped connection, a
 * server restart or a new process. A `failed` launch is destroyed (its remains torn down)
 * and, like a `destroyed` one, removed from the store; a `ready` one stays until you remove
 * it (the user dismissed the summary). A refused ticket is removed only when it can never
 * open again (`expired`, `malformed`: see {@link ticketIsGone}); the ticket goes only to
 * the server that issued it unless `allowOtherServer` is set.
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
export function followLaunch(client: LaunchClient, options: FollowLaunchOptions): LaunchFollow {
  return {
    [Symbol.asyncIterator]: () => follow(client, options),
    async done() {
      let last: Snapshot | undefined;
      for await (const snapshot of follow(client, options)) last = snapshot;
      return last && isTerminal(last.phase) ? last : undefined;
    },
  };
}
