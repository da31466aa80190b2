import { DriverError } from "../driver.ts";

/** How long a question to the engine (version, a registry manifest) may take. */
export const ENGINE_TIMEOUT_MS = 5000;

/** The HTTP status of an Engine API error (dockerode puts it on `statusCode`). */
export function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number } | undefined)?.statusCode;
}

/** Docker answers a name clash with 409; Podman with 500 "that name is already in use". */
export function isNameConflict(error: unknown): boolean {
  const status = statusOf(error);
  return status === 409 || (status === 500 && /already (in use|exists)/i.test(shortMessage(error)));
}

/** The first line of an engine error's message: no stack, no request dump. */
export function shortMessage(error: unknown): string {
  const raw = error as { json?: { message?: string }; message?: string; code?: string };
  const message = raw?.json?.message ?? raw?.message ?? String(error);
  return message.split("\n")[0]!.trim();
}

const UNREACHABLE_CODES = new Set([
  "ENOENT",
  "ECONNREFUSED",
  "EACCES",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "timeout",
]);

const EXPLAIN: Record<string, string> = {
  ENOENT: "no socket there",
  ECONNREFUSED: "connection refused",
  EACCES: "permission denied",
  timeout: `no answer within ${ENGINE_TIMEOUT_MS / 1000} s`,
};

/** Why no engine answers at `where` (a socket or host:port), in words a user can act on. */
export function unreachableReason(error: unknown, where: string): string {
  const code = (error as { code?: string } | undefined)?.code;
  const why = (code && EXPLAIN[code]) ?? code ?? shortMessage(error);
  return `No container engine answers at ${where} (${why})`;
}

/**
 * An engine failure as a `DriverError`: `unavailable` when the engine cannot be reached (the
 * launch may go on once it answers again), `platform` when it answered with an error.
 */
export function toDriverError(error: unknown, action: string, where: string): DriverError {
  if (error instanceof DriverError) return error;
  const code = (error as { code?: string } | undefined)?.code;
  if (code && UNREACHABLE_CODES.has(code)) {
    return new DriverError("unavailable", unreachableReason(error, where), { cause: error });
  }
  return new DriverError("platform", `could not ${action}: ${shortMessage(error)}`, {
    cause: error,
  });
}

/** Rejects with a `timeout`-coded error when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error("timeout"), { code: "timeout" })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
