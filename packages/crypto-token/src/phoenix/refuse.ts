import { TokenError } from "../errors.ts";

/** The one way this subpath refuses a token it cannot open: Phoenix's `{:error, :invalid}`. */
export function invalid(reason: string): TokenError {
  return new TokenError("invalid", `Phoenix token refused: ${reason}`);
}
