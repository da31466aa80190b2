import type { IncomingMessage, ServerResponse } from "node:http";
import type { LauncherLogger } from "@launcher/api";
import type { Keyring } from "@launcher/crypto-token";
import type { Env } from "../env.ts";
import { proxyCliTokenRoute } from "./cli-token.ts";
import { CLI_TOKEN_PATH, createIdentify, type Identity } from "./identify.ts";
import type { OidcOptions } from "./oidc.ts";
import { clientAddressOf, trustedProxiesOf } from "./trusted-proxies.ts";

export type { Identity } from "./identify.ts";

/** `/auth/token` alone, with `LAUNCHER_AUTH=header`; false for other paths. */
async function headerModeRoutes(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<boolean> {
  if (path !== CLI_TOKEN_PATH) return false;
  proxyCliTokenRoute(req, res);
  return true;
}

type Routes = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;

/**
 * The sign-in routes of `oidc`, their module (openid-client and its OAuth code) imported at the
 * first `/auth/*` request: a launcher that signs nobody in, or not yet, does not load it at start.
 */
function lazyOidcRoutes(options: OidcOptions): Routes {
  let routes: Promise<Routes> | undefined;
  return async (req, res, path) => {
    routes ??= import("./oidc.ts").then(({ createOidcRoutes }) => createOidcRoutes(options));
    return (await routes)(req, res, path);
  };
}

/**
 * Who is asking and from where, as the environment says to tell: the client's address
 * (`X-Forwarded-For` from trusted proxies only), the user (`LAUNCHER_AUTH`), and the
 * sign-in routes of `oidc`.
 */
export function createAuth(env: Env, keyring: Keyring, logger: LauncherLogger) {
  const trusted = trustedProxiesOf(env);
  const identifyRequest = createIdentify({
    mode: env.LAUNCHER_AUTH,
    header: env.LAUNCHER_AUTH_HEADER,
    trusted,
    admins: env.LAUNCHER_ADMINS,
    keyring,
    sessionMaxAge: env.LAUNCHER_SESSION_MAX_AGE,
  });
  // A WebSocket's upgrade is identified twice (to refuse it, then for its context): once.
  const seen = new WeakMap<IncomingMessage, Promise<Identity>>();
  const identify = (req: IncomingMessage): Promise<Identity> => {
    let identity = seen.get(req);
    if (!identity) {
      identity = identifyRequest(req);
      seen.set(req, identity);
    }
    return identity;
  };
  const routes =
    env.LAUNCHER_AUTH === "oidc"
      ? lazyOidcRoutes({
          issuer: new URL(env.LAUNCHER_OIDC_ISSUER!),
          clientId: env.LAUNCHER_OIDC_CLIENT_ID!,
          clientSecret: env.LAUNCHER_OIDC_CLIENT_SECRET,
          publicUrl: new URL(env.LAUNCHER_PUBLIC_URL!),
          userClaim: env.LAUNCHER_OIDC_USER_CLAIM,
          keyring,
          sessionMaxAge: env.LAUNCHER_SESSION_MAX_AGE,
          logger,
        })
      : env.LAUNCHER_AUTH === "header"
        ? headerModeRoutes
        : undefined;
  return {
    /** Whether requests carry ambient credentials (a cookie, a proxy's Basic auth). */
    required: env.LAUNCHER_AUTH !== "none",
    identify,
    clientAddress: (req: IncomingMessage) =>
      clientAddressOf(req.socket.remoteAddress, req.headers["x-forwarded-for"], trusted),
    /** The `/auth/*` routes: sign-in and CLI tokens (oidc), or what to send instead (header). */
    routes,
    /** `LAUNCHER_TRUSTED_PROXIES` (and the loopback range with `LAUNCHER_TRUST_PROXY=1`). */
    trusted,
  };
}
