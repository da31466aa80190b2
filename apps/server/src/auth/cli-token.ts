import type { IncomingMessage, ServerResponse } from "node:http";
import { type Keyring, TokenError } from "@launcher/crypto-token";
import { readCookie } from "./cookies.ts";
import { CLI_TOKEN_PATH, SIGN_IN_PATH } from "./identify.ts";
import { escapeHtml, json, page, redirect } from "./pages.ts";
import {
  CLI_TOKEN_PURPOSE,
  openUser,
  SESSION_COOKIE,
  SESSION_PURPOSE,
  sealUser,
} from "./session.ts";

export interface CliTokenOptions {
  keyring: Keyring;
  /** `LAUNCHER_SESSION_MAX_AGE`, seconds: how long a token lives. */
  sessionMaxAge: number;
}

/** Sign in first, then come back here. */
export const SIGN_IN_FOR_TOKEN = `${SIGN_IN_PATH}?next=${encodeURIComponent(CLI_TOKEN_PATH)}`;

const when = (epochMs: number) => new Date(epochMs).toISOString().replace("T", " ").slice(0, 16);

function tokenPage(res: ServerResponse, user: string, token: string, expiresAt: number) {
  page(res, 200, {
    title: "A token for the command line",
    body: `<p>Signed in as <strong>${escapeHtml(user)}</strong>. This token lets the
<code>launcher</code> command (or any program) act as you until ${when(expiresAt)} UTC;
signing out does not end it. Keep it secret.</p>
<pre id="token">${escapeHtml(token)}</pre>
<p>In your terminal, so that it lands in no shell history:
<code>read -rs LAUNCHER_TOKEN &amp;&amp; export LAUNCHER_TOKEN</code>, paste the token, press Enter.
Then: <code>launcher instances</code>. Programs send it as <code>Authorization: Bearer &lt;token&gt;</code>.</p>`,
  });
}

/**
 * `GET /auth/token` with `LAUNCHER_AUTH=oidc`: a signed-in browser user (the session
 * cookie, nothing else) gets a token for the CLI, sealed under its own purpose (`cli`),
 * naming the user, living `LAUNCHER_SESSION_MAX_AGE`. Nothing is stored: the token is
 * the whole of it, accepted as `Authorization: Bearer <token>`. A page by default, JSON
 * (`{ user, token, expiresAt }`) when asked for with `Accept: application/json`; never
 * cached, never in a URL. Signed out, a browser is sent to sign in and back here.
 */
export function createCliTokenRoute(options: CliTokenOptions) {
  const { keyring, sessionMaxAge } = options;
  const sessionUser = async (req: IncomingMessage) => {
    const cookie = readCookie(req, SESSION_COOKIE);
    if (!cookie) return undefined;
    try {
      return await openUser(keyring, cookie, { purpose: SESSION_PURPOSE, maxAge: sessionMaxAge });
    } catch (error) {
      if (error instanceof TokenError) return undefined;
      throw error;
    }
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const wantsJson = /\bapplication\/json\b/.test(req.headers.accept ?? "");
    const user = await sessionUser(req);
    if (!user) {
      if (!wantsJson) return redirect(res, SIGN_IN_FOR_TOKEN);
      return json(res, 401, {
        error: { message: "Sign in first, in a browser", signIn: SIGN_IN_FOR_TOKEN },
      });
    }
    const token = await sealUser(keyring, user, {
      purpose: CLI_TOKEN_PURPOSE,
      maxAge: sessionMaxAge,
    });
    const expiresAt = Date.now() + sessionMaxAge * 1000;
    if (wantsJson) return json(res, 200, { user, token, expiresAt });
    tokenPage(res, user, token, expiresAt);
  };
}

/**
 * `GET /auth/token` with `LAUNCHER_AUTH=header`: the proxy in front signs users in, so the
 * launcher has no token of its own to give; the page says what the CLI sends instead. (The
 * web app links here for every signed-in user.)
 */
export function proxyCliTokenRoute(req: IncomingMessage, res: ServerResponse): void {
  const message =
    "This launcher signs you in through the proxy in front of it, so it has no token of its own. The launcher command sends what that proxy accepts: set LAUNCHER_AUTHORIZATION to the whole Authorization header (for a password, Basic and the base64 of user:password; for a bearer token, Bearer and the token), or LAUNCHER_TOKEN to a bearer token alone.";
  if (/\bapplication\/json\b/.test(req.headers.accept ?? "")) {
    json(res, 404, { error: { message } });
  } else {
    page(res, 200, { title: "The command line behind a proxy", text: message });
  }
}
