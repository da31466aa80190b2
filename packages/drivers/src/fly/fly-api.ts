import { DriverError } from "../driver.ts";
import { parseRetryAfter, type RetryOptions, retryDelay, sleep } from "../retry.ts";

/** A Machines API answer the caller handles itself (2xx, or a status it listed as expected). */
export interface FlyResponse<T = unknown> {
  status: number;
  body: T;
}

export interface FlyApiOptions {
  token: string;
  apiUrl: string;
  fetch: typeof fetch;
  retry: Required<RetryOptions>;
}

/** The statuses that say "try again later" rather than "no". */
const TRANSIENT = (status: number) => status === 429 || status >= 500;

/**
 * A thin client for the Fly Machines API: bearer auth, JSON, retries of 429/5xx and
 * dropped connections with backoff, and errors that never carry the token.
 */
export function createFlyApi(options: FlyApiOptions) {
  const { token, apiUrl, retry } = options;
  const doFetch = options.fetch;

  async function request<T = unknown>(
    method: string,
    path: string,
    init: { body?: unknown; expect?: readonly number[]; signal?: AbortSignal } = {},
  ): Promise<FlyResponse<T>> {
    const url = `${apiUrl.replace(/\/$/, "")}/v1${path}`;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await doFetch(url, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: "application/json",
            ...(init.body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
          signal: init.signal,
        });
      } catch (error) {
        if (init.signal?.aborted) throw init.signal.reason;
        if (attempt >= retry.retries) {
          throw new DriverError("unavailable", `Fly.io could not be reached (${method} ${path})`, {
            cause: error,
          });
        }
        await sleep(retryDelay(attempt, retry), init.signal);
        continue;
      }
      const text = await response.text();
      const body = parseBody(text);
      if (response.ok || init.expect?.includes(response.status)) {
        return { status: response.status, body: body as T };
      }
      if (response.status === 401 || response.status === 403) {
        throw new DriverError("refused", "Fly.io refused the API token");
      }
      if (TRANSIENT(response.status) && attempt < retry.retries) {
        const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
        await sleep(retryDelay(attempt, retry, retryAfter), init.signal);
        continue;
      }
      throw new DriverError(
        response.status === 404
          ? "not_found"
          : response.status === 400 // "Check that the parameters were correct"
            ? "bad_spec"
            : TRANSIENT(response.status)
              ? "unavailable"
              : "platform",
        `Fly.io answered ${response.status} to ${method} ${path}${describe(body)}`,
      );
    }
  }

  return { request };
}

export type FlyApi = ReturnType<typeof createFlyApi>;

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The platform's own error text, short; Fly's errors name resources, never secrets we sent. */
function describe(body: unknown): string {
  const message =
    typeof body === "object" && body !== null && "error" in body
      ? String((body as { error: unknown }).error)
      : typeof body === "string"
        ? body
        : "";
  return message ? `: ${message.slice(0, 200)}` : "";
}
