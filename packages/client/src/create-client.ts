import type { AppRouter } from "@launcher/api";
import { type HeadersOption, readHeaders } from "#credential-headers";
import { retryDelay } from "./backoff.ts";
import type { Connection, SocketLike } from "./connection.ts";
import { toLauncherError } from "./errors.ts";
import { makeHttpCall } from "./http-call.ts";
import { type CallOptions, makeRouterProxy, type RouterClient } from "./router-client.ts";
import { createSocket } from "./socket.ts";

/** A WebSocket constructor: the browser's, Node 22's global one, or `ws`'s on Node 20. */
export type WebSocketConstructor = typeof globalThis.WebSocket;

export interface LauncherClientOptions {
  /** The launcher server's base URL, e.g. `http://127.0.0.1:3000` (tRPC lives at `/trpc`). */
  url: string | URL;
  /** Where there is no global `WebSocket` (Node 20), pass `ws`'s: `import WebSocket from "ws"`. */
  WebSocket?: unknown;
  /**
   * Headers for every HTTP call and, in Node, for the WebSocket's upgrade too: credentials
   * for the server or a proxy in front of it, e.g. `{ authorization: "Bearer …" }` (a
   * function is read again for each request and each connect). A browser's WebSocket cannot
   * send headers, so there they go with HTTP calls only; the browser sends the launcher's
   * session cookie (or a proxy's Basic auth) with both by itself. The values never appear
   * in an error message, and never in a stored launch.
   */
  headers?: HeadersOption;
  /** `fetch` for HTTP calls and health probes; the global one by default. */
  fetch?: typeof globalThis.fetch;
  /**
   * Open the WebSocket only while something is followed, so that a Node process can exit
   * (default); `false` opens it at once and keeps it (a page: the first launch is faster).
   */
  lazy?: boolean;
  /** Ping after this much quiet (default 4 s); drop the socket without a pong in 2 s. */
  keepAlive?: { intervalMs?: number; pongTimeoutMs?: number };
  /**
   * How long to wait before attempt `n` (0-based) when the server answers `/health` but the
   * WebSocket fails. Default: 125–250 ms doubling up to 1–2 s, jittered.
   */
  retryDelayMs?: (attempt: number) => number;
  /**
   * How long to wait before probe `n` of `/health` while the server is out of reach.
   * Default: 75–150 ms for about 20 s, then growing to 1–2 s, jittered.
   */
  probeDelayMs?: (attempt: number) => number;
}

/** A typed client for the launcher's `AppRouter`, closable. */
export type LauncherClient = RouterClient<AppRouter["_def"]["record"]> & {
  /** The server's base URL, as launches remember it: `http://host:3000` (no trailing `/`). */
  readonly url: string;
  /** The WebSocket's state, for a "connected / reconnecting" badge. */
  readonly connection: Connection;
  /** Closes the WebSocket, if one is open, so that a Node process can exit. */
  close(): Promise<void>;
};

/** What launches need of a client (a narrower fake does for tests). */
export type LaunchClient = Pick<LauncherClient, "launch" | "connection" | "url">;

/** A page or a browser's worker, whose WebSocket cannot send headers. */
const IN_BROWSER =
  typeof (globalThis as { document?: unknown }).document !== "undefined" ||
  typeof (globalThis as { importScripts?: unknown }).importScripts === "function";

/** Fast probes for about 20 s of outage, then the usual backoff. */
const FAST_PROBES = 160;
const defaultProbeDelay = (attempt: number) =>
  attempt < FAST_PROBES ? retryDelay(0, { baseMs: 150 }) : retryDelay(attempt - FAST_PROBES);

/**
 * A server's base URL as launches remember it: `http://host:3000/x/` → `http://host:3000/x`.
 * Throws a `TypeError` for anything but `http:` and `https:`.
 */
export function normalizeServerUrl(base: string | URL): string {
  const url = new URL(base);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`The launcher URL must be http: or https:, not ${url.protocol}`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * Creates a typed client for a launcher server: HTTP for queries and mutations, one
 * WebSocket for subscriptions that notices a hung server within seconds (pings), comes back
 * as soon as the server listens again (it probes `/health`), and resubscribes from the last
 * event id. Plain JSON on the wire, as tRPC's own links send it; no tRPC client inside.
 *
 * @example
 * import WebSocket from "ws";
 * const client = createLauncherClient({
 *   url: "https://launcher.example.org",
 *   WebSocket,
 *   headers: { authorization: `Bearer ${process.env.LAUNCHER_TOKEN}` },
 * });
 * const { templates } = await client.templates.list.query();
 * await client.close();
 */
export function createLauncherClient(options: LauncherClientOptions): LauncherClient {
  const base = normalizeServerUrl(options.url);
  const WebSocketImpl = (options.WebSocket ?? globalThis.WebSocket) as
    | (new (
        url: string,
        init?: { headers: Record<string, string> },
      ) => SocketLike)
    | undefined;
  if (!WebSocketImpl) {
    throw new TypeError(
      'No global WebSocket here: pass one, e.g. createLauncherClient({ url, WebSocket }) with `import WebSocket from "ws"`',
    );
  }
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const { headers } = options;
  readHeaders(headers); // a value that cannot be sent is a mistake to report now
  const http = makeHttpCall({ url: `${base}/trpc`, headers, fetch: fetchImpl });
  const socket = createSocket({
    url: `${base.replace(/^http/, "ws")}/trpc`,
    healthUrl: `${base}/health`,
    WebSocket: WebSocketImpl,
    // A page's WebSocket takes no headers (a second argument would be a subprotocol).
    ...(headers && !IN_BROWSER ? { headers: () => readHeaders(headers) } : {}),
    checkAccess: () =>
      http("query", "me", undefined, AbortSignal.timeout(5_000)).then(
        () => undefined,
        (error) => {
          const refusal = toLauncherError(error);
          return refusal.code === "unauthenticated" ? refusal : undefined;
        },
      ),
    fetch: fetchImpl,
    lazy: options.lazy ?? true,
    keepAlive: {
      intervalMs: options.keepAlive?.intervalMs ?? 4_000,
      pongTimeoutMs: options.keepAlive?.pongTimeoutMs ?? 2_000,
    },
    connectTimeoutMs: 5_000,
    retryDelayMs: options.retryDelayMs ?? ((attempt) => retryDelay(attempt)),
    probeDelayMs: options.probeDelayMs ?? defaultProbeDelay,
  });
  const procedures = makeRouterProxy({
    call: (type, path, input, callOptions?: CallOptions) =>
      http(type, path, input, callOptions?.signal),
    subscribe: socket.subscribe,
  }) as object;
  const own: Record<string, unknown> = {
    url: base,
    connection: socket.connection,
    close: socket.close,
  };
  // Every other property is a procedure path (no router of the API is named so).
  return new Proxy(procedures, {
    get: (target, key) =>
      typeof key === "string" && Object.hasOwn(own, key) ? own[key] : Reflect.get(target, key),
  }) as LauncherClient;
}
