import { EventEmitter, once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isTerminal, type Snapshot } from "@launcher/contract";
import { initTRPC, TRPCError, tracked } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import { WebSocketServer } from "ws";

// A stand-in for the launcher's API with the same wire contract (tracked versions, resume
// from lastEventId, a terminal snapshot always resent, refusals with data.tokenCode, /health
// beside /trpc), so that the client is tested against a real tRPC server and real sockets.
export const ID = "0123456789abcdef0123456789abcdef";
export const TICKET = "sealed-ticket";

export function createPlatform() {
  const changes = new EventEmitter();
  const history: Snapshot[] = [];
  return {
    history,
    changes,
    /** Every lastEventId a follow came with (null: none). */
    follows: [] as (string | null)[],
    /** Every ticket destroy was called with. */
    destroyed: [] as string[],
    /** Destroy answers `SERVICE_UNAVAILABLE` (the platform is away) while set. */
    destroyFails: false,
    publish(phase: Snapshot["phase"], extra: Partial<Snapshot> = {}) {
      history.push({
        id: ID,
        template: "scratchpad",
        driver: "local",
        createdAt: 1,
        version: history.length,
        phase,
        steps: [],
        logTail: [],
        ...extra,
      });
      changes.emit("change");
    },
  };
}
export type Platform = ReturnType<typeof createPlatform>;

class RefusalCause extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** A ticket `refused:<code>` is refused with that crypto-token code; any other but TICKET is `invalid`. */
function refusal(ticket: string): RefusalCause | undefined {
  if (ticket === TICKET) return undefined;
  return new RefusalCause(ticket.startsWith("refused:") ? ticket.slice(8) : "invalid");
}

function createRouter(platform: Platform) {
  const t = initTRPC.create({
    errorFormatter: ({ shape, error }) => ({
      ...shape,
      data: {
        ...shape.data,
        ...(error.cause instanceof RefusalCause ? { tokenCode: error.cause.code } : {}),
      },
    }),
  });
  const open = (ticket: string) => {
    const refused = refusal(ticket);
    if (refused) throw new TRPCError({ code: "UNAUTHORIZED", cause: refused });
  };
  return t.router({
    health: t.procedure.query(() => ({ ok: true })),
    launch: t.router({
      prepare: t.procedure.mutation(() => ({ id: ID, ticket: TICKET })),
      destroy: t.procedure
        .input((raw) => raw as { ticket: string })
        .mutation(({ input }) => {
          open(input.ticket);
          platform.destroyed.push(input.ticket);
          if (platform.destroyFails) {
            throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "the engine is away" });
          }
          return { id: ID };
        }),
      follow: t.procedure
        .input((raw) => raw as { ticket: string; lastEventId?: string | null })
        .subscription(async function* ({ input, signal }) {
          platform.follows.push(input.lastEventId ?? null);
          open(input.ticket);
          let sent = input.lastEventId == null ? -1 : Number(input.lastEventId);
          let first = input.lastEventId == null;
          while (!signal?.aborted) {
            const current = platform.history.at(-1);
            if (current) {
              const terminal = isTerminal(current.phase);
              if (first || current.version > sent || terminal) {
                first = false;
                sent = current.version;
                yield tracked(String(current.version), current);
                if (terminal) return;
              }
            }
            await once(platform.changes, "change", { signal }).catch(() => undefined);
          }
        }),
    }),
  });
}

export interface FakeServerOptions {
  port?: number;
  /**
   * Stands behind a proxy with Basic auth (as nginx's `auth_basic`): every request but
   * `/health` without this `Authorization` header, upgrades included, is answered 401.
   */
  authorization?: string;
}

const PROXY_401 = "<html><head><title>401 Authorization Required</title></head></html>";

export async function startFakeServer(platform: Platform, options: FakeServerOptions = {}) {
  const router = createRouter(platform);
  const trpc = createHTTPHandler({ router, basePath: "/trpc/" });
  /** The `Authorization` header of every request and upgrade that was let in. */
  const admitted: (string | undefined)[] = [];
  const admits = (req: IncomingMessage) => {
    const ok = !options.authorization || req.headers.authorization === options.authorization;
    if (ok) admitted.push(req.headers.authorization);
    return ok;
  };
  const http: Server = createServer((req, res) => {
    if (req.url === "/health") res.writeHead(200).end('{"ok":true}');
    else if (!admits(req)) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="Launcher"' }).end(PROXY_401);
    } else trpc(req, res);
  });
  const wss = new WebSocketServer({
    server: http,
    verifyClient: ({ req }: { req: IncomingMessage }) => admits(req),
  });
  const handler = applyWSSHandler({ wss, router });
  let connections = 0;
  wss.on("connection", () => connections++);
  await new Promise<void>((resolve) => http.listen(options.port ?? 0, "127.0.0.1", resolve));
  const address = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    admitted,
    /** How many WebSocket connections were ever opened. */
    connections: () => connections,
    /** Drops every WebSocket as a crashed server or a broken network would. */
    dropConnections() {
      for (const socket of wss.clients) socket.terminate();
    },
    async close() {
      handler.broadcastReconnectNotification();
      for (const socket of wss.clients) socket.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
