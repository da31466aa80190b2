import type { AppRouter, Snapshot } from "@launcher/api";
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  splitLink,
  TRPCClientError,
  wsLink,
} from "@trpc/client";
import WebSocket from "ws";

/**
 * A plain tRPC client as another app would build one (HTTP, and wsLink for subscriptions),
 * whose WebSocket also records what the server sent
 * outside of any request, such as tRPC's `reconnect` notification.
 */
export function makeClient(
  url: string,
  options: { origin?: string; wsUrl?: string; headers?: Record<string, string> } = {},
) {
  const states: string[] = [];
  const notifications: string[] = [];
  class TappedWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, {
        ...(options.origin ? { origin: options.origin } : {}),
        ...(options.headers ? { headers: options.headers } : {}),
      });
      this.on("message", (data: Buffer) => {
        const text = data.toString();
        if (text.includes('"method":"reconnect"')) notifications.push("reconnect");
      });
    }
  }
  const wsClient = createWSClient({
    url: options.wsUrl ?? `${url.replace(/^http/, "ws")}/trpc`,
    WebSocket: TappedWebSocket as unknown as typeof globalThis.WebSocket,
    retryDelayMs: () => 100,
    onOpen: () => states.push("open"),
    onClose: () => states.push("close"),
  });
  const client = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: wsLink({ client: wsClient }),
        false: httpBatchLink({ url: `${url}/trpc`, headers: options.headers }),
      }),
    ],
  });
  return {
    client,
    wsClient,
    states,
    notifications,
    isOpen: () => states.at(-1) === "open",
    close: () => wsClient.close(),
  };
}

export type Client = ReturnType<typeof makeClient>["client"];

export interface Followed {
  snapshots: Snapshot[];
  ids: string[];
  errors: unknown[];
  /** Resolves with the terminal snapshot. */
  done: Promise<Snapshot>;
  /** Resolves when a snapshot matching `test` arrives. */
  until(test: (s: Snapshot) => boolean, timeoutMs?: number): Promise<Snapshot>;
  stop(): void;
}

/** Follows a launch, recording every event, until a terminal phase. */
export function follow(client: Client, input: { ticket: string; lastEventId?: string }): Followed {
  const snapshots: Snapshot[] = [];
  const ids: string[] = [];
  const errors: unknown[] = [];
  const waiters = new Set<() => void>();
  let settle!: (s: Snapshot) => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<Snapshot>((res, rej) => {
    settle = res;
    fail = rej;
  });
  done.catch(() => {});
  const subscription = client.launch.follow.subscribe(input, {
    onData(event) {
      const { id, data } = event as unknown as { id: string; data: Snapshot };
      ids.push(id);
      snapshots.push(data);
      for (const wake of waiters) wake();
      if (["ready", "failed", "destroyed"].includes(data.phase)) settle(data);
    },
    onError(error) {
      errors.push(error);
      fail(error);
      for (const wake of waiters) wake();
    },
  });
  return {
    snapshots,
    ids,
    errors,
    done,
    until(test, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; phases so far: ${snapshots.map((s) => s.phase).join(",")}`));
        }, timeoutMs);
        const check = () => {
          const hit = snapshots.find(test);
          if (hit) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(hit);
          } else if (errors.length) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(errors[0]);
          }
        };
        waiters.add(check);
        check();
      });
    },
    stop: () => subscription.unsubscribe(),
  };
}

/** Waits up to `ms` for `promise`. */
export function within<T>(promise: Promise<T>, ms = 30_000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms),
    ),
  ]);
}

export function tokenCodeOf(error: unknown): string | undefined {
  return error instanceof TRPCClientError
    ? (error.data as { tokenCode?: string } | undefined)?.tokenCode
    : undefined;
}

export const basicAuth = (password: string) => ({
  authorization: `Basic ${Buffer.from(`user:${password}`).toString("base64")}`,
});
