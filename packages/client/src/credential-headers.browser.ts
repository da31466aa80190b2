import type { HeadersOption } from "./credential-headers.ts";

/**
 * In a page: the headers given, as they are. A page's credentials are its cookie, its socket
 * takes no headers, and the browser refuses a value it cannot send; the checks in
 * `credential-headers.ts` are for Node, where `fetch` and `ws` would quote the value.
 */
export function readHeaders(option: HeadersOption | undefined): Record<string, string> {
  return typeof option === "function" ? option() : (option ?? {});
}
