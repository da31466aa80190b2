import { type Keyring, seal, unseal } from "@launcher/crypto-token";
import { z } from "zod";

/** The session cookie of `LAUNCHER_AUTH=oidc`. */
export const SESSION_COOKIE = "launcher_session";
/** The crypto-token purpose of session cookies: a ticket never opens as a session. */
export const SESSION_PURPOSE = "session";

const SessionSchema = z.object({ v: z.literal(1), user: z.string().min(1) });

/** Seals a signed-in user into a session token that lives `maxAge` seconds. */
export function sealSession(keyring: Keyring, user: string, maxAge: number): Promise<string> {
  return seal(keyring, { v: 1, user }, { purpose: SESSION_PURPOSE, maxAge });
}

/**
 * The user of a session token, or a TokenError. `maxAge` is checked here too, so lowering
 * `LAUNCHER_SESSION_MAX_AGE` ends older sessions at once.
 */
export async function openSession(
  keyring: Keyring,
  token: string,
  maxAge: number,
): Promise<string> {
  const session = await unseal(keyring, token, {
    purpose: SESSION_PURPOSE,
    maxAge,
    schema: SessionSchema,
  });
  return session.user;
}
