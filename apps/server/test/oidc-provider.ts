// A real OpenID Provider on this machine (the `oidc-provider` package) for the sign-in
// tests: one confidential client, PKCE required, and the package's development login and
// consent pages, where any login name with any password signs in as that name.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startServer } from "@launcher/testing";
import Provider from "oidc-provider";
import { freePort } from "./free-port.ts";

export interface OidcProviderOptions {
  /** The launcher's public URL: its `/auth/callback` is the client's redirect URI. */
  launcherUrl: string;
  clientId?: string;
}

export interface TestOidcProvider extends AsyncDisposable {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  close(): Promise<void>;
}

/** The email a login name gets: `alice` → `alice@example.test`. */
export const emailOf = (login: string) => `${login}@example.test`;

export async function startOidcProvider(options: OidcProviderOptions): Promise<TestOidcProvider> {
  const clientId = options.clientId ?? "launcher";
  const clientSecret = randomBytes(24).toString("base64url");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [`${options.launcherUrl}/auth/callback`],
        post_logout_redirect_uris: [`${options.launcherUrl}/`],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    pkce: { required: () => true },
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      // A login starting with `unverified` has an address the provider has not checked.
      claims: () => ({ sub, email: emailOf(sub), email_verified: !sub.startsWith("unverified") }),
    }),
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    // Stated, so the provider does not print a notice for each default it falls back on.
    ttl: { AccessToken: 600, Grant: 3600, IdToken: 600, Interaction: 600, Session: 3600 },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  });
  server.on("request", provider.callback());
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { issuer, clientId, clientSecret, close, [Symbol.asyncDispose]: close };
}

/**
 * A launcher with `LAUNCHER_AUTH=oidc` (on the local driver) and the provider it signs users
 * in at, on this machine. `env` adds to the launcher's environment.
 */
export async function startOidcLauncher(env: Record<string, string> = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const provider = await startOidcProvider({ launcherUrl: url });
  const server = await startServer({
    port,
    env: {
      LAUNCHER_AUTH: "oidc",
      LAUNCHER_LOCAL_SHARED_USER: "1", // these tests launch on the local driver
      LAUNCHER_OIDC_ISSUER: provider.issuer,
      LAUNCHER_OIDC_CLIENT_ID: provider.clientId,
      LAUNCHER_OIDC_CLIENT_SECRET: provider.clientSecret,
      LAUNCHER_PUBLIC_URL: url,
      ...env,
    },
  }).catch(async (error: unknown) => {
    await provider.close();
    throw error;
  });
  const dispose = async () => {
    await server.dispose();
    await provider.close();
  };
  return { url, provider, server, [Symbol.asyncDispose]: dispose };
}
