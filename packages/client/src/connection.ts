import type { LauncherError } from "./errors.ts";

/**
 * The WebSocket as a client sees it: `idle` (lazy, nothing to follow; or refused for want of
 * credentials, which ended every subscription with `unauthenticated`), `connecting` (the
 * first time), `connected`, `reconnecting` (lost, or never reached: trying again).
 */
export type ConnectionState = "idle" | "connecting" | "connected" | "reconnecting";

export type ConnectionListener = (state: ConnectionState, error?: LauncherError) => void;

export interface Connection {
  readonly state: ConnectionState;
  /** Why the socket is `reconnecting`. */
  readonly error: LauncherError | undefined;
  /** Calls `listener` with the state now and on every change; returns the function that stops. */
  subscribe(listener: ConnectionListener): () => void;
}

export interface SubscriptionHandlers {
  onStarted?: () => void;
  /** A value the server yielded: `{ id, data }` for a tracked event. */
  onData?: (data: unknown) => void;
  /** The server refused or ended the subscription with an error; it is over. */
  onError?: (error: LauncherError) => void;
  /** The server ended the subscription; it is over. */
  onComplete?: () => void;
}

/** The WebSocket API this uses: the browser's, Node 22's, or `ws`'s (which adds `terminate`). */
export interface SocketLike {
  onopen: ((event: never) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate?: () => void;
}
