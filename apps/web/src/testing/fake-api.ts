import type { Snapshot } from "@launcher/api";
import {
  type ConnectionStatus,
  type FollowHandlers,
  type FollowInput,
  LaunchError,
  type LauncherApi,
  type TemplateList,
} from "../lib/launcher-api.ts";

export const TEMPLATES: TemplateList = {
  defaultTemplate: "scratchpad",
  defaultDriver: "local",
  drivers: [{ name: "local", available: true }],
  templates: [
    {
      id: "jupyter",
      name: "Jupyter",
      description: "JupyterLab notebooks.",
      credentials: ["token"],
      drivers: [{ driver: "local", available: false, reason: "jupyter is not on PATH" }],
    },
    {
      id: "scratchpad",
      name: "Scratchpad",
      description: "A small password-protected page.",
      credentials: ["password"],
      drivers: [{ driver: "local", available: true }],
    },
  ],
};

export const PASSWORD = "s3cret-Pa55word-xyz_123";
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
  const snapshot: Snapshot = {
    id,
    template: "scratchpad",
    driver: "local",
    createdAt: T0,
    version: phase === "failed" ? 5 : phase === "destroyed" ? 6 : Math.max(0, at),
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
  input: FollowInput;
  handlers: FollowHandlers;
  stopped: boolean;
  /** The stored tickets (sessionStorage) at the moment it subscribed. */
  storedAtSubscribe: string[];
}

/** A LauncherApi whose follow streams the test drives by hand. */
export function makeFakeApi() {
  let count = 0;
  let status: ConnectionStatus = "connecting";
  const listeners = new Set<(s: ConnectionStatus) => void>();
  const follows: Follow[] = [];
  const calls = { prepare: [] as unknown[], destroy: [] as string[] };
  let failPrepare: LaunchError | undefined;

  const api: LauncherApi = {
    listTemplates: async () => structuredClone(TEMPLATES),
    async prepare(input) {
      calls.prepare.push(input);
      if (failPrepare) throw failPrepare;
      count += 1;
      return { id: String(count).padStart(32, "0"), ticket: `sealed-ticket-${count}` };
    },
    follow(input, handlers) {
      const stored = Object.keys(sessionStorage).map((k) => sessionStorage.getItem(k) ?? "");
      const follow: Follow = { input, handlers, stopped: false, storedAtSubscribe: stored };
      follows.push(follow);
      return () => {
        follow.stopped = true;
      };
    },
    async destroy(ticket) {
      calls.destroy.push(ticket);
    },
    watchConnection(listener) {
      listeners.add(listener);
      listener(status);
      return () => listeners.delete(listener);
    },
  };

  return {
    api,
    calls,
    follows,
    /** The follows still subscribed. */
    active: () => follows.filter((f) => !f.stopped),
    /** The latest follow still subscribed for a ticket. */
    followOf(ticket: string) {
      const found = follows.filter((f) => !f.stopped && f.input.ticket === ticket).at(-1);
      if (!found) throw new Error(`nobody follows ${ticket}`);
      return found;
    },
    /** Sends a snapshot to the follower of `ticket`, as a tracked event. */
    send(ticket: string, snapshot: Snapshot) {
      this.followOf(ticket).handlers.onData(snapshot, String(snapshot.version));
    },
    setConnection(next: ConnectionStatus) {
      status = next;
      for (const l of listeners) l(next);
    },
    failPrepareWith(error: LaunchError | undefined) {
      failPrepare = error;
    },
  };
}

export { LaunchError };
