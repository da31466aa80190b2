import type { Snapshot } from "@launcher/api";

/** A snapshot as clients keep it: never with `access` (the credentials). */
export type StoredSnapshot = Omit<Snapshot, "access">;

/** What a client keeps about one launch: the sealed ticket and where it got to. */
export interface StoredLaunch {
  id: string;
  /** The sealed ticket: the only copy of the secrets, encrypted. */
  ticket: string;
  template: string;
  driver?: string;
  /** When the client stored it, epoch ms. */
  storedAt: number;
  /** The last event id received, to resume from. */
  lastEventId?: string;
  /** The last snapshot received, without `access`. */
  snapshot?: StoredSnapshot;
}

/** Where a client keeps its tickets: memory, `sessionStorage` or files. */
export interface TicketStore {
  list(): Promise<StoredLaunch[]>;
  get(id: string): Promise<StoredLaunch | undefined>;
  /** Adds or replaces a launch. */
  put(launch: StoredLaunch): Promise<void>;
  remove(id: string): Promise<void>;
}

/** Drops `access` so credentials are never stored in clear. */
export function toStoredSnapshot(snapshot: Snapshot): StoredSnapshot {
  const { access: _access, ...rest } = snapshot;
  return rest;
}
