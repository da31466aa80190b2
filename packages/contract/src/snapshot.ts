import type { Phase, Step } from "./phases.ts";

/** How to reach a ready instance. Only in `ready` snapshots; never stored by clients. */
export interface Access {
  /** The instance's base URL, ending in `/`, with no secret in it. */
  url: string;
  credentials: Record<string, string>;
}

/**
 * One state of a launch as a follower receives it. `version` grows monotonically and is the
 * tracked event id (as a decimal string). Times are epoch milliseconds.
 */
export interface Snapshot {
  id: string;
  template: string;
  driver: string;
  /** When the launch was prepared (the ticket was issued). */
  createdAt: number;
  version: number;
  phase: Phase;
  steps: Step[];
  logTail: string[];
  message?: string;
  access?: Access;
  error?: string;
}
