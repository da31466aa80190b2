import { TokenError } from "@launcher/crypto-token";
import { DriverError } from "@launcher/drivers";
import { initTRPC, TRPCError } from "@trpc/server";
import { AuthError, type AuthRefusal } from "./auth-error.ts";
import type { LauncherDeps } from "./deps.ts";
import { QuotaError } from "./quota.ts";
import { RateLimitError } from "./rate-limit.ts";
import { type ConnectionState, SubscriptionLimitError } from "./subscription-limit.ts";

/** Per-request context: the server's shared parts and who is asking. */
export interface LauncherContext {
  deps: LauncherDeps;
  /** The client's address, for rate limits. */
  clientAddress: string;
  /** Counts this connection's open subscriptions, for `deps.maxSubscriptions`. */
  connection?: ConnectionState;
  /**
   * Who is asking, as the server's `LAUNCHER_AUTH` found it: `"local"` with `none`; the
   * proxy's header or the session cookie's user with `header` or `oidc`; `null` when the
   * request names no one (then `refusal` says why). Procedures other than `health` never
   * see `null`: they are refused first.
   */
  user: string | null;
  /** Whether `user` may act on everyone's instances (`LAUNCHER_ADMINS`). */
  admin: boolean;
  /** Why `user` is null. */
  refusal?: AuthRefusal;
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
        ...(cause instanceof QuotaError
          ? { quota: { scope: cause.scope, limit: cause.limit, used: cause.used } }
          : {}),
        ...(cause instanceof AuthError
          ? {
              authCode: cause.code,
              ...(cause.details.reason ? { authReason: cause.details.reason } : {}),
              ...(cause.details.signIn ? { signIn: cause.details.signIn } : {}),
            }
          : {}),
      },
    };
  },
});

/** Refuses a request that names no user, before the procedure runs. */
const requireUser = t.middleware(({ ctx, next }) => {
  if (typeof ctx.user !== "string") {
    const refusal = ctx.refusal ?? { reason: "missing", message: "Sign-in required" };
    throw new TRPCError({
      code: "UNAUTHORIZED",
      message: refusal.message,
      cause: new AuthError("unauthenticated", refusal.message, {
        reason: refusal.reason,
        signIn: refusal.signIn,
      }),
    });
  }
  return next({ ctx: { user: ctx.user } });
});

export const createTRPCRouter = t.router;
/** Open to anyone, signed in or not: only `health`. */
export const openProcedure = t.procedure;
/**
 * Every procedure of the API but `health`: public to any user, and only to a user (with
 * `LAUNCHER_AUTH=none` everyone is the user `local`). Its `ctx.user` is a string.
 */
export const publicProcedure = t.procedure.use(requireUser);
export const createCallerFactory = t.createCallerFactory;
export { TRPCError };
