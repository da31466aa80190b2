/** Extra request headers: fixed, or read again for every request (a token that rotates). */
export type HeadersOption = Record<string, string> | (() => Record<string, string>);

// RFC 9110 field names are tokens; values are visible ASCII, spaces and tabs (no CR, LF, NUL).
const NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const VALUE = /^[\t\x20-\x7e]*$/;

/**
 * The headers `option` gives now, checked. Header values are often credentials, so a value
 * that cannot go in an HTTP request is refused with a `TypeError` that names the header and
 * never shows the value (`fetch` and `ws` would otherwise quote it in their own errors).
 */
export function readHeaders(option: HeadersOption | undefined): Record<string, string> {
  const headers = typeof option === "function" ? option() : (option ?? {});
  for (const [name, value] of Object.entries(headers)) {
    if (!NAME.test(name)) throw new TypeError(`Not an HTTP header name: ${JSON.stringify(name)}`);
    if (typeof value !== "string" || !VALUE.test(value)) {
      throw new TypeError(
        `The ${name} header's value cannot be sent (a line break or another control character); the value is not shown`,
      );
    }
  }
  return headers;
}
