import { DriverError } from "@launcher/drivers";
import { TRPCError } from "@trpc/server";

/** Codes of Node and undici errors that mean the connection to the platform dropped or never came up. */
const CONNECTION_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/**
 * Whether `error` says the platform could not be reached or answered badly for a while (an
 * engine restarting, an API's 5xx, a dropped connection), rather than that this launch cannot
 * go on (a bad spec, an app that exited, a health check that timed out). A hiccup is retried
 * and never recorded as the launch's failure: clients destroy a `failed` launch.
 */
export function isPlatformHiccup(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    if (e instanceof DriverError) {
      return e.code === "unavailable" || e.code === "platform" || e.code === "refused";
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) return true;
    e = e.cause;
  }
  return false;
}

/**
 * A driver's error as the client sees it: a platform that cannot be reached is
 * `SERVICE_UNAVAILABLE`, a launch spec it cannot run is `PRECONDITION_FAILED` (both with
 * `data.driverCode`); anything else passes unchanged (an internal error, without its message).
 */
export function toClientError(error: unknown): unknown {
  if (!(error instanceof DriverError)) return error;
  const code =
    error.code === "bad_spec"
      ? "PRECONDITION_FAILED"
      : error.code === "not_found"
        ? "NOT_FOUND"
        : "SERVICE_UNAVAILABLE";
  return new TRPCError({ code, message: error.message, cause: error });
}
