import type { TokenErrorCode } from "@launcher/crypto-token";

/**
 * Why a launcher call failed:
 *
 * - `ticket_refused`: the server would not open the ticket; {@link LauncherError.tokenCode} says why
 * - `unreachable`: the server could not be reached (connection refused, reset, timed out)
 * - `rate_limited`: too many attempts; {@link LauncherError.retryAfter} says for how long
 * - `not_found`: no such template, instance or procedure (or launch in the store)
 * - `bad_request`: the input was rejected (unknown driver, invalid id…)
 * - `unavailable`: the template cannot run on that driver on this server
 * - `unauthenticated`: the server (or a proxy in front of it) wants credentials or a signed-in
 *   user; {@link LauncherError.signIn} says where a browser signs in, when the server said
 * - `forbidden`: not the caller's instance, or a quota is reached ({@link LauncherError.quota})
 * - `other_server`: the ticket belongs to another server; it was not sent (see `followLaunch`)
 * - `server_error`: anything else the server reported (a platform hiccup among them)
 */
export type LauncherErrorCode =
  | "ticket_refused"
  | "unreachable"
  | "rate_limited"
  | "not_found"
  | "bad_request"
  | "unavailable"
  | "unauthenticated"
  | "forbidden"
  | "other_server"
  | "server_error";

/** Why a ticket was refused: the crypto-token codes, as the server sends them in `data.tokenCode`. */
export type TicketRefusal = TokenErrorCode;

// Every code once, with what it means for people: the compiler says so when crypto-token
// gains one. Each reads after "the ticket was refused: ".
const REFUSAL_REASONS: Record<TicketRefusal, string> = {
  expired: "it has expired",
  malformed: "it is damaged",
  invalid: "it is not valid here (altered, or sealed by another server)",
  unknown_key:
    "it was sealed with a key this server does not have (another server's, or keys that changed)",
  not_yet_valid: "it was issued in the future: check this computer's clock",
  too_large: "it is too large",
  missing: "it is missing",
};
const REFUSALS: ReadonlySet<string> = new Set(Object.keys(REFUSAL_REASONS));

/**
 * Why the server refused a ticket, in words for people, by crypto-token code: the one wording
 * of the web app and the CLI.
 *
 * @example
 * `The server refused this launch's ticket: ${refusalReason(error.tokenCode)}.`
 * // "The server refused this launch's ticket: it has expired."
 */
export function refusalReason(tokenCode: TicketRefusal | undefined): string {
  return tokenCode && REFUSALS.has(tokenCode) ? REFUSAL_REASONS[tokenCode] : "it is not valid here";
}

/** A quota that stopped a launch: `FORBIDDEN` with `data.quota`. */
export interface QuotaInfo {
  scope: "user" | "global";
  limit: number;
  used: number;
}

interface ErrorDetails {
  tokenCode?: TicketRefusal | undefined;
  retryAfter?: number | undefined;
  httpStatus?: number | undefined;
  quota?: QuotaInfo | undefined;
  signIn?: string | undefined;
}

/**
 * A launcher call failed. `code` says how, so callers can act on it without
 * parsing messages.
 *
 * @example
 * try {
 *   for await (const snapshot of followLaunch(client, { launch, store })) render(snapshot);
 * } catch (error) {
 *   if (error instanceof LauncherError && ticketIsGone(error)) {
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
  /** For `forbidden` by a quota: which one, its limit and how many are in use. */
  readonly quota?: QuotaInfo;
  /** For `unauthenticated`: the server's path where a browser signs in (`/auth/login`). */
  readonly signIn?: string;

  constructor(code: LauncherErrorCode, message: string, options?: ErrorOptions & ErrorDetails) {
    super(message, options);
    this.code = code;
    if (options?.tokenCode) this.tokenCode = options.tokenCode;
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter;
    if (options?.httpStatus !== undefined) this.httpStatus = options.httpStatus;
    if (options?.quota) this.quota = options.quota;
    if (options?.signIn) this.signIn = options.signIn;
  }
}

