import type { AuthReason } from "@launcher/api";

/** The longest user name accepted, from a header or a claim. */
export const MAX_USER_LENGTH = 256;

/**
 * Why `value` is not a user name, or undefined when it is one: printable ASCII, at most
 * `MAX_USER_LENGTH` characters, no space at either end (so `"alice "` is not `"alice"`).
 */
export function userNameProblem(value: string): AuthReason | undefined {
  if (value.trim() === "") return "empty_header";
  if (value.length > MAX_USER_LENGTH) return "header_too_long";
  if (!/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value)) return "bad_header";
  return undefined;
}
