import type { Snapshot } from "@launcher/contract";

/** A snapshot as clients keep it: never with `access` (the credentials). */
export type StoredSnapshot = Omit<Snapshot, "access">;

/** What a client keeps about one launch: the sealed ticket and where it got to. */
export interface StoredLaunch {
  id: string;
  /** The sealed ticket: the only copy of the secrets, encrypted. */
  ticket: string;
  template: string;
  driver?: string;
  /**
   * The server that issued the ticket (`http://host:3000`): the ticket is sent to no other
   * unless the caller insists (`allowOtherServer`).
   */
  server?: string;
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

/** Whether a parsed entry has the shape of a {@link StoredLaunch}. */
export function isStoredLaunch(value: unknown): value is StoredLaunch {
  const launch = value as Partial<StoredLaunch> | null;
  return (
    typeof launch === "object" &&
    launch !== null &&
    typeof launch.id === "string" &&
    typeof launch.ticket === "string" &&
    typeof launch.template === "string" &&
    typeof launch.storedAt === "number" &&
    (launch.server === undefined || typeof launch.server === "string")
  );
}
