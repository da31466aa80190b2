import { toLauncherError } from "@launcher/client";
import { createSignal } from "solid-js";
import type { WebClient } from "./types.ts";

/**
 * Who uses the page, from the server's `me` query: `user` once signed in; `signedOut` when
 * the server wants a user (`LAUNCHER_AUTH=header` or `oidc`). `admin` says whether operators'
 * diagnostics are shown. A server without `me` (older than sign-in) has one local user, who
 * runs it: an admin, with no name and no list. Until the answer, and on any other error: nobody.
 * @example
 * const session = createSession(client);
 * session().signedOut; // show "Sign in"
 */
export function createSession(client: WebClient) {
  const [session, setSession] = createSignal<{
    user?: string;
    admin?: boolean;
    signedOut?: boolean;
  }>({});
  client.me.query().then(setSession, (error: unknown) => {
    const { code } = toLauncherError(error);
    setSession({ admin: code === "not_found", signedOut: code === "unauthenticated" });
  });
  return session;
}
