import { type HeadersOption, readHeaders } from "#credential-headers";
import { errorFromShape, LauncherError } from "./errors.ts";

export interface HttpCallOptions {
  /** The tRPC endpoint, e.g. `http://127.0.0.1:3000/trpc`. */
  url: string;
  /** Sent with every call (credentials, say: never in an error message). */
  headers?: HeadersOption | undefined;
  fetch?: typeof globalThis.fetch | undefined;
}

export type HttpCall = (
  type: "query" | "mutation",
  path: string,
  input: unknown,
  signal?: AbortSignal,
) => Promise<unknown>;

/**
 * Calls a query (GET, input in `?input=`) or a mutation (POST, input as the JSON body) the
 * way tRPC's own `httpLink` does, with no transformer: plain JSON both ways. Answers that
 * carry a tRPC error become a {@link LauncherError}; a bare HTTP 401 (a proxy's) is
 * `unauthenticated`; no answer at all is `unreachable`.
 */
export function makeHttpCall(options: HttpCallOptions): HttpCall {
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  return async (type, path, input, signal) => {
    let url = `${options.url}/${path}`;
    const init: RequestInit = { headers: readHeaders(options.headers) };
    if (signal) init.signal = signal;
    if (type === "query") {
      if (input !== undefined) url += `?input=${encodeURIComponent(JSON.stringify(input))}`;
    } else {
      init.method = "POST";
      init.headers = { ...init.headers, "content-type": "application/json" };
      if (input !== undefined) init.body = JSON.stringify(input);
    }
    let response: Response;
    let body: { result?: { data?: unknown }; error?: unknown } | undefined;
    try {
      response = await fetchImpl(url, init);
    } catch (error) {
      throw new LauncherError(
        "unreachable",
        `Cannot reach the launcher server (${describe(error)})`,
        {
          cause: error,
        },
      );
    }
    try {
      body = (await response.json()) as typeof body;
    } catch {
      body = undefined;
    }
    // The launcher's own error; any other body with an `error` key (a proxy's JSON page) is
    // judged by its status below, like a proxy's HTML.
    const shaped = body?.error === undefined ? undefined : errorFromShape(body.error);
    if (shaped) throw shaped;
    if (response.status === 401) {
      // A proxy in front (nginx's Basic auth, oauth2-proxy) that wants credentials.
      const scheme = /^[A-Za-z][\w-]*/.exec(response.headers.get("www-authenticate") ?? "")?.[0];
      throw new LauncherError(
        "unauthenticated",
        `The launcher server, or a proxy in front of it, asks for credentials (HTTP 401${scheme ? `, ${scheme}` : ""})`,
        { httpStatus: 401 },
      );
    }
    if (!response.ok || !body?.result) {
      // A proxy's error page, or a server that is going away: not the launcher's answer.
      throw new LauncherError(
        "unreachable",
        `The launcher server answered HTTP ${response.status}`,
        {
          httpStatus: response.status,
        },
      );
    }
    return body.result.data;
  };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
