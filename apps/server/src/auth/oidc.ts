import type { IncomingMessage, ServerResponse } from "node:http";
import type { LauncherLogger } from "@launcher/api";
import { type Keyring, seal, TokenError, unseal } from "@launcher/crypto-token";
import * as oidc from "openid-client";
import { z } from "zod";
import { SECURITY_HEADERS } from "../static-files.ts";
import { createCliTokenRoute } from "./cli-token.ts";
import { readCookie, serializeCookie } from "./cookies.ts";
import { CLI_TOKEN_PATH } from "./identify.ts";
import { page, redirect } from "./pages.ts";
import { SESSION_COOKIE, sealSession } from "./session.ts";
import { userNameProblem } from "./user-name.ts";

export interface OidcOptions {
  issuer: URL;
  clientId: string;
  /** Unset: a public client (PKCE alone). */
  clientSecret?: string;
  /** `LAUNCHER_PUBLIC_URL`: the redirect is `<public url>/auth/callback`. */
  publicUrl: URL;
  /** The claim that names the user (`email` by default); `sub` when it is absent. */
  userClaim: string;
  keyring: Keyring;
  /** Seconds. */
  sessionMaxAge: number;
  logger: LauncherLogger;
}

/** The sign-in in progress (PKCE verifier and state), sealed into a short-lived cookie. */
const LOGIN_COOKIE = "launcher_oidc";
const LOGIN_PURPOSE = "oidc-login";
/** Seconds a user has to get through the identity provider's pages. */
const LOGIN_MAX_AGE = 600;
const LoginSchema = z.object({
  v: z.literal(1),
  verifier: z.string(),
  state: z.string(),
  next: z.string().optional(),
});
/** Where `/auth/login?next=` may lead back to: a fixed list, so no one links elsewhere. */
const NEXT_PATHS: ReadonlySet<string> = new Set([CLI_TOKEN_PATH]);
const SCOPE = "openid email profile";

const isLoopback = (host: string) =>
  host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);

/**
 * The sign-in of `LAUNCHER_AUTH=oidc`: the authorization code flow with PKCE against the
 * identity provider, and nothing kept on the server. `/auth/login` seals the PKCE verifier
 * and state into a cookie for the round trip; `/auth/callback` checks them, redeems the
 * code, and sets the session cookie (`launcher_session`, purpose `session`); `/auth/logout`
 * clears it and ends the provider's session too when it offers that; `/auth/token` gives a
 * signed-in user a token for the CLI (see cli-token.ts), and `/auth/login?next=/auth/token`
 * leads back there. The provider's
 * metadata is read at the first sign-in (and again after a failure), so the launcher
 * starts while the provider is down.
 */
