import { CLOSE_GRACE_MS, closeGracefully, detach } from "#socket-close";
import type {
  Connection,
  ConnectionListener,
  ConnectionState,
  SocketLike,
  SubscriptionHandlers,
} from "./connection.ts";
import { errorFromShape, LauncherError } from "./errors.ts";
import { answersHealth } from "./health-probe.ts";

export interface SocketOptions {
  /** `ws(s)://…/trpc` */
  url: string;
  /** `http(s)://…/health`, probed while the server is out of reach. */
  healthUrl: string;
  WebSocket: new (url: string, init?: { headers: Record<string, string> }) => SocketLike;
  /**
   * Headers for the upgrade request, read at each connect (Node: `ws` and Node 22's
   * WebSocket take them; a browser's cannot send any, its cookies go by themselves).
   */
  headers?: () => Record<string, string>;
  /**
   * Asked when the server answers `/health` but the socket still cannot open (or the upgrade
   * was answered 401): a refusal it returns (`unauthenticated`) ends the subscriptions with
   * that error instead of trying again and again. Never throws.
   */
  checkAccess?: () => Promise<LauncherError | undefined>;
  fetch: typeof globalThis.fetch;
  /** Open only while something is subscribed (Node apps can exit); else at once, for good. */
  lazy: boolean;
  /** Quiet this long, then a ping; no answer within `pongTimeoutMs` and the socket is dropped. */
  keepAlive: { intervalMs: number; pongTimeoutMs: number };
  /** How long an opening socket (and a probe) may take. */
  connectTimeoutMs: number;
  /** Before attempt `n` again when the server answers `/health` but the socket fails. */
  retryDelayMs: (attempt: number) => number;
  /** Before probe `n` of `/health` while the server is out of reach. */
  probeDelayMs: (attempt: number) => number;
}

/** A lazy socket closes this long after its last subscription ends. */
const LAZY_CLOSE_MS = 1_000;
/** A socket that closes sooner than this after opening counts as a failed attempt. */
const SHORT_LIVED_MS = 1_000;

interface Subscription {
  path: string;
  input: unknown;
  handlers: SubscriptionHandlers;
  /** The last tracked event id: a resubscription after a reconnect resumes from it. */
  lastEventId?: string;
}

/**
 * One WebSocket speaking tRPC's subscription protocol, with a watchdog and a fast way back:
 *
 * - any quiet spell ends in a ping; a socket with no answer is dropped at once, without
 *   waiting for a closing handshake a hung server may never finish;
 * - a dropped socket is opened again at once; while the server is out of reach, `/health`
 *   is probed every ~100 ms (then with backoff), and the socket opens again on the first
 *   answer, so that a restarted server is found as soon as it listens;
 * - subscriptions survive reconnects: each is sent again with its last event id.
 */
