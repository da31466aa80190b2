import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import {
  appRouter,
  createInstanceLister,
  createLaunchSessions,
  createObservationHub,
  createQuotas,
  createRateLimiter,
  createReaper,
  type LauncherContext,
  type LauncherDeps,
} from "@launcher/api";
import { TokenError } from "@launcher/crypto-token";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import { WebSocketServer } from "ws";
import { createAuth } from "./auth/index.ts";
import { createConnectionLimit } from "./connection-limit.ts";
import { createDrivers } from "./drivers.ts";
import type { Env } from "./env.ts";
import { loadKeyring } from "./keyring.ts";
import type { Logger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { openApiJson } from "./openapi.ts";
import { createStaticHandler, SECURITY_HEADERS } from "./static-files.ts";
import { sweepAfterStart } from "./sweeps.ts";
import { loadTemplates } from "./templates.ts";

export const VERSION = "0.1.0";
const MAX_MESSAGE_BYTES = 64 * 1024;

export interface LauncherServer {
  server: Server;
  /** The URL it listens on, once listening. */
  url: string;
  listen(): Promise<void>;
  /** Graceful: tell WebSocket clients to reconnect, stop accepting, drain, close. */
  close(): Promise<void>;
}

/** `HOST` as it goes in a URL: an IPv6 address in brackets. */
const urlHost = (host: string) => (host.includes(":") ? `[${host}]` : host);

/**
 * The origins a browser page of this server has (`http://127.0.0.1:PORT` and
 * `http://localhost:PORT`, `HOST` when it names one, and `LAUNCHER_PUBLIC_URL`); upgrades
 * from others are refused.
 */
export function allowedOrigins(env: Env, port: number): Set<string> {
  const own = [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  if (env.HOST !== "127.0.0.1" && env.HOST !== "0.0.0.0" && env.HOST !== "::") {
    own.push(new URL(`http://${urlHost(env.HOST)}:${port}`).origin);
  }
  if (env.LAUNCHER_PUBLIC_URL) own.push(env.LAUNCHER_PUBLIC_URL);
  return new Set([...own, ...env.LAUNCHER_ALLOWED_ORIGINS]);
}

/** Ends an upgrade with a plain HTTP answer (the socket is not a WebSocket yet). */
function refuseUpgrade(socket: Socket, status: string, body = "") {
  socket.end(
    `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export async function createLauncherServer(env: Env, logger: Logger): Promise<LauncherServer> {
  const { keyring, source } = await loadKeyring(env.LAUNCHER_KEYS, env.LAUNCHER_STATE_DIR);
  if (source === "dev-file")
    logger.warn(
      { stateDir: env.LAUNCHER_STATE_DIR },
      "using the dev keyring in the state dir; set LAUNCHER_KEYS in production",
    );
  const visible = await loadTemplates(env);
  const auth = createAuth(env, keyring, logger);
  const metrics = createMetrics({
    instances: () => instances,
    token: env.LAUNCHER_METRICS_TOKEN,
    isTrustedProxy: auth.trusted.has,
  });
  const lazyDrivers = createDrivers(env, logger);
  const drivers = metrics.instrumentDrivers(lazyDrivers);
  const stopSweeps = sweepAfterStart(lazyDrivers, logger);

  const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
  const launches = createLaunchSessions({
    hub: metrics.instrumentHub(
      createObservationHub({
        onError: (id, error) => logger.warn({ id, err: messageOf(error) }, "observation failed"),
      }),
    ),
    onError: (id, error, what) => logger.warn({ id, err: messageOf(error) }, `${what} failed`),
  });
  const perMinute = (limit: number) => createRateLimiter({ perMinute: limit, burst: limit });
  // The platforms are the database: what runs, whose it is and until when, read on demand.
  const instances = createInstanceLister({ drivers, logger });
  const quotas = createQuotas({
    perUser: env.LAUNCHER_MAX_INSTANCES_PER_USER,
    global: env.LAUNCHER_MAX_INSTANCES,
    list: async () => (await instances.list()).instances,
  });
  const reaper = createReaper({
    lister: instances,
    logger,
    intervalMs: env.LAUNCHER_REAP_INTERVAL * 1000,
  });
  const deps: LauncherDeps = {
    keyring,
    drivers,
    templates: visible,
    defaultTemplate: env.LAUNCHER_DEFAULT_TEMPLATE,
    defaultDriver: env.LAUNCHER_DEFAULT_DRIVER,
    ticketMaxAge: env.LAUNCHER_TICKET_MAX_AGE,
    instanceTtl: env.LAUNCHER_INSTANCE_TTL,
    launches,
    limits: {
      unseal: perMinute(env.LAUNCHER_UNSEAL_LIMIT),
      prepare: perMinute(env.LAUNCHER_PREPARE_LIMIT),
      destroy: perMinute(env.LAUNCHER_DESTROY_LIMIT),
      follow: perMinute(env.LAUNCHER_FOLLOW_LIMIT),
      followInstance: perMinute(env.LAUNCHER_FOLLOW_INSTANCE_LIMIT),
    },
    maxSubscriptions: env.LAUNCHER_MAX_SUBSCRIPTIONS,
    instances,
    quotas,
    logger,
    version: VERSION,
  };

  // Called once per WebSocket connection (and per HTTP request): the subscription
  // count it starts lives exactly as long as the connection, and so does its user.
  const createContext = async ({ req }: { req: IncomingMessage }): Promise<LauncherContext> => ({
    deps,
    clientAddress: auth.clientAddress(req),
    connection: { subscriptions: 0 },
    ...(await auth.identify(req)),
  });
  const onError = ({
    error,
    path,
  }: {
    error: { code: string; message: string; cause?: unknown };
    path?: string;
  }) => {
    if (error.cause instanceof TokenError) metrics.ticketRefused(error.cause.code);
    if (error.code === "INTERNAL_SERVER_ERROR") {
      const cause = error.cause instanceof Error ? error.cause.message : error.message;
      logger.error({ path, err: cause }, "procedure failed");
    }
  };

  const trpc = createHTTPHandler({
    router: appRouter,
    createContext,
    basePath: "/trpc/",
    onError,
    maxBodySize: MAX_MESSAGE_BYTES,
    // Each call of a batch runs at once: without a cap one request starts thousands.
    maxBatchSize: env.LAUNCHER_MAX_BATCH_SIZE,
  });
  const staticFiles = createStaticHandler(env.LAUNCHER_WEB_DIR);
  let origins = new Set<string>();
  const foreign = (req: IncomingMessage) =>
    req.headers.origin !== undefined && !origins.has(req.headers.origin);
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (path === "/health") {
      res.writeHead(200, { "content-type": "application/json", ...SECURITY_HEADERS });
      res.end(JSON.stringify({ ok: true, version: VERSION }));
    } else if (path === "/metrics") {
      metrics.serve(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    } else if (path === "/openapi.json") {
      res.writeHead(200, { "content-type": "application/json", ...SECURITY_HEADERS });
      res.end(openApiJson(VERSION));
    } else if (path.startsWith("/trpc/")) {
      // With a cookie or a proxy's Basic auth the browser sends credentials by itself, to
      // any page's request: only the launcher's own pages may call it then.
      if (auth.required && foreign(req)) {
        logger.warn({ origin: req.headers.origin, path }, "request from a foreign origin refused");
        res.writeHead(403, { "content-type": "application/json", ...SECURITY_HEADERS });
        res.end(JSON.stringify({ error: { message: "Origin not allowed", code: -32003 } }));
        return;
      }
      trpc(req, res);
    } else if (auth.routes && path.startsWith("/auth/")) {
      auth.routes(req, res, path).then(
        (served) => {
          if (!served) res.writeHead(404, SECURITY_HEADERS).end();
        },
        () => {
          if (!res.headersSent) res.writeHead(500, SECURITY_HEADERS).end();
        },
      );
    } else {
      staticFiles(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    }
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext,
    onError,
    keepAlive: { enabled: true, pingMs: 10_000, pongWaitMs: 5_000 },
    // A reconnecting client resends all its subscriptions in one message.
    maxBatchSize: Math.max(env.LAUNCHER_MAX_BATCH_SIZE, env.LAUNCHER_MAX_SUBSCRIPTIONS),
  });
  const connections = createConnectionLimit(env.LAUNCHER_MAX_CONNECTIONS_PER_ADDRESS);
  server.on("upgrade", async (req, socket: Socket, head) => {
    socket.on("error", () => socket.destroy());
    const path = (req.url ?? "/").split("?")[0]!;
    const origin = req.headers.origin;
    if (!path.startsWith("/trpc") || foreign(req)) {
      logger.warn({ origin, path }, "websocket upgrade refused");
      return refuseUpgrade(socket, "403 Forbidden");
    }
    const identity = await auth.identify(req).catch((error: unknown) => {
      logger.error(
        { err: error instanceof Error ? error.message : String(error) },
        "identify failed",
      );
      return undefined;
    });
    if (!identity) return refuseUpgrade(socket, "500 Internal Server Error");
    if (identity.user === null) {
      return refuseUpgrade(socket, "401 Unauthorized", `${identity.refusal?.message ?? ""}\n`);
    }
    const client = auth.clientAddress(req);
    const release = connections.take(client);
    if (!release) {
      logger.warn({ client }, "websocket upgrade refused: too many connections");
      return refuseUpgrade(socket, "429 Too Many Requests", "Too many connections\n");
    }
    socket.once("close", release);
    if (socket.destroyed) return release();
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });

  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  const launcher: LauncherServer = {
    server,
    url: "",
    listen: () =>
      new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(env.PORT, env.HOST, () => {
          const { port } = server.address() as AddressInfo;
          origins = allowedOrigins(env, port);
          launcher.url = `http://${urlHost(env.HOST)}:${port}`;
          reaper.start();
          resolve();
        });
      }),
    async close() {
      // No new round; a destroy under way ends on its own (one cut short: the next sweep).
      void reaper.stop();
      wsHandler.broadcastReconnectNotification();
      server.close();
      // Give clients a moment to receive the notice, then drop what is left.
      await new Promise((resolve) => setTimeout(resolve, 300).unref());
      launches.close();
      stopSweeps();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeIdleConnections();
      for (const socket of sockets) socket.destroy();
    },
  };
  return launcher;
}
