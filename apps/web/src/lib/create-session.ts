import { toLauncherError } from "@launcher/client";
import { createSignal } from "solid-js";
import type { WebClient } from "./types.ts";

/** Who uses the page, from the server's `me` query. */
export type Session =
  | { state: "loading" }
  /** `user` is absent on a server older than sign-in (no `me`): its one local user. */
  | { state: "signed-in"; user?: string; admin: boolean }
  /** The server wants a signed-in user (`LAUNCHER_AUTH=header` or `oidc`). */
  | { state: "signed-out" }
  /** `me` failed for another reason (server away…); nothing is claimed. */
  | { state: "unknown" };

/**
 * The signed-in user and whether they are an admin, so that operators' diagnostics are shown
 * to them only, and a page whose server wants sign-in offers it instead of launching. A server
 * without `me` has one local user, who runs it: an admin.
 * @example
 * const session = createSession(client);
 * session().state === "signed-out"; // show "Sign in"
 */
export function createSession(client: WebClient) {
  const [session, setSession] = createSignal<Session>({ state: "loading" });
  client.me.query().then(
    (me) => setSession({ state: "signed-in", user: me.user, admin: me.admin === true }),
    (error: unknown) => {
      const { code } = toLauncherError(error);
      if (code === "not_found") setSession({ state: "signed-in", admin: true });
      else setSession({ state: code === "unauthenticated" ? "signed-out" : "unknown" });
    },
  );
  return session;
}