export function createSocket(options: SocketOptions) {
  const subscriptions = new Map<number, Subscription>();
  const listeners = new Set<ConnectionListener>();
  let nextId = 0;
  let socket: SocketLike | undefined;
  let open = false;
  let openedAt = 0;
  let closed = false;
  let state: ConnectionState = "idle";
  let lastError: LauncherError | undefined;
  /** Attempts in a row that did not get a lasting connection. */
  let failures = 0;
  let probes = 0;
  /** Whether the last probe found the server answering (then the socket itself failed). */
  let healthy = false;
  /** Whether the last upgrade was answered 401 (`ws` says so; a browser's socket cannot). */
  let upgradeRefused = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let connectTimer: ReturnType<typeof setTimeout> | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let lazyTimer: ReturnType<typeof setTimeout> | undefined;

  const setState = (next: ConnectionState) => {
    if (next === state) return;
    state = next;
    for (const listener of [...listeners])
      listener(next, next === "reconnecting" ? lastError : undefined);
  };
  const wanted = () => !closed && (!options.lazy || subscriptions.size > 0);
  const unreachable = (message: string) => new LauncherError("unreachable", message);

  const send = (message: unknown) => {
    if (open) socket?.send(typeof message === "string" ? message : JSON.stringify(message));
  };
  const sendSubscribe = (id: number, sub: Subscription) =>
    send({
      id,
      method: "subscription",
      params: {
        path: sub.path,
        input: sub.input,
        ...(sub.lastEventId === undefined ? {} : { lastEventId: sub.lastEventId }),
      },
    });

  /** The server said something: it lives. After a quiet spell, ask. */
  const heard = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      send("PING");
      watchdog = setTimeout(
        () => drop(unreachable("The launcher server stopped answering")),
        options.keepAlive.pongTimeoutMs,
      );
    }, options.keepAlive.intervalMs);
  };

  function connect(): void {
    clearTimeout(retryTimer);
    retryTimer = undefined;
    if (socket || !wanted()) return;
    if (state === "idle") setState("connecting");
    let ws: SocketLike;
    upgradeRefused = false;
    try {
      const headers = options.headers?.() ?? {};
      ws =
        Object.keys(headers).length > 0
          ? new options.WebSocket(options.url, { headers })
          : new options.WebSocket(options.url);
    } catch (error) {
      lastError = new LauncherError("unreachable", `Cannot open a WebSocket to ${options.url}`, {
        cause: error,
      });
      failures++;
      retry();
      return;
    }
    socket = ws;
    connectTimer = setTimeout(
      () => drop(unreachable("The launcher server did not answer")),
      options.connectTimeoutMs,
    );
    ws.onopen = () => {
      clearTimeout(connectTimer);
      open = true;
      openedAt = Date.now();
      probes = 0;
      healthy = false;
      lastError = undefined;
      setState("connected");
      heard();
      for (const [id, sub] of subscriptions) sendSubscribe(id, sub);
    };
    ws.onmessage = (event) => {
      heard();
      receive(event.data);
    };
    ws.onclose = () => drop(unreachable("The connection to the launcher server closed"));
    // A close follows. `ws` names the status of a refused upgrade ("Unexpected server response: 401").
    ws.onerror = (event: { message?: unknown }) => {
      if (/response: 401\b/.test(String(event?.message ?? ""))) upgradeRefused = true;
    };
  }

  /** Abandons the socket at once (no closing handshake to wait for) and finds the way back. */
  function drop(error: LauncherError): void {
    const ws = socket;
    if (!ws) return;
    const lasted = open && Date.now() - openedAt >= SHORT_LIVED_MS;
    socket = undefined;
    open = false;
    clearTimeout(watchdog);
    clearTimeout(connectTimer);
    detach(ws);
    try {
      if (ws.terminate) ws.terminate();
      else ws.close();
    } catch {
      // already closed
    }
    lastError = error;
    failures = lasted ? 0 : failures + 1;
    retry();
  }

  function retry(): void {
    clearTimeout(retryTimer);
    if (!wanted()) {
      setState(closed ? state : "idle");
      return;
    }
    setState("reconnecting");
    // A connection that was up: straight back. Else probe, fast, until the server answers.
    if (failures === 0) {
      connect();
      return;
    }
    const wait = healthy ? options.retryDelayMs(failures - 1) : options.probeDelayMs(probes);
    retryTimer = setTimeout(async () => {
      const answeredBefore = healthy;
      probes++;
      healthy = await answersHealth(options);
      if (socket || !wanted()) return;
      if (healthy && (answeredBefore || upgradeRefused) && options.checkAccess) {
        const refusal = await options.checkAccess();
        if (socket || !wanted()) return;
        if (refusal) return refuse(refusal);
      }
      if (healthy) connect();
      else retry();
    }, wait);
  }

  /**
   * The server will not let this client in (no credentials, or ones it refuses): trying
   * again cannot help, so every subscription ends with `error`, and the socket stays shut
   * until something is subscribed again.
   */
  function refuse(error: LauncherError): void {
    const refused = [...subscriptions.values()];
    subscriptions.clear();
    retryTimer = undefined;
    failures = 0;
    probes = 0;
    healthy = false;
    lastError = undefined;
    setState("idle");
    for (const sub of refused) sub.handlers.onError?.(error);
  }

  function receive(data: unknown): void {
    if (data === "PING") {
      send("PONG");
      return;
    }
    if (typeof data !== "string" || data === "PONG") return;
    let message: {
      id?: unknown;
      method?: unknown;
      error?: unknown;
      result?: { type?: unknown; id?: unknown; data?: unknown };
    };
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message.method === "reconnect") {
      // The server is going away (a restart, a deploy): find it, or another, again.
      drop(unreachable("The launcher server is restarting"));
      return;
    }
    const id = message.id as number;
    const sub = subscriptions.get(id);
    if (!sub) return;
    if (message.error !== undefined) {
      subscriptions.delete(id);
      sub.handlers.onError?.(
        errorFromShape(message.error) ?? new LauncherError("server_error", "Subscription failed"),
      );
      settle();
      return;
    }
    const result = message.result;
    if (result?.type === "started") sub.handlers.onStarted?.();
    else if (result?.type === "stopped") {
      subscriptions.delete(id);
      sub.handlers.onComplete?.();
      settle();
    } else if (result) {
      if (typeof result.id === "string") sub.lastEventId = result.id;
      sub.handlers.onData?.(result.data);
    }
  }

  /** Stops every timer and closes the socket, if one is open; the state is `idle` after. */
  function shut(): Promise<void> {
    for (const timer of [retryTimer, connectTimer, watchdog, lazyTimer]) clearTimeout(timer);
    const ws = socket;
    socket = undefined;
    open = false;
    setState("idle");
    return ws ? closeGracefully(ws) : Promise.resolve();
  }

  /** A lazy socket closes a moment after its last subscription ends. */
  function settle(): void {
    if (!options.lazy || subscriptions.size > 0) return;
    clearTimeout(lazyTimer);
    lazyTimer = setTimeout(() => {
      if (subscriptions.size === 0) void shut();
    }, LAZY_CLOSE_MS);
  }

  if (!options.lazy) connect();

  return {
    connection: {
      get state() {
        return state;
      },
      get error() {
        return state === "reconnecting" ? lastError : undefined;
      },
      subscribe(listener: ConnectionListener) {
        listeners.add(listener);
        listener(state, state === "reconnecting" ? lastError : undefined);
        return () => void listeners.delete(listener);
      },
    } satisfies Connection,

    /** Subscribes to `path`; returns the function that stops (and tells the server). */
    subscribe(path: string, input: unknown, handlers: SubscriptionHandlers): () => void {
      if (closed) throw new TypeError("This launcher client is closed");
      const id = ++nextId;
      const sub: Subscription = { path, input, handlers };
      subscriptions.set(id, sub);
      clearTimeout(lazyTimer);
      if (open) sendSubscribe(id, sub);
      else if (!socket && retryTimer === undefined) connect();
      return () => {
        if (!subscriptions.delete(id)) return;
        send({ id, method: "subscription.stop" });
        settle();
      };
    },

    /** Closes the socket for good; resolves once it is closed (at most {@link CLOSE_GRACE_MS}). */
    close(): Promise<void> {
      closed = true;
      subscriptions.clear();
      return shut();
    },
  };
}

export type LauncherSocket = ReturnType<typeof createSocket>;