export function createOidcRoutes(options: OidcOptions) {
  const { keyring, publicUrl, logger } = options;
  const secure = publicUrl.protocol === "https:";
  const redirectUri = new URL("/auth/callback", publicUrl).href;
  const home = new URL("/", publicUrl).href;
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    discovered ??= oidc
      .discovery(
        options.issuer,
        options.clientId,
        undefined,
        options.clientSecret ? oidc.ClientSecretPost(options.clientSecret) : oidc.None(),
        // Plain http only to a provider on this machine (development and tests).
        isLoopback(options.issuer.hostname) ? { execute: [oidc.allowInsecureRequests] } : {},
      )
      .catch((error: unknown) => {
        discovered = undefined;
        throw error;
      });
    return discovered;
  };
  const loginCookie = (value: string, maxAge: number) =>
    serializeCookie(LOGIN_COOKIE, value, { maxAge, path: "/auth/", secure });
  const sessionCookie = (value: string, maxAge: number) =>
    serializeCookie(SESSION_COOKIE, value, { maxAge, path: "/", secure });

  const login = async (req: IncomingMessage, res: ServerResponse) => {
    const config = await configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const next = new URL(req.url ?? "/", publicUrl).searchParams.get("next") ?? "";
    const sealed = await seal(
      keyring,
      { v: 1, verifier, state, ...(NEXT_PATHS.has(next) ? { next } : {}) },
      { purpose: LOGIN_PURPOSE, maxAge: LOGIN_MAX_AGE },
    );
    const target = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
    });
    redirect(res, target.href, [loginCookie(sealed, LOGIN_MAX_AGE)]);
  };

  const userOf = async (
    config: oidc.Configuration,
    tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
  ) => {
    const claims = tokens.claims();
    if (!claims) throw new Error("the identity provider sent no ID token");
    let source: Record<string, unknown> = claims;
    if (claims[options.userClaim] === undefined && options.userClaim !== "sub") {
      // Providers may keep claims such as `email` out of the ID token, for userinfo.
      source = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    }
    const value = source[options.userClaim];
    if (typeof value !== "string" || value === "") return { user: claims.sub };
    // An address the provider says it has not verified could be anyone's (an admin's).
    if (options.userClaim === "email" && source.email_verified === false) {
      return { refused: "the identity provider has not verified this email address" };
    }
    return { user: value };
  };

  const callback = async (req: IncomingMessage, res: ServerResponse) => {
    const clearLogin = loginCookie("", 0);
    let pending: z.infer<typeof LoginSchema>;
    try {
      pending = await unseal(keyring, readCookie(req, LOGIN_COOKIE), {
        purpose: LOGIN_PURPOSE,
        maxAge: LOGIN_MAX_AGE,
        schema: LoginSchema,
      });
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      res.setHeader("set-cookie", clearLogin);
      return page(res, 400, {
        title: "Sign-in expired",
        text: "This sign-in was not started here or took too long. Start again.",
      });
    }
    const config = await configuration();
    let found: { user: string } | { refused: string };
    try {
      const tokens = await oidc.authorizationCodeGrant(config, new URL(req.url ?? "/", publicUrl), {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        idTokenExpected: true,
      });
      found = await userOf(config, tokens);
    } catch (error) {
      res.setHeader("set-cookie", clearLogin);
      if (error instanceof oidc.AuthorizationResponseError) {
        return page(res, 401, {
          title: "Sign-in refused",
          text: `The identity provider said: ${error.error}.`,
        });
      }
      // No token or code in the log: the error's name and code say enough.
      const { name, code } = error as { name?: string; code?: string };
      logger.warn({ err: name, code }, "sign-in failed");
      return page(res, 502, {
        title: "Sign-in failed",
        text: "The identity provider's answer could not be used. Try again.",
      });
    }
    if ("refused" in found) {
      res.setHeader("set-cookie", clearLogin);
      return page(res, 403, {
        title: "Sign-in refused",
        text: `Sign-in refused: ${found.refused}.`,
      });
    }
    const { user } = found;
    if (userNameProblem(user)) {
      res.setHeader("set-cookie", clearLogin);
      return page(res, 403, {
        title: "Sign-in refused",
        text: `The "${options.userClaim}" claim is not a user name this launcher accepts.`,
      });
    }
    const session = await sealSession(keyring, user, options.sessionMaxAge);
    // The audit line of a sign-in: who (a user name is no secret; the session never is logged).
    logger.info({ user }, "signed in");
    const back = pending.next ? new URL(pending.next, publicUrl).href : home;
    redirect(res, back, [clearLogin, sessionCookie(session, options.sessionMaxAge)]);
  };

  const logout = async (res: ServerResponse) => {
    const cleared = sessionCookie("", 0);
    const config = await configuration().catch(() => undefined);
    if (config?.serverMetadata().end_session_endpoint) {
      const target = oidc.buildEndSessionUrl(config, {
        client_id: options.clientId,
        post_logout_redirect_uri: home,
      });
      return redirect(res, target.href, [cleared]);
    }
    redirect(res, home, [cleared]);
  };

  const cliToken = createCliTokenRoute({ keyring, sessionMaxAge: options.sessionMaxAge });

  /**
   * Serves `/auth/login`, `/auth/callback`, `/auth/logout` and `/auth/token` (GET only: it
   * changes nothing); false for other paths.
   */
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    const routes: Record<string, () => Promise<void>> = {
      "/auth/login": () => login(req, res),
      "/auth/callback": () => callback(req, res),
      "/auth/logout": () => logout(res),
      [CLI_TOKEN_PATH]: () => cliToken(req, res),
    };
    const route = routes[path];
    if (!route) return false;
    const allowed = path === CLI_TOKEN_PATH ? ["GET"] : ["GET", "POST"];
    if (!allowed.includes(req.method ?? "")) {
      res.writeHead(405, { allow: allowed.join(", "), ...SECURITY_HEADERS }).end();
      return true;
    }
    try {
      await route();
    } catch (error) {
      const { name, code } = error as { name?: string; code?: string };
      logger.warn({ err: name, code, path }, "sign-in route failed");
      if (!res.headersSent) {
        page(res, 503, {
          title: "Sign-in unavailable",
          text: "The identity provider cannot be reached. Try again in a moment.",
        });
      }
    }
    return true;
  };
}
