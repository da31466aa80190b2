import type { AppRouter } from "@launcher/api";
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  splitLink,
  TRPCClientError,
  wsLink,
} from "@trpc/client";
import { type ConnectionStatus, LaunchError, type LauncherApi } from "./launcher-api.ts";
import { makeRetryDelay } from "./retry-delay.ts";
import { makeWatchdogWebSocket } from "./watchdog-socket.ts";

function toLaunchError(error: unknown): LaunchError {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as { code?: unknown; tokenCode?: unknown };
    const code = typeof data.code === "string" ? data.code : "NETWORK";
    const tokenCode = typeof data.tokenCode === "string" ? data.tokenCode : undefined;
    return new LaunchError(error.message, code, tokenCode);
  }
  return new LaunchError(error instanceof Error ? error.message : String(error), "NETWORK");
}

async function call<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw toLaunchError(error);
  }
}

/**
 * The launcher API over tRPC: subscriptions on a WebSocket that reconnects quickly and
 * resumes with the last event id, everything else over batched HTTP.
 * @example
 * const api = makeTrpcApi(); // same origin as the page
 */
export function makeTrpcApi(base: URL = new URL("/trpc", location.href)): LauncherApi {
  const wsUrl = new URL(base);
  wsUrl.protocol = base.protocol === "https:" ? "wss:" : "ws:";
  const wsClient = createWSClient({
    url: wsUrl.href,
    WebSocket: makeWatchdogWebSocket(),
    retryDelayMs: makeRetryDelay(),
    // A hung connection shows within intervalMs + pongTimeoutMs, well under the 30 s a
    // closing handshake can take.
    keepAlive: { enabled: true, intervalMs: 4_000, pongTimeoutMs: 2_000 },
  });
  const client = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: wsLink({ client: wsClient }),
        false: httpBatchLink({ url: base.href }),
      }),
    ],
  });

  return {
    listTemplates: () => call(client.templates.list.query()),
    prepare: (input) => call(client.launch.prepare.mutate(input)),
    destroy: async (ticket) => void (await call(client.launch.destroy.mutate({ ticket }))),
    follow(input, handlers) {
      const subscription = client.launch.follow.subscribe(input, {
        onData: ({ id, data }) => handlers.onData(data, id),
        onError: (error) => handlers.onError(toLaunchError(error)),
        onComplete: () => handlers.onComplete(),
      });
      return () => subscription.unsubscribe();
    },
    watchConnection(listener) {
      let connected = false;
      const subscription = wsClient.connectionState.subscribe({
        next(state) {
          let status: ConnectionStatus = "connecting";
          if (state.state === "pending") {
            connected = true;
            status = "connected";
          } else if (connected || state.error) status = "reconnecting";
          listener(status);
        },
      });
      return () => subscription.unsubscribe();
    },
  };
}
