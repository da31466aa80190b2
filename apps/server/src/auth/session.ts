import { type Keyring, seal, unseal } from "@launcher/crypto-token";
import { z } from "zod";

/** The session cookie of `LAUNCHER_AUTH=oidc`. */
export const SESSION_COOKIE = "launcher_session";
/** The crypto-token purpose of session cookies: a ticket never opens as a session. */
export const SESSION_PURPOSE = "session";
/**
 * The purpose of CLI tokens (`/auth/token`, sent as `Authorization: Bearer`): a session
 * cookie is no token and a token no cookie, so each stays where it was issued for.
 */
export const CLI_TOKEN_PURPOSE = "cli";

export type UserTokenPurpose = typeof SESSION_PURPOSE | typeof CLI_TOKEN_PURPOSE;

const UserSchema = z.object({ v: z.literal(1), user: z.string().min(1) });

/** Seals a signed-in user into a token for `purpose` that lives `maxAge` seconds. */
export function sealUser(
  keyring: Keyring,
  user: string,
  options: { purpose: UserTokenPurpose; maxAge: number },
): Promise<string> {
  return seal(keyring, { v: 1, user }, options);
}

/**
 * The user of a token sealed for `purpose`, or a TokenError. `maxAge` is checked here too,
 * so lowering `LAUNCHER_SESSION_MAX_AGE` ends older sessions and tokens at once.
 */
export async function openUser(
  keyring: Keyring,
  token: string,
  options: { purpose: UserTokenPurpose; maxAge: number },
): Promise<string> {
  const opened = await unseal(keyring, token, { ...options, schema: UserSchema });
  return opened.user;
}

/** Seals a signed-in user into a session token that lives `maxAge` seconds. */
export function sealSession(keyring: Keyring, user: string, maxAge: number): Promise<string> {
  return sealUser(keyring, user, { purpose: SESSION_PURPOSE, maxAge });
}
