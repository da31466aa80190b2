import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import {
  appRouter,
  createObservationHub,
  createRateLimiter,
  type LauncherContext,
  type LauncherDeps,
} from "@launcher/api";
import { bundledTemplates, parseTemplates } from "@launcher/drivers/templates";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import { WebSocketServer } from "ws";
import { createDrivers } from "./drivers.ts";
import type { Env } from "./env.ts";
import { loadKeyring } from "./keyring.ts";
import type { Logger } from "./logger.ts";
import { createStaticHandler, SECURITY_HEADERS } from "./static-files.ts";

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

/**
 * The origins a browser page of this server has (`http://127.0.0.1:PORT` and
 * `http://localhost:PORT`, plus `HOST` when it names one); upgrades from others are refused.
 */
export function allowedOrigins(env: Env, port: number): Set<string> {
  const own = [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  if (env.HOST !== "127.0.0.1" && env.HOST !== "0.0.0.0" && env.HOST !== "::") {
    own.push(`http://${env.HOST}:${port}`);
  }
  return new Set([...own, ...env.LAUNCHER_ALLOWED_ORIGINS]);
}

export async function createLauncherServer(env: Env, logger: Logger): Promise<LauncherServer> {
  const { keyring, source } = await loadKeyring(env.LAUNCHER_KEYS, env.LAUNCHER_STATE_DIR);
  if (source === "dev-file")
    logger.warn(
      { stateDir: env.LAUNCHER_STATE_DIR },
      "using the dev keyring in the state dir; set LAUNCHER_KEYS in production",
    );
  const templates = env.LAUNCHER_TEMPLATES
    ? parseTemplates(JSON.parse(await readFile(env.LAUNCHER_TEMPLATES, "utf8")))
    : bundledTemplates({ fixtures: env.LAUNCHER_FIXTURES });
  const visible = templates.filter((t) => env.LAUNCHER_FIXTURES || !t.fixture);
  const drivers = createDrivers(env, logger);

  const hub = createObservationHub({
    onError: (id, error) =>
      logger.warn(
        { id, err: error instanceof Error ? error.message : String(error) },
        "observation failed",
      ),
  });
  const deps: LauncherDeps = {
    keyring,
    drivers,
    templates: visible,
    defaultTemplate: env.LAUNCHER_DEFAULT_TEMPLATE,
    defaultDriver: env.LAUNCHER_DEFAULT_DRIVER,
    ticketMaxAge: env.LAUNCHER_TICKET_MAX_AGE,
    hub,
    limits: {
      unseal: createRateLimiter({
        perMinute: env.LAUNCHER_UNSEAL_LIMIT,
        burst: env.LAUNCHER_UNSEAL_LIMIT,
      }),
      prepare: createRateLimiter({
        perMinute: env.LAUNCHER_PREPARE_LIMIT,
        burst: env.LAUNCHER_PREPARE_LIMIT,
      }),
    },
    maxSubscriptions: env.LAUNCHER_MAX_SUBSCRIPTIONS,
    logger,
    version: VERSION,
  };

  const clientAddress = (req: IncomingMessage) => {
    const forwarded = env.LAUNCHER_TRUST_PROXY ? req.headers["x-forwarded-for"] : undefined;
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
    return first || req.socket.remoteAddress || "unknown";
  };
  // Called once per WebSocket connection (and per HTTP request): the subscription
  // count it starts lives exactly as long as the connection.
  const createContext = ({ req }: { req: IncomingMessage }): LauncherContext => ({
    deps,
    clientAddress: clientAddress(req),
    connection: { subscriptions: 0 },
  });
  const onError = ({
    error,
    path,
  }: {
    error: { code: string; message: string; cause?: unknown };
    path?: string;
  }) => {
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
  });
  const staticFiles = createStaticHandler(env.LAUNCHER_WEB_DIR);
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (path === "/health") {
      res.writeHead(200, { "content-type": "application/json", ...SECURITY_HEADERS });
      res.end(JSON.stringify({ ok: true, version: VERSION }));
    } else if (path.startsWith("/trpc/")) {
      trpc(req, res);
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
  });
  let origins = new Set<string>();
  server.on("upgrade", (req, socket: Socket, head) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const origin = req.headers.origin;
    if (!path.startsWith("/trpc") || (origin !== undefined && !origins.has(origin))) {
      logger.warn({ origin, path }, "websocket upgrade refused");
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
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
          const host = env.HOST.includes(":") ? `[${env.HOST}]` : env.HOST;
          launcher.url = `http://${host}:${port}`;
          resolve();
        });
      }),
    async close() {
      wsHandler.broadcastReconnectNotification();
      server.close();
      // Give clients a moment to receive the notice, then drop what is left.
      await new Promise((resolve) => setTimeout(resolve, 300).unref());
      hub.close();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeIdleConnections();
      for (const socket of sockets) socket.destroy();
    },
  };
  return launcher;
}
