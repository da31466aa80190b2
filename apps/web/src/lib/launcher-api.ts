import type { Access, Snapshot, TemplateList } from "@launcher/api";

export type { Access, Snapshot, TemplateList };
export type Template = TemplateList["templates"][number];

/** The WebSocket as the connection badge shows it. */
export type ConnectionStatus = "connecting" | "connected" | "reconnecting";

/** A failed call, in the terms the UI needs: the tRPC code and, for a refused ticket, why. */
export class LaunchError extends Error {
  override readonly name = "LaunchError";
  constructor(
    message: string,
    /** The tRPC error code, e.g. `UNAUTHORIZED`; `NETWORK` when there was no answer. */
    readonly code: string,
    /** The crypto-token code of a refused ticket, e.g. `expired`. */
    readonly tokenCode?: string,
  ) {
    super(message);
  }

  /** The server refused the ticket itself: it will never open again. */
  get refused(): boolean {
    return this.code === "UNAUTHORIZED";
  }
}

export interface FollowInput {
  ticket: string;
  lastEventId?: string;
}

export interface FollowHandlers {
  /** A snapshot and its event id (the version as a decimal string). */
  onData(snapshot: Snapshot, eventId: string | undefined): void;
  onError(error: LaunchError): void;
  /** The server ended the stream (after a terminal snapshot). */
  onComplete(): void;
}

/** What the web app needs from the launcher server; tests hand in a fake. */
export interface LauncherApi {
  listTemplates(): Promise<TemplateList>;
  prepare(input: { template: string; driver?: string }): Promise<{ id: string; ticket: string }>;
  /** Follows a launch; returns the function that stops following. */
  follow(input: FollowInput, handlers: FollowHandlers): () => void;
  destroy(ticket: string): Promise<void>;
  /** Calls `listener` with the status now and on every change; returns the function that stops. */
  watchConnection(listener: (status: ConnectionStatus) => void): () => void;
}
