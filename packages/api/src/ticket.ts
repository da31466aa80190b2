import { seal, TokenError, unseal } from "@launcher/crypto-token";
import { RateLimitError, type RateLimiter } from "./rate-limit.ts";
import { type TicketPayload, type TicketPayloadInput, TicketPayloadSchema } from "./schemas.ts";
import type { LauncherContext } from "./trpc.ts";
import { TRPCError } from "./trpc.ts";

export const TICKET_PURPOSE = "launch";

/** Seals a launch ticket with the newest key. */
export function sealTicket(ctx: LauncherContext, payload: TicketPayloadInput): Promise<string> {
  return seal(ctx.deps.keyring, payload, {
    purpose: TICKET_PURPOSE,
    maxAge: ctx.deps.ticketMaxAge,
  });
}

/**
 * Opens a ticket before anything else happens. A refusal is `UNAUTHORIZED` carrying the
 * crypto-token code; repeated refusals from one address are rate-limited.
 */
export async function openTicket(ctx: LauncherContext, ticket: string): Promise<TicketPayload> {
  const { limits, keyring, logger } = ctx.deps;
  try {
    limits.unseal.check(ctx.clientAddress);
  } catch (error) {
    throw rateLimited(error);
  }
  try {
    // The configured max age, not only the one sealed in: lowering it retires older tickets,
    // which could otherwise re-create instances whose tombstones are gone.
    return await unseal(keyring, ticket, {
      purpose: TICKET_PURPOSE,
      schema: TicketPayloadSchema,
      maxAge: ctx.deps.ticketMaxAge,
    });
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    logger.warn({ tokenCode: error.code, client: ctx.clientAddress }, "ticket refused");
    try {
      limits.unseal.hit(ctx.clientAddress);
    } catch {
      // The refusal below already tells the client; the next attempt is limited.
    }
    throw new TRPCError({
      code: "UNAUTHORIZED",
      message: `Ticket refused: ${error.code}`,
      cause: error,
    });
  }
}

export function rateLimited(error: unknown): TRPCError {
  if (!(error instanceof RateLimitError)) throw error;
  return new TRPCError({ code: "TOO_MANY_REQUESTS", message: error.message, cause: error });
}

/** Counts one event against a rate limit, or refuses with `TOO_MANY_REQUESTS`. */
export function limit(limiter: RateLimiter, key: string): void {
  try {
    limiter.hit(key);
  } catch (error) {
    throw rateLimited(error);
  }
}
