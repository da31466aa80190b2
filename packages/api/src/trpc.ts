import { TokenError } from "@launcher/crypto-token";
import { DriverError } from "@launcher/drivers";
import { initTRPC, TRPCError } from "@trpc/server";
import type { LauncherDeps } from "./deps.ts";
import { RateLimitError } from "./rate-limit.ts";
import { type ConnectionState, SubscriptionLimitError } from "./subscription-limit.ts";

/** Per-request context: the server's shared parts and who is asking. */
export interface LauncherContext {
  deps: LauncherDeps;
  /** The client's address, for rate limits. */
  clientAddress: string;
  /** Counts this connection's open subscriptions, for `deps.maxSubscriptions`. */
  connection?: ConnectionState;
}

const t = initTRPC.context<LauncherContext>().create({
  // Never send a stack trace; always say which crypto-token refusal it was.
  isDev: false,
  // Subscriptions only over the WebSocket: over HTTP (SSE) the ticket would ride in the URL,
  // into every proxy's access log, and past the per-connection subscription limit.
  sse: { enabled: false },
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const internal = error.code === "INTERNAL_SERVER_ERROR";
    return {
      code: shape.code,
      message: internal ? "Internal server error" : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        ...(cause instanceof TokenError ? { tokenCode: cause.code } : {}),
        ...(cause instanceof DriverError ? { driverCode: cause.code } : {}),
        ...(cause instanceof RateLimitError ? { retryAfter: cause.retryAfter } : {}),
        ...(cause instanceof SubscriptionLimitError ? { maxSubscriptions: cause.limit } : {}),
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const publicProcedure = t.procedure;
export const createCallerFactory = t.createCallerFactory;
export { TRPCError };
