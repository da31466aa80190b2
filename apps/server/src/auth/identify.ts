import type { IncomingMessage } from "node:http";
import type { AuthRefusal } from "@launcher/api";
import { type Keyring, TokenError } from "@launcher/crypto-token";
import { readCookie } from "./cookies.ts";
import {
  CLI_TOKEN_PURPOSE,
  openUser,
  SESSION_COOKIE,
  SESSION_PURPOSE,
  type UserTokenPurpose,
} from "./session.ts";
import type { TrustedProxies } from "./trusted-proxies.ts";
import { MAX_USER_LENGTH, userNameProblem } from "./user-name.ts";

/** Who a request comes from: what the API's context holds. */
export interface Identity {
  user: string | null;
  admin: boolean;
  refusal?: AuthRefusal;
}

export type AuthMode = "none" | "header" | "oidc";

export interface IdentifyOptions {
  mode: AuthMode;
  /** `LAUNCHER_AUTH_HEADER`. */
  header: string;
  trusted: TrustedProxies;
  admins: readonly string[];
  keyring: Keyring;
  /** `LAUNCHER_SESSION_MAX_AGE`, seconds. */
  sessionMaxAge: number;
}

/** The one user of `LAUNCHER_AUTH=none`. */
export const LOCAL_USER = "local";
/** Where a browser signs in with `LAUNCHER_AUTH=oidc`. */
export const SIGN_IN_PATH = "/auth/login";
/** Where a signed-in browser user gets a token for the CLI (`Authorization: Bearer`). */
export const CLI_TOKEN_PATH = "/auth/token";

/** The token of an `Authorization: Bearer <token>` header; undefined for any other. */
export function bearerToken(req: IncomingMessage): string | undefined {
  return /^Bearer +([\w.~+/=-]+) *$/i.exec(req.headers.authorization ?? "")?.[1];
}

const HEADER_MESSAGES: Record<string, (header: string) => string> = {
  empty_header: (h) => `The ${h} header is empty`,
  header_too_long: (h) => `The ${h} header is longer than ${MAX_USER_LENGTH} characters`,
  bad_header: (h) => `The ${h} header is not a user name (printable ASCII)`,
};

/**
 * Makes the function that tells who a request (or a WebSocket upgrade) comes from. It never
 * throws: a request without a user gets `user: null` and a refusal that says why, which the
 * API turns into `UNAUTHORIZED` (`data.authCode: "unauthenticated"`).
 */
export function createIdentify(options: IdentifyOptions) {
  const { mode, header, trusted, keyring, sessionMaxAge } = options;
  const admins = new Set(options.admins);
  const signedIn = (user: string): Identity => ({ user, admin: admins.has(user) });
  const refused = (refusal: AuthRefusal): Identity => ({ user: null, admin: false, refusal });
  const name = header.toLowerCase();

  const fromHeader = (req: IncomingMessage): Identity => {
    const values = req.headersDistinct[name];
    if (!values) {
      return refused({ reason: "missing", message: `Sign-in required: no ${header} header` });
    }
    if (!trusted.has(req.socket.remoteAddress ?? "")) {
      return refused({
        reason: "untrusted_proxy",
        message: `The ${header} header is believed only from a trusted proxy`,
      });
    }
    const value = values.length === 1 ? values[0]! : "";
    const problem = values.length === 1 ? userNameProblem(value) : "bad_header";
    if (problem) return refused({ reason: problem, message: HEADER_MESSAGES[problem]!(header) });
    return signedIn(value);
  };

  const opened = async (token: string, purpose: UserTokenPurpose): Promise<Identity> => {
    try {
      return signedIn(await openUser(keyring, token, { purpose, maxAge: sessionMaxAge }));
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      const expired = error.code === "expired";
      // A CLI token is a session carried in a header: the same reasons, its own advice.
      const [what, again] =
        purpose === CLI_TOKEN_PURPOSE
          ? ["CLI token", `get a new one at ${CLI_TOKEN_PATH}`]
          : ["Session cookie", "sign in again"];
      return refused({
        reason: expired ? "session_expired" : "session_invalid",
        message: expired
          ? `Your ${what} has expired: ${again}`
          : `${what} refused (${error.code}): ${again}`,
        signIn: SIGN_IN_PATH,
      });
    }
  };

  // An explicit bearer token wins over a cookie, and is never silently replaced by it.
  const fromSession = async (req: IncomingMessage): Promise<Identity> => {
    const bearer = bearerToken(req);
    if (bearer) return opened(bearer, CLI_TOKEN_PURPOSE);
    const token = readCookie(req, SESSION_COOKIE);
    if (token) return opened(token, SESSION_PURPOSE);
    return refused({ reason: "missing", message: "Sign-in required", signIn: SIGN_IN_PATH });
  };

  return async (req: IncomingMessage): Promise<Identity> => {
    if (mode === "header") return fromHeader(req);
    if (mode === "oidc") return fromSession(req);
    // One trusted person on loopback: the operator, so an admin too.
    return { user: LOCAL_USER, admin: true };
  };
}
