import type { AppRouter } from "@launcher/api";
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  splitLink,
  type TRPCClient,
  wsLink,
} from "@trpc/client";

/** A WebSocket constructor: the browser's, Node 22's global one, or `ws`'s on Node 20. */
export type WebSocketConstructor = typeof globalThis.WebSocket;

export interface LauncherClientOptions {
  /** The launcher server's base URL, e.g. `http://127.0.0.1:3000` (tRPC lives at `/trpc`). */
  url: string | URL;
  /** Where there is no global `WebSocket` (Node 20), pass `ws`'s: `import WebSocket from "ws"`. */
  WebSocket?: unknown;
  /** Extra headers for HTTP calls (queries and mutations). */
  headers?: Record<string, string> | (() => Record<string, string>);
  /**
   * How long to wait before reconnection attempt `n` (0-based) of the WebSocket.
   * Default: 0, then 500 ms doubling up to 5 s.
   */
  retryDelayMs?: (attempt: number) => number;
}

/** A typed tRPC client for the launcher's `AppRouter`, closable. */
export type LauncherClient = TRPCClient<AppRouter> & {
  /** Closes the WebSocket, if one is open, so that a Node process can exit. */
  close(): Promise<void>;
};

/** How long a closing socket may wait for the server's closing handshake. */
export const CLOSE_GRACE_MS = 1000;

/**
 * `ws`'s sockets (Node) wait up to 30 s for a hung server's closing handshake before they
 * report the close, and tRPC reconnects (or gives up) only then. This subclass ends the
 * socket after {@link CLOSE_GRACE_MS} instead. The browser's WebSocket has no `terminate`
 * and is returned as it is (the web app has its own watchdog).
 */
export function withBoundedClose<T>(Base: T): T {
  type NodeSocket = {
    terminate(): void;
    once(event: "close", listener: () => void): unknown;
    close(code?: number, reason?: string): void;
  };
  const Socket = Base as unknown as (new (...args: unknown[]) => NodeSocket) | undefined;
  if (typeof Socket?.prototype?.terminate !== "function") return Base;
  return class BoundedCloseWebSocket extends Socket {
    override close(code?: number, reason?: string): void {
      super.close(code, reason);
      const timer = setTimeout(() => this.terminate(), CLOSE_GRACE_MS);
      timer.unref();
      this.once("close", () => clearTimeout(timer));
    }
  } as unknown as T;
}

const defaultRetryDelay = (attempt: number) =>
  attempt === 0 ? 0 : Math.min(250 * 2 ** attempt, 5000);

/** `http://host:3000/` → `http://host:3000/trpc`, and the matching `ws:` URL. */
function endpoints(base: string | URL): { http: string; ws: string } {
  const url = new URL(base);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`The launcher URL must be http: or https:, not ${url.protocol}`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/trpc`;
  url.search = "";
  url.hash = "";
  const http = url.toString();
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return { http, ws: url.toString() };
}

/**
 * Creates a typed client for a launcher server: HTTP (batched) for queries and
 * mutations, one WebSocket for subscriptions, opened on first use, kept alive with
 * pings and reconnected (with resubscription from the last event id) when it drops.
 *
 * @example
 * import WebSocket from "ws";
 * const client = createLauncherClient({ url: "http://127.0.0.1:3000", WebSocket });
 * const { templates } = await client.templates.list.query();
 * await client.close();
 */
export function createLauncherClient(options: LauncherClientOptions): LauncherClient {
  const { http, ws } = endpoints(options.url);
  const WebSocketImpl = (options.WebSocket ?? globalThis.WebSocket) as
    | WebSocketConstructor
    | undefined;
  if (!WebSocketImpl) {
    throw new TypeError(
      'No global WebSocket here: pass one, e.g. createLauncherClient({ url, WebSocket }) with `import WebSocket from "ws"`',
    );
  }
  const wsClient = createWSClient({
    url: ws,
    WebSocket: withBoundedClose(WebSocketImpl),
    lazy: { enabled: true, closeMs: 1000 },
    keepAlive: { enabled: true, intervalMs: 5000, pongTimeoutMs: 3000 },
    retryDelayMs: options.retryDelayMs ?? defaultRetryDelay,
  });
  const headers = options.headers;
  const trpc = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: wsLink({ client: wsClient }),
        false: httpBatchLink({
          url: http,
          headers: typeof headers === "function" ? headers : () => headers ?? {},
        }),
      }),
    ],
  });
  const close = () => wsClient.close();
  // The tRPC client is a proxy in which every property is a procedure path; `close` is
  // not one (no router is named so), so it is served here.
  return new Proxy(trpc, {
    get(target, property, receiver) {
      if (property === "close") return close;
      return Reflect.get(target, property, receiver);
    },
  }) as LauncherClient;
}
