import {
  type ConnectionListener,
  type ConnectionState,
  LauncherError,
  type Snapshot,
  type SubscriptionHandlers,
  type TicketRefusal,
} from "@launcher/client";
import type { InstanceEntry, TemplateList, WebClient } from "../lib/types.ts";

export const TEMPLATES: TemplateList = {
  defaultTemplate: "scratchpad",
  defaultDriver: "local",
  drivers: [
    { name: "local", available: true },
    { name: "fly", available: false, reason: "FLY_API_TOKEN is not set" },
  ],
  templates: [
    {
      id: "jupyter",
      name: "Jupyter",
      description: "JupyterLab notebooks.",
      credentials: ["token"],
      drivers: [
        { driver: "local", available: false, reason: "jupyter is not on PATH" },
        { driver: "fly", available: false, reason: "FLY_API_TOKEN is not set" },
      ],
    },
    {
      id: "scratchpad",
      name: "Scratchpad",
      description: "A small password-protected page.",
      credentials: ["password"],
      drivers: [
        { driver: "local", available: true },
        { driver: "fly", available: false, reason: "FLY_API_TOKEN is not set" },
      ],
    },
  ],
};

export const PASSWORD = "s3cret-Pa55word-xyz_123";
export const SERVER = "http://launcher.test";
const T0 = 1_700_000_000_000;
const KEYS = [
  ["create", "Creating instance"],
  ["start", "Starting"],
  ["check", "Health check"],
] as const;
const ORDER = ["preparing", "creating", "starting", "checking", "ready"] as const;

/** A snapshot as the local driver would send it, at `phase`. */
export function makeSnapshot(
  id: string,
  phase: Snapshot["phase"],
  overrides: Partial<Snapshot> = {},
): Snapshot {
  const at = ORDER.indexOf(phase as (typeof ORDER)[number]);
  const failedAt = 1; // "Starting"
  const steps = KEYS.map(([key, label], index) => {
    const startedAt = T0 + 1000 * (index + 1);
    if (phase === "failed") {
      if (index < failedAt)
        return { key, label, state: "done" as const, startedAt, endedAt: startedAt + 1000 };
      if (index === failedAt)
        return { key, label, state: "failed" as const, startedAt, endedAt: startedAt + 500 };
      return { key, label, state: "skipped" as const };
    }
    const step = index + 1; // creating is ORDER[1]
    if (step < at)
      return { key, label, state: "done" as const, startedAt, endedAt: startedAt + 1000 };
    if (step === at) return { key, label, state: "running" as const, startedAt };
    return { key, label, state: "pending" as const };
  });
  const versions: Partial<Record<Snapshot["phase"], number>> = {
    failed: 5,
    destroying: 6,
    destroyed: 7,
  };
  const snapshot: Snapshot = {
    id,
    template: "scratchpad",
    driver: "local",
    createdAt: T0,
    version: versions[phase] ?? Math.max(0, at),
    phase,
    steps,
    logTail: phase === "preparing" ? [] : [`log line at ${phase}`],
    ...overrides,
  };
  if (phase === "ready" && !("access" in overrides)) {
    snapshot.access = { url: "http://127.0.0.1:4100/", credentials: { password: PASSWORD } };
  }
  return snapshot;
}

interface Follow {
  input: { ticket: string; lastEventId?: string | null };
  handlers: SubscriptionHandlers;
  stopped: boolean;
  /** The stored tickets (sessionStorage) at the moment it subscribed. */
  storedAtSubscribe: string[];
}

export function refusal(tokenCode: TicketRefusal): LauncherError {
  return new LauncherError("ticket_refused", `Ticket refused: ${tokenCode}`, { tokenCode });
}

/**
 * A launcher client whose follow streams the test drives by hand: the same shape as
 * `createLauncherClient`'s, so that the app's real `followLaunch` runs against it.
 */
