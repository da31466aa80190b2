/**
 * Why a request has no user, on the wire as `data.authReason`:
 * - `missing`: no user header or no session cookie at all;
 * - `untrusted_proxy`: a user header from a peer not in `LAUNCHER_TRUSTED_PROXIES`;
 * - `empty_header`, `header_too_long`, `bad_header`: a user header that names no one;
 * - `session_expired`, `session_invalid`: a session cookie (or a CLI token, sent as
 *   `Authorization: Bearer`) past its age, or one this keyring did not seal (tampered,
 *   another keyring, another purpose).
 */
export type AuthReason =
  | "missing"
  | "untrusted_proxy"
  | "empty_header"
  | "header_too_long"
  | "bad_header"
  | "session_expired"
  | "session_invalid";

/**
 * `unauthenticated`: no user (with `LAUNCHER_AUTH` header or oidc);
 * `not_owner`: a signed-in user who is neither the instance's owner nor an admin.
 */
export type AuthCode = "unauthenticated" | "not_owner";

/** A refusal about who is asking; the tRPC error's cause, sent as `data.authCode`. */
export class AuthError extends Error {
  override readonly name = "AuthError";
  constructor(
    readonly code: AuthCode,
    message: string,
    readonly details: {
      reason?: AuthReason;
      /** Where a browser signs in (`/auth/login` with oidc). */
      signIn?: string;
    } = {},
  ) {
    super(message);
  }
}

/** Why there is no user, as the server found it (see `LauncherContext.user`). */
export interface AuthRefusal {
  reason: AuthReason;
  message: string;
  signIn?: string;
}
