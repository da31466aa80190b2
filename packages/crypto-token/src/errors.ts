/**
 * Why a token was refused. Every refusal of a token (never a misuse by the caller, which is a
 * `TypeError`) is a {@link TokenError} with one of these codes.
 *
 * - `malformed`: not a token of a known format (bad base64url, wrong structure, unknown version)
 * - `invalid`: authentication failed (tampered, wrong purpose, wrong key material) or the value
 *   did not pass the caller's schema
 * - `expired`: older than its expiry, or than the `maxAge` given to `unseal`
 * - `not_yet_valid`: issued further in the future than the allowed clock skew
 * - `unknown_key`: sealed with a key id that is not in the keyring
 * - `too_large`: longer than the allowed maximum length (checked before any decoding)
 * - `missing`: no token at all
 */
export type TokenErrorCode =
  | "malformed"
  | "invalid"
  | "expired"
  | "not_yet_valid"
  | "unknown_key"
  | "too_large"
  | "missing";

/**
 * A token was refused. `code` says why; the message never contains the token or key material.
 *
 * @example
 * ```ts
 * try {
 *   await unseal(keyring, token, { purpose: "launch" });
 * } catch (err) {
 *   if (err instanceof TokenError && err.code === "expired") askForANewTicket();
 *   else throw err;
 * }
 * ```
 */
export class TokenError extends Error {
  override readonly name = "TokenError";
  readonly code: TokenErrorCode;

  constructor(code: TokenErrorCode, message?: string, options?: ErrorOptions) {
    super(message ?? `token refused: ${code}`, options);
    this.code = code;
  }
}
