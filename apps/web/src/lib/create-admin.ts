import { toLauncherError } from "@launcher/client";
import { createSignal } from "solid-js";
import type { WebClient } from "./types.ts";

/**
 * Whether the user is an admin, from the server's `me` query (`{ user, admin }`), so that
 * operators' diagnostics are shown to them only. A server without `me` (older than sign-in)
 * has one local user, who runs it: an admin. Until the answer comes, and on any other error
 * (not signed in…): not an admin.
 * @example
 * const admin = createAdmin(client);
 * <Show when={admin()}>{reason}</Show>
 */
export function createAdmin(client: WebClient) {
  const [admin, setAdmin] = createSignal(false);
  client.me.query().then(
    (me) => setAdmin(me.admin === true),
    (error: unknown) => setAdmin(toLauncherError(error).code === "not_found"),
  );
  return admin;
}
