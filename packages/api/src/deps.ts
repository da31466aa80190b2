import type { Keyring } from "@launcher/crypto-token";
import type { Driver, Template } from "@launcher/drivers";
import type { InstanceLister } from "./instance-lister.ts";
import type { LaunchSessions } from "./launch-session.ts";
import type { Quotas } from "./quota.ts";
import type { RateLimiter } from "./rate-limit.ts";

/** Logs without secrets: callers pass ids and codes, never tickets or credentials. */
export interface LauncherLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** The rate limits, each a token bucket per key. */
export interface LauncherLimits {
  /** Failed unseals, per client address. */
  unseal: RateLimiter;
  /** Prepared launches, per client address. */
  prepare: RateLimiter;
  /** Destroys (each may leave a tombstone on the platform), per client address. */
  destroy: RateLimiter;
  /** Follows, per client address. */
  follow: RateLimiter;
  /** Follows, per instance (one ticket handed around). */
  followInstance: RateLimiter;
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
  /** How long an instance lives at most, in seconds (a template may say less). Default 28 800. */
  instanceTtl?: number;
  /** The launch sessions of this process (see `createLaunchSessions`). */
  launches: LaunchSessions;
  limits: LauncherLimits;
  /** Reads the instances of every platform (`instances.*`, quotas); one over `drivers` when unset. */
  instances?: InstanceLister;
  /** The instance quotas for new launches (`createQuotas`); none when unset. */
  quotas?: Quotas;
  /** Concurrent subscriptions allowed per connection (unlimited when unset). */
  maxSubscriptions?: number;
  logger: LauncherLogger;
  version: string;
}