export function makeFakeClient(
  options: {
    admin?: boolean | "no me procedure";
    /** The signed-in user (`me.user`); `null`: the server wants a sign-in. */
    user?: string | null;
  } = {},
) {
  let count = 0;
  let state: ConnectionState = "connecting";
  const listeners = new Set<ConnectionListener>();
  const follows: Follow[] = [];
  const calls = {
    prepare: [] as unknown[],
    destroy: [] as string[],
    list: 0,
    destroyById: [] as string[],
  };
  /** What `instances.list` answers: the platforms' view, set by the test. */
  let instances: InstanceEntry[] = [];
  /** `follow` fails with this (a quota…) instead of subscribing, while set. */
  let failFollow: LauncherError | undefined;
  let failPrepare: LauncherError | undefined;
  let failDestroy: LauncherError | undefined;
  const admin = options.admin ?? false;

  const client = {
    url: SERVER,
    me: {
      async query() {
        if (admin === "no me procedure") throw new LauncherError("not_found", 'No "me" here');
        if (options.user === null)
          throw new LauncherError("unauthenticated", "Sign in first", { httpStatus: 401 });
        return { user: options.user ?? "someone", admin };
      },
    },
    templates: { list: { query: async () => structuredClone(TEMPLATES) } },
    instances: {
      list: {
        async query() {
          calls.list += 1;
          return { instances: structuredClone(instances) };
        },
      },
      destroy: {
        async mutate({ id }: { id: string }) {
          calls.destroyById.push(id);
          instances = instances.filter((i) => i.id !== id);
          return { id, phase: "destroyed" as const };
        },
      },
    },
    launch: {
      prepare: {
        async mutate(input: unknown) {
          calls.prepare.push(input);
          if (failPrepare) throw failPrepare;
          count += 1;
          return { id: String(count).padStart(32, "0"), ticket: `sealed-ticket-${count}` };
        },
      },
      destroy: {
        async mutate({ ticket }: { ticket: string }) {
          calls.destroy.push(ticket);
          if (failDestroy) throw failDestroy;
          return { id: "" };
        },
      },
      follow: {
        subscribe(input: Follow["input"], handlers: SubscriptionHandlers) {
          const stored = Object.keys(sessionStorage).map((k) => sessionStorage.getItem(k) ?? "");
          const follow: Follow = { input, handlers, stopped: false, storedAtSubscribe: stored };
          follows.push(follow);
          const failure = failFollow;
          if (failure) queueMicrotask(() => follow.stopped || handlers.onError?.(failure));
          return {
            unsubscribe() {
              follow.stopped = true;
            },
          };
        },
      },
    },
    connection: {
      get state() {
        return state;
      },
      error: undefined,
      subscribe(listener: ConnectionListener) {
        listeners.add(listener);
        listener(state);
        return () => void listeners.delete(listener);
      },
    },
  };

  const followOf = (ticket: string) => {
    const found = follows.filter((f) => !f.stopped && f.input.ticket === ticket).at(-1);
    if (!found) throw new Error(`nobody follows ${ticket}`);
    return found;
  };
  return {
    client: client as unknown as WebClient,
    calls,
    follows,
    /** The follows still subscribed. */
    active: () => follows.filter((f) => !f.stopped),
    /** The latest follow still subscribed for a ticket. */
    followOf,
    /** Sends a snapshot to the follower of `ticket`, as a tracked event. */
    send(ticket: string, snapshot: Snapshot, eventId = String(snapshot.version)) {
      followOf(ticket).handlers.onData?.({ id: eventId, data: snapshot });
    },
    /** Refuses the ticket of the follower of `ticket`, as the server does. */
    refuse(ticket: string, tokenCode: TicketRefusal) {
      followOf(ticket).handlers.onError?.(refusal(tokenCode));
    },
    setConnection(next: ConnectionState) {
      state = next;
      for (const l of listeners) l(next);
    },
    failPrepareWith(error: LauncherError | undefined) {
      failPrepare = error;
    },
    failDestroyWith(error: LauncherError | undefined) {
      failDestroy = error;
    },
    /** What the platforms list from now on. */
    setInstances(next: InstanceEntry[]) {
      instances = next;
    },
    failFollowWith(error: LauncherError | undefined) {
      failFollow = error;
    },
  };
}

export { LauncherError };
