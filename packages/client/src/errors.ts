import type { TokenErrorCode } from "@launcher/crypto-token";
import { TRPCClientError } from "@trpc/client";

/**
 * Why a launcher call failed:
 *
 * - `ticket_refused`: the server would not open the ticket; {@link LauncherError.tokenCode} says why
 * - `unreachable`: the server could not be reached (connection refused, reset, timed out)
 * - `rate_limited`: too many attempts; {@link LauncherError.retryAfter} says for how long
 * - `not_found`: no such template (or launch in the store)
 * - `bad_request`: the input was rejected (unknown driver, invalid id…)
 * - `unavailable`: the template cannot run on that driver on this server
 * - `server_error`: anything else the server reported
 */
export type LauncherErrorCode =
  | "ticket_refused"
  | "unreachable"
  | "rate_limited"
  | "not_found"
  | "bad_request"
  | "unavailable"
  | "server_error";

/**
 * Why a ticket was refused: the crypto-token codes, as the server sends them in
 * `data.tokenCode`.
 */
export type TicketRefusal = TokenErrorCode;

// Every code once: the compiler says so when crypto-token gains one.
const REFUSALS: ReadonlySet<string> = new Set(
  Object.keys({
    malformed: true,
    invalid: true,
    expired: true,
    not_yet_valid: true,
    unknown_key: true,
    too_large: true,
    missing: true,
  } satisfies Record<TicketRefusal, true>),
);

/**
 * A launcher call failed. `code` says how, so callers can act on it without
 * parsing messages.
 *
 * @example
 * try {
 *   for await (const snapshot of followLaunch(client, { launch, store })) render(snapshot);
 * } catch (error) {
 *   if (error instanceof LauncherError && error.code === "ticket_refused") {
 *     console.error(`This launch can no longer be resumed (${error.tokenCode}).`);
 *   } else throw error;
 * }
 */
export class LauncherError extends Error {
  override readonly name = "LauncherError";
  readonly code: LauncherErrorCode;
  /** For `ticket_refused`: the crypto-token code. */
  readonly tokenCode?: TicketRefusal;
  /** For `rate_limited`: seconds to wait before trying again, when the server said. */
  readonly retryAfter?: number;
  /** The HTTP status the server answered with, if it answered. */
  readonly httpStatus?: number;

  constructor(
    code: LauncherErrorCode,
    message: string,
    options?: ErrorOptions & {
      tokenCode?: TicketRefusal;
      retryAfter?: number;
      httpStatus?: number;
    },
  ) {
    super(message, options);
    this.code = code;
    if (options?.tokenCode) this.tokenCode = options.tokenCode;
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter;
    if (options?.httpStatus !== undefined) this.httpStatus = options.httpStatus;
  }
}

const CODE_OF_TRPC: Record<string, LauncherErrorCode> = {
  UNAUTHORIZED: "ticket_refused",
  TOO_MANY_REQUESTS: "rate_limited",
  NOT_FOUND: "not_found",
  BAD_REQUEST: "bad_request",
  PARSE_ERROR: "bad_request",
  PRECONDITION_FAILED: "unavailable",
};

interface ErrorData {
  code?: unknown;
  httpStatus?: unknown;
  tokenCode?: unknown;
  retryAfter?: unknown;
}

/**
 * Turns whatever a tRPC call threw into a {@link LauncherError}; a `LauncherError`
 * is returned as it is.
 *
 * @example
 * try {
 *   await client.launch.destroy.mutate({ ticket });
 * } catch (error) {
 *   const { code } = toLauncherError(error);
 *   if (code === "unreachable") retryLater();
 * }
 */
export function toLauncherError(error: unknown): LauncherError {
  if (error instanceof LauncherError) return error;
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? undefined) as ErrorData | undefined;
    const trpcCode = typeof data?.code === "string" ? data.code : undefined;
    const httpStatus = typeof data?.httpStatus === "number" ? data.httpStatus : undefined;
    if (trpcCode === undefined) {
      // No error shape from the server: the request never got an answer.
      return new LauncherError(
        "unreachable",
        `Cannot reach the launcher server (${error.message})`,
        {
          cause: error,
        },
      );
    }
    const code = CODE_OF_TRPC[trpcCode] ?? "server_error";
    const tokenCode =
      typeof data?.tokenCode === "string" && REFUSALS.has(data.tokenCode)
        ? (data.tokenCode as TicketRefusal)
        : undefined;
    const retryAfter = typeof data?.retryAfter === "number" ? data.retryAfter : undefined;
    if (code === "ticket_refused" && !tokenCode) {
      return new LauncherError("server_error", error.message, { cause: error, httpStatus });
    }
    return new LauncherError(code, error.message, {
      cause: error,
      tokenCode,
      retryAfter,
      httpStatus,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new LauncherError("server_error", message, { cause: error });
}