/**
 * Whether a refusal means the ticket can never open again, so that keeping it is pointless:
 * only `expired` and `malformed`. Any other refusal (`unknown_key` or `invalid` from a replica
 * with another keyring, `not_yet_valid` from clock skew…) may pass elsewhere or later, and
 * the ticket is the only key to a running instance: keep it.
 *
 * @example
 * if (ticketIsGone(error)) await store.remove(id);
 */
export function ticketIsGone(error: unknown): boolean {
  return (
    error instanceof LauncherError &&
    error.code === "ticket_refused" &&
    (error.tokenCode === "expired" || error.tokenCode === "malformed")
  );
}

const CODE_OF_TRPC: Record<string, LauncherErrorCode> = {
  UNAUTHORIZED: "ticket_refused",
  FORBIDDEN: "forbidden",
  TOO_MANY_REQUESTS: "rate_limited",
  NOT_FOUND: "not_found",
  BAD_REQUEST: "bad_request",
  PARSE_ERROR: "bad_request",
  PRECONDITION_FAILED: "unavailable",
};

interface ErrorShape {
  message?: unknown;
  data?: {
    code?: unknown;
    httpStatus?: unknown;
    tokenCode?: unknown;
    retryAfter?: unknown;
    authCode?: unknown;
    quota?: unknown;
    signIn?: unknown;
  } | null;
}

function readQuota(value: unknown): QuotaInfo | undefined {
  const quota = value as Partial<QuotaInfo> | undefined;
  if (typeof quota !== "object" || quota === null) return undefined;
  if (quota.scope !== "user" && quota.scope !== "global") return undefined;
  if (typeof quota.limit !== "number" || typeof quota.used !== "number") return undefined;
  return { scope: quota.scope, limit: quota.limit, used: quota.used };
}

/**
 * A tRPC error shape as the server sends it (`{ message, code, data: { code, tokenCode… } }`),
 * as a {@link LauncherError}; `undefined` when it is no such shape.
 */
export function errorFromShape(value: unknown, cause?: unknown): LauncherError | undefined {
  const shape = value as ErrorShape | undefined;
  const data = shape?.data;
  if (typeof data?.code !== "string") return undefined;
  const message = typeof shape?.message === "string" ? shape.message : data.code;
  const httpStatus = typeof data.httpStatus === "number" ? data.httpStatus : undefined;
  const tokenCode =
    typeof data.tokenCode === "string" && REFUSALS.has(data.tokenCode)
      ? (data.tokenCode as TicketRefusal)
      : undefined;
  let code = CODE_OF_TRPC[data.code] ?? "server_error";
  if (data.authCode === "unauthenticated") code = "unauthenticated";
  else if (code === "ticket_refused" && !tokenCode) code = "server_error";
  return new LauncherError(code, message, {
    cause,
    tokenCode,
    httpStatus,
    retryAfter: typeof data.retryAfter === "number" ? data.retryAfter : undefined,
    quota: readQuota(data.quota),
    // A path on the same server, never a link elsewhere (`//host` is another host).
    signIn:
      typeof data.signIn === "string" && /^\/(?![/\\])/.test(data.signIn) ? data.signIn : undefined,
  });
}

/**
 * Turns whatever a launcher call threw into a {@link LauncherError}; a `LauncherError` is
 * returned as it is. Errors of a plain tRPC client (`TRPCClientError`) are understood too.
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
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === "TRPCClientError") {
    // Without an error shape, the request never got an answer from the server.
    return (
      errorFromShape({ message, data: (error as { data?: unknown }).data }, error) ??
      new LauncherError("unreachable", `Cannot reach the launcher server (${message})`, {
        cause: error,
      })
    );
  }
  return new LauncherError("server_error", message, { cause: error });
}
