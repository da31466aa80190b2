import type { Keyring } from "@launcher/crypto-token";
import type { Driver, Template } from "@launcher/drivers";
import type { ObservationHub } from "./observation-hub.ts";
import type { RateLimiter } from "./rate-limit.ts";

/** Logs without secrets: callers pass ids and codes, never tickets or credentials. */
export interface LauncherLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** What the API needs from the process that serves it; built once by the server. */
export interface LauncherDeps {
  keyring: Keyring;
  drivers: ReadonlyMap<string, Driver>;
  templates: readonly Template[];
  defaultTemplate: string;
  defaultDriver: string;
  /** How long a ticket lives, in seconds (also how long tombstones must be kept). */
  ticketMaxAge: number;
  hub: ObservationHub;
  limits: { unseal: RateLimiter; prepare: RateLimiter };
  /** Concurrent subscriptions allowed per connection (unlimited when unset). */
  maxSubscriptions?: number;
  logger: LauncherLogger;
  version: string;
}
