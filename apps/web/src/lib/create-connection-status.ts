import type { ConnectionState } from "@launcher/client";
import { createSignal, onCleanup } from "solid-js";
import type { WebClient } from "./types.ts";

/** The WebSocket as the connection badge shows it. */
export type ConnectionStatus = Exclude<ConnectionState, "idle">;

/**
 * The WebSocket's status as a signal, for the connection badge.
 * @example
 * const status = createConnectionStatus(client); // "connected" | "reconnecting" | "connecting"
 */
export function createConnectionStatus(client: WebClient) {
  const [status, setStatus] = createSignal<ConnectionStatus>("connecting");
  onCleanup(
    client.connection.subscribe((state) => setStatus(state === "idle" ? "connecting" : state)),
  );
  return status;
}
