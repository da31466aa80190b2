import { createSignal, onCleanup } from "solid-js";
import type { ConnectionStatus, LauncherApi } from "./launcher-api.ts";

/**
 * The WebSocket's status as a signal, for the connection badge.
 * @example
 * const status = createConnectionStatus(api); // "connected" | "reconnecting" | "connecting"
 */
export function createConnectionStatus(api: LauncherApi) {
  const [status, setStatus] = createSignal<ConnectionStatus>("connecting");
  onCleanup(api.watchConnection(setStatus));
  return status;
}
