// LAUNCHER_AUTH=header as operators run it: a real nginx checks HTTP Basic auth and passes the
// user in X-Forwarded-User to two replicas that trust only nginx's address (127.0.0.1).
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { startReplicaPair } from "./nginx.ts";

const TEMPLATE = resolve(import.meta.dirname, "nginx-basic-auth.conf.template");

/** The users nginx knows; each one's password is `<user>-password`. `boss` is the admin. */
export const USERS = ["alice", "bob", "carol", "boss"] as const;
export type User = (typeof USERS)[number];
export const passwordOf = (user: string) => `${user}-password`;

/** An htpasswd file nginx reads, with `{SHA}` entries (no Apache tools needed). */
const htpasswd = USERS.map(
  (user) => `${user}:{SHA}${createHash("sha1").update(passwordOf(user)).digest("base64")}`,
).join("\n");

/** The Basic auth header nginx checks. */
export const login = (user: string, password = passwordOf(user)) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});

/**
 * Two replicas with `LAUNCHER_AUTH=header` sharing one state dir and keyring, behind nginx
 * with Basic auth. `env` adds to (or overrides) their environment.
 */
export function startAuthReplicas(env: Record<string, string> = {}) {
  return startReplicaPair({
    env: {
      LAUNCHER_AUTH: "header",
      LAUNCHER_LOCAL_SHARED_USER: "1", // these tests launch on the local driver
      // Only nginx; a test's client may come from another loopback address (127.0.0.2).
      LAUNCHER_TRUSTED_PROXIES: "127.0.0.1",
      LAUNCHER_ADMINS: "boss",
      ...env,
    },
    nginx: { template: TEMPLATE, files: { htpasswd } },
  });
}
