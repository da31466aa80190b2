import { AuthError } from "./auth-error.ts";
import { type LauncherContext, TRPCError } from "./trpc.ts";

/** Who asks, for the ownership rules. */
export interface Caller {
  user: string;
  /** May act on everyone's instances. */
  admin: boolean;
}

/**
 * The caller of a procedure that requires a user (every one but `health`). With
 * `LAUNCHER_AUTH=none` the server names its one user `local`, an admin (`ctx.admin`), who so
 * acts on every instance.
 */
export function callerOf(ctx: LauncherContext): Caller {
  if (typeof ctx.user !== "string") {
    // The `publicProcedure` middleware refuses such a request before any procedure runs.
    throw new TypeError("callerOf: a procedure without a user");
  }
  return { user: ctx.user, admin: ctx.admin };
}

/** Whether `caller` may follow, list or destroy an instance of `owner`: its owner or an admin. */
export function mayActOn(caller: Caller, owner: string): boolean {
  return caller.admin || caller.user === owner;
}

/**
 * Refuses, before anything changes, a caller who is neither the instance's owner nor an
 * admin: tRPC `FORBIDDEN` with `data.authCode: "not_owner"`. The message names no owner.
 *
 * @example
 * assertOwner(callerOf(ctx), ticket.owner);
 */
export function assertOwner(caller: Caller, owner: string): void {
  if (mayActOn(caller, owner)) return;
  const message = "This instance belongs to another user";
  throw new TRPCError({ code: "FORBIDDEN", message, cause: new AuthError("not_owner", message) });
}

/** Refuses a caller who is not an admin: `FORBIDDEN`, `not_owner` (the instances are others'). */
export function assertAdmin(caller: Caller, what: string): void {
  if (caller.admin) return;
  const message = `Only an admin (LAUNCHER_ADMINS) may ${what}`;
  throw new TRPCError({ code: "FORBIDDEN", message, cause: new AuthError("not_owner", message) });
}
