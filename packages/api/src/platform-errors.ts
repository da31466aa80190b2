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
 * What a failed `ensure` (or platform call) says about the launch:
 *
 * - `unreachable`: the platform could not be reached or refused the launcher (an engine
 *   restarting, a dropped connection, credentials refused). Retried for as long as someone
 *   follows; never the launch's failure (clients destroy a `failed` launch).
 * - `platform`: the platform answered with an error. Drivers say so for a passing 5xx as well
 *   as for this launch's end (an app that exited, a health check that timed out): retried a
 *   few times, then taken as the launch's failure.
 * - `launch`: this launch cannot go on (a bad spec, a gone instance, anything unexpected).
 */
export type ErrorKind = "unreachable" | "platform" | "launch";

export function kindOfError(error: unknown): ErrorKind {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    if (e instanceof DriverError) {
      if (e.code === "unavailable" || e.code === "refused") return "unreachable";
      return e.code === "platform" ? "platform" : "launch";
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) return "unreachable";
    e = e.cause;
  }
  return "launch";
}

/** Whether `error` may pass by itself: the platform was unreachable or answered an error. */
export const isPlatformHiccup = (error: unknown): boolean => kindOfError(error) !== "launch";

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
